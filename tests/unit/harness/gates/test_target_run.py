"""Runs against a target without a Copr: the dry run contacts nothing, an unreachable Copr fails
fast naming its URL, a bad target file is refused before anything, the ledger's bookkeeping."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from pathlib import Path

import pytest

from harness import cli
from harness.gates import project_ledger, target_run
from harness.model.target import load_target


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def target(tmp_path: Path) -> Path:
    (tmp_path / "alice.conf").write_text("[copr-cli]\nusername = alice\n")
    url = f"http://127.0.0.1:{closed_port()}"
    path = tmp_path / "target.yaml"
    path.write_text(f"urls: {{frontend: '{url}', backend: '{url}'}}\nusers: {{alice: alice.conf}}\n"
                    "intact_project: alice/precious\n")
    return path


@pytest.fixture
def connections(monkeypatch) -> list[object]:
    """Every connection this process attempts (each is refused)."""
    tried: list[object] = []

    def connect(self, address):  # noqa: ANN001
        tried.append(address)
        raise ConnectionRefusedError(address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return tried


def test_a_dry_run_prints_the_plan_and_contacts_nothing(target, connections, capsys):
    assert cli.main(["post-release", "--target", str(target), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("dry run: would test the Copr at http://127.0.0.1:")
    assert "create: project alice/TEST<12 hex digits>PostReleaseTest, unlisted" in out
    assert "delete: alice/TEST<12 hex digits>PostReleaseTest" in out
    assert "read-only: project alice/precious is intact" in out
    assert "skip: 2 tests that need shell access" in out
    assert connections == []


def test_a_copr_that_does_not_answer_fails_fast_naming_its_url(target, capsys):
    url = target.read_text().split("'")[1]
    started = time.monotonic()
    assert cli.main(["sanity", "--target", str(target)]) == 3
    assert time.monotonic() - started < 15
    err = capsys.readouterr().err
    assert f"the Copr at {url} does not answer" in err


def test_a_token_in_the_target_file_is_refused_before_anything(target, connections, capsys):
    target.write_text(target.read_text() + "owner: abcdefghijklmnopqrstuvwxyzabcd\n")
    assert cli.main(["post-release", "--target", str(target)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("owner: this looks like an API token: a credential in the target file is "
                        "refused, name a copr-cli config file by path instead")
    assert "abcdefghij" not in err and len(err.splitlines()) == 1
    assert connections == []


def test_the_ledger_lists_what_was_created_and_not_deleted(tmp_path):
    ledger = project_ledger.Registry(str(tmp_path / "projects.jsonl"))
    ledger.add("alice", "test-1", "alice")
    ledger.add("@copr", "test-2", "bob")
    ledger.forget("alice", "test-1")
    (tmp_path / "projects.jsonl").open("a").write('{"event": "crea')  # cut by a SIGKILL
    assert project_ledger.outstanding(tmp_path / "projects.jsonl") == [("@copr", "test-2", "bob")]


class _Copr(http.server.BaseHTTPRequestHandler):
    """A frontend that answers APIv3's root and /backend/ with upstream's header (or not)."""

    fe_be: str | None = "9"

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = b'{"version": 3}' if self.path == "/api_3/" else b"[]"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if self.path.startswith("/backend/") and self.fe_be is not None:
            self.send_header(target_run.FE_BE_HEADER, self.fe_be)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize("fe_be, expected", [("9", "9"), (None, "")])
def test_the_versions_are_what_the_coprs_api_reports(tmp_path, fe_be, expected):
    handler = type("Copr", (_Copr,), {"fe_be": fe_be})
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            (tmp_path / "alice.conf").write_text("[copr-cli]\n")
            url = f"http://127.0.0.1:{server.server_address[1]}"
            (tmp_path / "t.yaml").write_text(f"urls: {{frontend: '{url}', backend: '{url}'}}\n"
                                             "users: {alice: alice.conf}\n")
            versions = target_run.reported_versions(load_target(tmp_path / "t.yaml"))
        finally:
            server.shutdown()
    assert versions == {"api_3": "3", "fe_be_api": expected}


def test_a_copr_that_went_away_reports_no_versions(target):
    assert target_run.reported_versions(load_target(target)) == {"api_3": "", "fe_be_api": ""}


def test_a_sanity_dry_run_names_its_chroots_and_what_it_skips(target, connections, capsys):
    from tests.sanity._builds import CHROOT

    assert target_run.SANITY_CHROOT == CHROOT  # the plan says what the suite really builds for
    assert cli.main(["sanity", "--target", str(target), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"for the chroots the sanity suite builds for ({CHROOT}, a few tests more)" in out
    assert "skip: 1 test that needs Podman access to the stack's own containers" in out
    assert "skip: 3 tests that need shell access to the Copr's hosts" in out
    assert connections == []
