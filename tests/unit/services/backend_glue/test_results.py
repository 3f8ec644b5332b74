"""The results server of the real backend: the tree, gzipped logs, and /health's meaning."""

from __future__ import annotations

import gzip
import json
import os
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from copr_backend_glue import results


@pytest.fixture
def serve(tmp_path: Path):
    servers = []

    def start(checks: dict[str, bool]) -> str:
        server = results.make_server(tmp_path, 0, lambda: checks, host="127.0.0.1")
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_health_is_ok_only_when_every_check_passes(serve) -> None:
    assert get(serve({"redis": True, "copr-backend-build": True}) + "/health")[0] == 200
    status, body = get(serve({"redis": True, "copr-backend-build": False}) + "/health")
    assert status == 503 and json.loads(body)["copr-backend-build"] is False


def test_results_and_gzipped_logs_are_served(serve, tmp_path: Path) -> None:
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "pubkey.gpg").write_text("KEY")
    (tmp_path / "alice" / "builder-live.log.gz").write_bytes(gzip.compress(b"live log"))
    base = serve({"ok": True})
    assert get(base + "/results/alice/pubkey.gpg") == (200, b"KEY")
    status, listing = get(base + "/results/alice/")
    assert status == 200 and b"pubkey.gpg" in listing
    request = urllib.request.Request(base + "/results/alice/builder-live.log")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(response.read()) == b"live log"


def test_a_service_runs_while_its_pid_lives(tmp_path: Path) -> None:
    (tmp_path / "alive.pid").write_text(str(os.getpid()))
    (tmp_path / "dead.pid").write_text("999999999")
    assert results.service_running("alive", tmp_path)
    assert not results.service_running("dead", tmp_path)
    assert not results.service_running("never-started", tmp_path)


def test_a_dispatcher_is_ready_once_it_said_so_with_its_own_pid(tmp_path: Path) -> None:
    pids, ready = tmp_path / "pids", tmp_path / "ready"
    pids.mkdir()
    ready.mkdir()
    (pids / "copr-backend-action.pid").write_text(f"{os.getpid()}\n")
    # Running, but still importing its workers' modules (or died at it): not ready.
    assert not results.dispatcher_ready("copr-backend-action", pids, ready)
    (ready / "actions.ready").write_text("999999999\n")  # a previous process's marker
    assert not results.dispatcher_ready("copr-backend-action", pids, ready)
    (ready / "actions.ready").write_text(f"{os.getpid()}\n")
    assert results.dispatcher_ready("copr-backend-action", pids, ready)


def test_redis_that_does_not_answer_is_not_ready() -> None:
    assert not results.redis_answers(port=9)
