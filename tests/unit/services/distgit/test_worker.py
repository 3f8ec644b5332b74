"""Unit tests of the dist-git import worker against a fake frontend (a stdlib HTTP server in the
test process) that also serves the SRPMs, with the host's real rpm tools and git."""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from . import srpms
from .srpms import build_srpm

if not srpms.HAVE_TOOLS:
    pytest.skip(srpms.MISSING_TOOLS, allow_module_level=True)

from copr_dist_git.config import Config  # noqa: E402
from copr_dist_git.layout import LayoutError  # noqa: E402
from copr_dist_git.worker import ImportTask, Worker  # noqa: E402

PASSWORD = "pw-that-must-never-be-logged"


class FakeFrontend(ThreadingHTTPServer):
    """Answers the /backend/ routes dist-git uses and serves SRPMs under /results/."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _FakeHandler)
        self.records: dict[int, dict[str, Any] | None] = {}
        self.importing_status = 200
        self.password = PASSWORD
        self.completed: list[tuple[str, dict[str, Any]]] = []
        self.done = threading.Condition()
        self.files: dict[str, bytes] = {}
        self.hold_downloads = threading.Event()
        self.hold_downloads.set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def add(self, build_id: int, srpm: Path | None, **fields: Any) -> dict[str, Any]:
        """Queue an import as the frontend would list it (state importing)."""
        name = f"{build_id}-{srpm.name}" if srpm else "missing.src.rpm"
        if srpm:
            self.files[name] = srpm.read_bytes()
        record = {"build_id": build_id, "owner": "alice", "project": "proj", "branches": ["f44", "master"],
                  "pkg_name": "tiny", "srpm_url": f"{self.url}/results/{name}",
                  "sandbox": "alice/proj--alice", "background": False} | fields
        self.records[build_id] = record
        return record

    def wait_completed(self, count: int, timeout: float = 10) -> list[tuple[str, dict[str, Any]]]:
        with self.done:
            assert self.done.wait_for(lambda: len(self.completed) >= count, timeout), self.completed
            return list(self.completed)


class _FakeHandler(BaseHTTPRequestHandler):
    server: FakeFrontend

    def log_message(self, *args: Any) -> None:
        pass

    def _json(self, status: int, value: Any) -> None:
        body = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Copr-FE-BE-API-Version", "9")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        fake = self.server
        if self.path == "/backend/importing/":
            if fake.importing_status != 200:
                return self._json(fake.importing_status, {"error": "no such route"})
            # Streamed like the real route: "[" item ",\n" item "]".
            items = [r for r in fake.records.values() if r is not None]
            body = ("[" + ",\n".join(json.dumps(r) for r in items) + "]").encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return None
        if self.path.startswith("/backend/get-import-task/"):
            build_id = int(self.path.rsplit("/", 1)[1])
            return self._json(200, fake.records.get(build_id))
        if self.path.startswith("/results/"):
            fake.hold_downloads.wait(10)
            data = fake.files.get(self.path.rsplit("/", 1)[1])
            if data is None:
                return self._json(404, {"error": "not found"})
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return None
        return self._json(404, {"error": "not found"})

    def do_POST(self) -> None:
        fake = self.server
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path != "/backend/import-completed/":
            return self._json(404, {})
        expected = "Basic " + base64.b64encode(f"user:{fake.password}".encode()).decode()
        if self.headers.get("Authorization") != expected:
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        with fake.done:
            fake.completed.append((self.headers.get("Content-Type", ""), body))
            fake.records.pop(body["build_id"], None)  # no longer importing
            fake.done.notify_all()
        return self._json(200, {"updated": True})


@pytest.fixture
def frontend() -> Iterator[FakeFrontend]:
    fake = FakeFrontend()
    thread = threading.Thread(target=fake.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield fake
    fake.hold_downloads.set()
    fake.shutdown()
    fake.server_close()


@pytest.fixture
def config(tmp_path: Path, frontend: FakeFrontend) -> Config:
    return Config(frontend_url=frontend.url, backend_password=PASSWORD, git_root=tmp_path / "git",
                  lookaside_root=tmp_path / "lookaside", log_dir=tmp_path / "logs",
                  poll_interval=0.05, retry_after=30)


@pytest.fixture
def worker(config: Config) -> Iterator[Worker]:
    made = Worker(config)
    yield made
    made.stop()


def test_import_is_reported_with_branch_commits(tmp_path: Path, frontend: FakeFrontend, worker: Worker,
                                                config: Config, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    frontend.add(5, build_srpm(tmp_path))
    worker.run_once()
    [(content_type, payload)] = frontend.completed
    assert content_type == "application/json"
    assert set(payload) == {"build_id", "branch_commits", "reponame"}
    assert payload["build_id"] == 5 and payload["reponame"] == "alice/proj/tiny"
    assert list(payload["branch_commits"]) == ["f44", "master"]
    assert all(len(sha) == 40 for sha in payload["branch_commits"].values())
    assert (config.git_root / "alice/proj/tiny.git").is_dir()
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("import build 5:")]
    assert len(lines) == 1 and "imported tiny-1.0-1 into alice/proj/tiny" in lines[0]
    task_log = (config.log_dir / "5.log").read_text()
    assert "downloading" in task_log and "reported to the frontend: success" in task_log
    assert PASSWORD not in caplog.text and PASSWORD not in task_log


def test_failed_import_reports_only_the_build_id(tmp_path: Path, frontend: FakeFrontend, worker: Worker,
                                                 config: Config, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    frontend.add(6, None)  # the SRPM URL answers 404
    worker.run_once()
    assert [p for _, p in frontend.completed] == [{"build_id": 6}]
    assert any("import build 6: failed" in r.getMessage() for r in caplog.records)
    assert "404" in (config.log_dir / "6.log").read_text()


def test_invalid_record_fails_the_import(tmp_path: Path, frontend: FakeFrontend, worker: Worker) -> None:
    frontend.add(7, build_srpm(tmp_path), owner="../etc")
    worker.run_once()
    assert [p for _, p in frontend.completed] == [{"build_id": 7}]


def test_null_task_is_skipped(frontend: FakeFrontend, worker: Worker, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    frontend.records[8] = None  # get-import-task answers null
    assert worker.process(8) == "skipped"
    assert frontend.completed == []
    assert any("no import task" in r.getMessage() for r in caplog.records)


def test_missing_importing_route_is_logged_once_and_polling_goes_on(
        frontend: FakeFrontend, worker: Worker, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    frontend.importing_status = 404
    for _ in range(3):
        assert worker.poll_once() == []
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "answered 404" in warnings[0].getMessage()
    assert "404" in worker.frontend_state
    frontend.importing_status = 200
    worker.poll_once()
    assert worker.frontend_state == "ok"
    assert any("works again" in r.getMessage() for r in caplog.records)


def test_unreachable_frontend_does_not_crash(config: Config) -> None:
    worker = Worker(replace(config, frontend_url="http://127.0.0.1:9"))
    try:
        assert worker.poll_once() == []
        assert "ConnectionError" in worker.frontend_state
    finally:
        worker.stop()


def test_refused_password_is_retried_later(tmp_path: Path, frontend: FakeFrontend, worker: Worker,
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    frontend.password = "another"
    frontend.add(10, build_srpm(tmp_path))
    worker.run_once()
    assert frontend.completed == []
    assert any("401" in r.getMessage() and "import build 10" in r.getMessage() for r in caplog.records)
    assert worker.poll_once() == []  # not again before retry_after
    assert PASSWORD not in caplog.text


def test_a_build_is_imported_once_at_a_time(tmp_path: Path, frontend: FakeFrontend, worker: Worker) -> None:
    frontend.add(11, build_srpm(tmp_path))
    frontend.hold_downloads.clear()
    first = worker.poll_once()
    assert len(first) == 1
    assert worker.poll_once() == []  # still in progress
    frontend.hold_downloads.set()
    first[0].result(timeout=10)
    assert [p["build_id"] for _, p in frontend.completed] == [11]


def test_polling_loop_imports_and_reimports(tmp_path: Path, frontend: FakeFrontend, worker: Worker) -> None:
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    started = time.monotonic()
    frontend.add(20, build_srpm(tmp_path))
    [(_, first)] = frontend.wait_completed(1)
    elapsed = time.monotonic() - started
    # The same package in a later build, a new version: a new commit on top.
    frontend.add(21, build_srpm(tmp_path, version="2.0"), branches=["master"])
    second = frontend.wait_completed(2)[1][1]
    worker.stopping.set()
    thread.join(5)
    assert first["build_id"] == 20 and second["build_id"] == 21
    assert second["reponame"] == first["reponame"]
    assert second["branch_commits"]["master"] != first["branch_commits"]["master"]
    assert elapsed < 5, f"the import took {elapsed:.1f} s"


def test_import_task_validation() -> None:
    record = {"build_id": 1, "owner": "@copr", "project": "p:pr:1", "branches": ["f44"],
              "pkg_name": None, "srpm_url": "http://backend:5002/results/x.src.rpm"}
    task = ImportTask.from_record(record)
    assert (task.owner, task.project, task.pkg_name) == ("@copr", "p:pr:1", None)
    for bad in ({"build_id": "1"}, {"srpm_url": "file:///etc/passwd"}, {"branches": []},
                {"project": None}, {"build_id": True}):
        with pytest.raises(LayoutError):
            ImportTask.from_record(record | bad)
