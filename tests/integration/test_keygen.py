"""The keygen component in real containers: keys made by /gen_key, RPMs signed by the backend's
`sign` client, keys kept across service and container restarts.

The keygen serves only the backend and loopback; in this keygen-only run the client talks to it
over loopback (the backend's own signing over the stack network is in test_service_hardening.py and the
build tests)."""

from __future__ import annotations

import json
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import wait
from harness.naming import resource_name
from harness.paths import CONTAINERS
from harness.podman.engine import Engine, ExecResult

from .copr_stack import running
from tests.support.srpms import TINY_SPEC

pytestmark = pytest.mark.integration

EMAIL = "@copr#copr@copr.example.org"
REQUEST = {"name_real": "copr_copr", "name_email": EMAIL}
LOCAL = "http://127.0.0.1:5003"
RPM = "/tmp/tiny-1-1.noarch.rpm"


@pytest.fixture(scope="module")
def keygen(engine: Engine, built_images: dict) -> Iterator[tuple[Engine, str]]:
    """A run with only the keygen; yields the engine and the keygen's container name."""
    with running(engine, components=["keygen"]) as info:
        container = resource_name(info.run_id, "keygen")
        client = (CONTAINERS / "keygen" / "src" / "sign").read_bytes()
        wrapper = f'#!/bin/sh\nCOPR_KEYGEN_URL={LOCAL} exec /usr/local/lib/copr-sign "$@"\n'.encode()
        engine.put_files(container, "/usr/local/lib", {"copr-sign": client}, mode=0o755)
        engine.put_files(container, "/usr/local/bin", {"sign": wrapper}, mode=0o755)
        yield engine, container


def must(result: ExecResult) -> str:
    assert result.ok, f"exit {result.exit_code}: {result.output}"
    return result.output


def gen_key(engine: Engine, container: str, request: dict) -> int:
    """POST /gen_key from inside the container; return the HTTP status."""
    output = must(engine.exec(container, [
        "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Content-Type: application/json",
        "--data-binary", json.dumps(request), f"{LOCAL}/gen_key",
    ]))
    return int(output.strip())


def sh(engine: Engine, container: str, script: str) -> ExecResult:
    return engine.exec(container, ["sh", "-c", script])


def fingerprint(engine: Engine, container: str) -> str:
    """The fingerprint of the key `sign -p` hands out (read without touching the keygen's keyring)."""
    must(sh(engine, container, f"sign -u {shlex.quote(EMAIL)} -p > /tmp/pubkey.asc"))
    output = must(sh(engine, container, 'home=$(mktemp -d) && gpg --homedir "$home" --batch '
                                        '--with-colons --show-keys /tmp/pubkey.asc 2>/dev/null'))
    return next(line.split(":")[9] for line in output.splitlines() if line.startswith("fpr:"))


def wait_ready(engine: Engine, container: str) -> None:
    def ping() -> None:
        result = engine.exec(container, ["curl", "-fsS", f"{LOCAL}/ping"])
        if result.output != "pong\n":
            raise wait.NotYet(result.output.strip() or f"curl exited {result.exit_code}")
    wait.until(ping, what="the keygen to answer /ping", timeout=60)


@pytest.fixture(scope="module")
def tiny_rpm(keygen: tuple[Engine, str], tmp_path_factory: pytest.TempPathFactory) -> str:
    """An unsigned noarch RPM built on the host and copied into the keygen container."""
    engine, container = keygen
    top = tmp_path_factory.mktemp("rpmbuild")
    (top / "tiny.spec").write_text(TINY_SPEC)
    subprocess.run(["rpmbuild", "-bb", "--quiet", "--define", f"_topdir {top}", str(top / "tiny.spec")],
                   check=True, capture_output=True)
    built = next((top / "RPMS").rglob("*.rpm"))
    engine.put_files(container, str(Path(RPM).parent), {Path(RPM).name: built.read_bytes()})
    return RPM


def test_ping(keygen: tuple[Engine, str]) -> None:
    engine, container = keygen
    assert must(engine.exec(container, ["curl", "-fsS", f"{LOCAL}/ping"])) == "pong\n"


