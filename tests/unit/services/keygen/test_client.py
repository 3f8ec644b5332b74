"""Unit tests of the backend's `sign` client (containers/keygen/src/sign): its options, and
its behaviour against the keygen app served on 127.0.0.1 by werkzeug (no Podman)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]
CLIENT = ROOT / "containers" / "keygen" / "src" / "sign"
EMAIL = "owner#project@copr.example.org"


def load_client():
    loader = importlib.machinery.SourceFileLoader("copr_keygen_sign_client", str(CLIENT))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


sign = load_client()


# -- options ---------------------------------------------------------------------------------


def test_sign_rpm_options() -> None:
    args = sign.parse_args(["-4", "-h", "sha256", "-u", EMAIL, "-r", "a.rpm"])
    assert (args.user, args.hash, args.v4) == (EMAIL, "sha256", True)
    assert (args.rpm, args.pubkey) == (True, False)
    assert args.files == [Path("a.rpm")]


def test_pubkey_options() -> None:
    args = sign.parse_args(["-u", EMAIL, "-p"])
    assert (args.pubkey, args.files, args.hash) == (True, [], "sha1")


@pytest.mark.parametrize("argv", [
    ["-p"],  # no -u
    ["-u", EMAIL],  # no mode
    ["-u", EMAIL, "-p", "-r", "a.rpm"],
    ["-u", EMAIL, "-p", "a.rpm"],
    ["-u", EMAIL, "-r"],
    ["-u", EMAIL, "-h", "md5", "-r", "a.rpm"],
    ["-u", EMAIL, "-x", "-p"],
])
def test_bad_usage_exits_2_with_one_line(argv: list[str], capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_:
        sign.parse_args(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("sign: ") and err.count("\n") == 1


def test_email_is_escaped_in_urls() -> None:
    assert sign._url("http://keygen:5003/", "pubkey", "@g#p@c") == "http://keygen:5003/pubkey/@g%23p@c"


# -- against a live keygen app ---------------------------------------------------------------

needs_tools = pytest.mark.skipif(
    not (shutil.which("gpg") and shutil.which("rpmsign") and shutil.which("rpmbuild")),
    reason="needs gpg, rpmsign and rpmbuild (apt-get install -y gnupg rpm)",
)


@pytest.fixture(scope="module")
def keygen() -> Iterator[tuple[str, object]]:
    """The keygen app served on a free loopback port; yields its URL and a test client."""
    pytest.importorskip("flask")
    from werkzeug.serving import make_server

    from copr_keygen.app import create_app
    from copr_keygen.config import Settings

    state = Path(tempfile.mkdtemp(prefix="kg-", dir="/tmp"))
    app = create_app(Settings.from_env({"COPR_KEYGEN_STATE_DIR": str(state)}))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app.test_client()
    finally:
        server.shutdown()
        thread.join(timeout=10)
        subprocess.run(["gpgconf", "--homedir", str(state / "gnupg"), "--kill", "gpg-agent"],
                       capture_output=True)
        shutil.rmtree(state, ignore_errors=True)


def run(url: str, *argv: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, COPR_KEYGEN_URL=url)
    return subprocess.run([sys.executable, str(CLIENT), *argv], capture_output=True, text=True,
                          env=env, timeout=60)


@pytest.fixture(scope="module")
def tiny_rpm(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    top = tmp_path_factory.mktemp("rpmbuild")
    (top / "tiny.spec").write_text(
        "Name: tiny\nVersion: 1\nRelease: 1\nSummary: s\nLicense: MIT\nBuildArch: noarch\n"
        "%description\nd\n%files\n")
    subprocess.run(["rpmbuild", "-bb", "--quiet", "--define", f"_topdir {top}", str(top / "tiny.spec")],
                   check=True, capture_output=True)
    return next((top / "RPMS").rglob("*.rpm")).read_bytes()


@needs_tools
def test_unknown_key(keygen, tmp_path: Path, tiny_rpm: bytes) -> None:
    url, _ = keygen
    email = "nobody#nothing@copr.example.org"
    result = run(url, "-u", email, "-p")
    assert (result.returncode, result.stdout, result.stderr) == (1, "", f"unknown key: {email}\n")
    rpm = tmp_path / "tiny.rpm"
    rpm.write_bytes(tiny_rpm)
    result = run(url, "-4", "-h", "sha256", "-u", email, "-r", str(rpm))
    assert (result.returncode, result.stderr) == (1, f"unknown key: {email}\n")
    assert rpm.read_bytes() == tiny_rpm


@needs_tools
def test_pubkey_and_sign_in_place(keygen, tmp_path: Path, tiny_rpm: bytes) -> None:
    url, client = keygen
    created = client.post("/gen_key", json={"name_real": "owner_project", "name_email": EMAIL})
    assert created.status_code in (200, 201)
    pubkey = run(url, "-u", EMAIL, "-p")
    assert pubkey.returncode == 0, pubkey.stderr
    assert pubkey.stdout.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")

    rpm = tmp_path / "tiny.rpm"
    rpm.write_bytes(tiny_rpm)
    rpm.chmod(0o640)
    result = run(url, "-4", "-h", "sha256", "-u", EMAIL, "-r", str(rpm))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert rpm.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.rpm"]  # no temporary file left

    dbpath = tmp_path / "rpmdb"
    dbpath.mkdir()
    (tmp_path / "key.asc").write_text(pubkey.stdout)
    subprocess.run(["rpmkeys", "--dbpath", str(dbpath), "--import", str(tmp_path / "key.asc")],
                   check=True)
    checked = subprocess.run(["rpm", "--dbpath", str(dbpath), "-K", str(rpm)],
                             capture_output=True, text=True)
    assert "digests signatures OK" in checked.stdout


@needs_tools
def test_service_errors_are_one_line(keygen, tmp_path: Path) -> None:
    url, client = keygen
    client.post("/gen_key", json={"name_real": "owner_project", "name_email": EMAIL})
    bogus = tmp_path / "bogus.rpm"
    bogus.write_bytes(b"not an rpm")
    result = run(url, "-h", "sha256", "-u", EMAIL, "-r", str(bogus))
    assert result.returncode == 1
    assert result.stderr.startswith("signing bogus.rpm failed: keygen answered 400")
    assert result.stderr.count("\n") == 1
    missing = run(url, "-h", "sha256", "-u", EMAIL, "-r", str(tmp_path / "missing.rpm"))
    assert (missing.returncode, missing.stderr.count("\n")) == (1, 1)
    assert "cannot read" in missing.stderr


def test_unreachable_keygen() -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run(f"http://127.0.0.1:{port}", "-u", EMAIL, "-p")
    assert result.returncode == 1
    assert result.stderr.startswith("cannot reach the keygen at") and result.stderr.count("\n") == 1


def test_sign_starts_without_requests() -> None:
    """The backend runs `sign` three times per build (public key, each RPM, public key again):
    importing requests would double each call's start-up."""
    probe = ("import importlib.machinery, importlib.util, sys; "
             f"loader = importlib.machinery.SourceFileLoader('sign', {str(CLIENT)!r}); "
             "module = importlib.util.module_from_spec(importlib.util.spec_from_loader('sign', loader)); "
             "loader.exec_module(module); print(sorted(m for m in sys.modules if m.split('.')[0] == 'requests'))")
    shown = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "[]"


def test_a_keygen_url_that_is_not_http_is_one_line() -> None:
    result = run("https://keygen:5003", "-u", EMAIL, "-p")
    assert result.returncode == 1
    assert result.stderr == "the keygen URL https://keygen:5003/pubkey/owner%23project@copr.example.org is not http://HOST[:PORT]\n"