def test_gen_key_created_then_existing(keygen: tuple[Engine, str]) -> None:
    engine, container = keygen
    assert gen_key(engine, container, REQUEST) == 201
    assert gen_key(engine, container, REQUEST) == 200
    assert must(engine.exec(container, ["cat", f"/var/lib/copr-keygen/phrases/{EMAIL}"])).strip() == "1"


def test_gen_key_bad_email(keygen: tuple[Engine, str]) -> None:
    engine, container = keygen
    assert gen_key(engine, container, {"name_real": "x", "name_email": "user@example.com"}) == 400


def test_concurrent_gen_key_makes_one_key(keygen: tuple[Engine, str]) -> None:
    """Two gunicorn workers serve these: the lock must hold across processes."""
    engine, container = keygen
    request = {"name_real": "race_race", "name_email": "race#race@copr.example.org"}
    body = shlex.quote(json.dumps(request))
    output = must(sh(engine, container, (
        "for i in 1 2 3 4 5 6; do curl -sS -o /dev/null -w '%{http_code}\\n' "
        f"-H 'Content-Type: application/json' --data-binary {body} {LOCAL}/gen_key & done; wait"
    )))
    assert sorted(output.split()) == ["200"] * 5 + ["201"]


def test_sign_and_verify(keygen: tuple[Engine, str], tiny_rpm: str) -> None:
    """The client reaches the keygen by its alias (its default URL), as the backend will."""
    engine, container = keygen
    assert gen_key(engine, container, REQUEST) in (200, 201)
    must(engine.exec(container, ["sign", "-4", "-h", "sha256", "-u", EMAIL, "-r", tiny_rpm]))
    must(sh(engine, container, f"sign -u {shlex.quote(EMAIL)} -p > /tmp/pubkey.asc"))
    # A separate rpm database: importing into the system one would add a gpg-pubkey package.
    must(sh(engine, container, "rm -rf /tmp/rpmdb && mkdir /tmp/rpmdb && "
                               "rpmkeys --dbpath /tmp/rpmdb --import /tmp/pubkey.asc"))
    checked = must(engine.exec(container, ["rpm", "--dbpath", "/tmp/rpmdb", "-K", tiny_rpm]))
    assert "digests signatures OK" in checked
    detail = must(engine.exec(container, ["rpm", "--dbpath", "/tmp/rpmdb", "-Kv", tiny_rpm]))
    assert "Header V4 RSA/SHA256 Signature" in detail


def test_unknown_key(keygen: tuple[Engine, str], tiny_rpm: str) -> None:
    engine, container = keygen
    result = sh(engine, container, "sign -u nobody#nothing@copr.example.org -p 2>&1 >/dev/null")
    assert (result.exit_code, result.output) == (1, "unknown key: nobody#nothing@copr.example.org\n")
    result = engine.exec(container, ["sign", "-h", "sha256", "-u", "nobody#nothing@copr.example.org",
                                     "-r", tiny_rpm])
    assert result.exit_code == 1 and "unknown key: " in result.output


def test_key_survives_restarts(keygen: tuple[Engine, str], tiny_rpm: str) -> None:
    engine, container = keygen
    assert gen_key(engine, container, REQUEST) in (200, 201)
    before = fingerprint(engine, container)

    must(engine.exec(container, ["svc", "restart", "copr-keygen"]))
    wait_ready(engine, container)
    assert fingerprint(engine, container) == before
    assert gen_key(engine, container, REQUEST) == 200

    # A new container process on the same volume: the key store must be all on the volume.
    engine.stop(container)
    engine.start(container)
    wait_ready(engine, container)
    assert fingerprint(engine, container) == before
    assert gen_key(engine, container, REQUEST) == 200
    must(engine.exec(container, ["sign", "-4", "-h", "sha256", "-u", EMAIL, "-r", tiny_rpm]))


def test_logs_hold_no_key_material(keygen: tuple[Engine, str]) -> None:
    engine, container = keygen
    logs = engine.logs(container)
    assert "gen_key" in logs  # the service does log its work
    assert "PRIVATE KEY" not in logs and "Passphrase" not in logs
