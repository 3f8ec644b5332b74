"""Unit tests of the keygen's HTTP API through Flask's test client, with the host's real gpg
and rpmsign (no Podman)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import pytest

pytest.importorskip("flask")
if not (shutil.which("gpg") and shutil.which("rpmsign") and shutil.which("rpmbuild")):
    pytest.skip("needs gpg, rpmsign and rpmbuild (apt-get install -y gnupg rpm)",
                allow_module_level=True)


from copr_keygen.app import create_app  # noqa: E402
from copr_keygen.config import Settings  # noqa: E402
from tests.support.srpms import TINY_SPEC  # noqa: E402

EMAIL = "@copr#copr@copr.example.org"
REQUEST = {"name_real": "copr_copr", "name_email": EMAIL}


def url(route: str, email: str = EMAIL) -> str:
    return f"/{route}/{quote(email, safe='@')}"


@pytest.fixture
def state() -> Iterator[Path]:
    """A key store in a short path: gpg-agent's socket path must stay under 108 bytes."""
    folder = Path(tempfile.mkdtemp(prefix="kg-", dir="/tmp"))
    yield folder
    subprocess.run(["gpgconf", "--homedir", str(folder / "gnupg"), "--kill", "gpg-agent"],
                   capture_output=True)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def settings(state: Path) -> Settings:
    return Settings.from_env({"COPR_KEYGEN_STATE_DIR": str(state)})


@pytest.fixture
def client(settings: Settings):
    return create_app(settings).test_client()


@pytest.fixture(scope="module")
def tiny_rpm(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    top = tmp_path_factory.mktemp("rpmbuild")
    (top / "tiny.spec").write_text(TINY_SPEC)
    subprocess.run(["rpmbuild", "-bb", "--quiet", "--define", f"_topdir {top}", str(top / "tiny.spec")],
                   check=True, capture_output=True)
    return next((top / "RPMS").rglob("*.rpm")).read_bytes()


def gpg(settings: Settings, *args: str) -> str:
    return subprocess.run(["gpg", "--homedir", str(settings.gnupg_home), "--batch", *args],
                          capture_output=True, text=True, check=True).stdout


def rpm_check(tmp_path: Path, pubkey: bytes, rpm: bytes) -> str:
    """`rpm -Kv` of `rpm` against an rpm database that trusts only `pubkey`."""
    dbpath = tmp_path / "rpmdb"
    dbpath.mkdir(exist_ok=True)
    (tmp_path / "key.asc").write_bytes(pubkey)
    (tmp_path / "checked.rpm").write_bytes(rpm)
    subprocess.run(["rpmkeys", "--dbpath", str(dbpath), "--import", str(tmp_path / "key.asc")],
                   check=True, capture_output=True)
    result = subprocess.run(["rpm", "--dbpath", str(dbpath), "-Kv", str(tmp_path / "checked.rpm")],
                            capture_output=True, text=True)
    return result.stdout + result.stderr


def test_ping(client) -> None:
    response = client.get("/ping")
    assert (response.status_code, response.data, response.mimetype) == (200, b"pong\n", "text/plain")


def test_gen_key_creates_then_finds(client, settings: Settings) -> None:
    first = client.post("/gen_key", json=REQUEST | {"name_comment": "a test key"})
    assert (first.status_code, first.data, first.mimetype) == (201, b"", "text/plain")
    again = client.post("/gen_key", json=REQUEST)
    assert (again.status_code, again.data) == (200, b"")
    assert (settings.phrases_dir / EMAIL).read_text() == "1\n"
    listing = gpg(settings, "--with-colons", "--list-secret-keys")
    assert listing.count("\nsec:") + listing.startswith("sec:") == 1
    sec = next(line.split(":") for line in listing.splitlines() if line.startswith("sec:"))
    assert (sec[2], sec[3]) == ("2048", "1")  # RSA 2048
    assert sec[6], "the key must expire"
    assert f"copr_copr (a test key) <{EMAIL}>" in listing


def test_gen_key_honours_length_and_expiry(client, settings: Settings) -> None:
    assert client.post("/gen_key", json=REQUEST | {"key_length": 1024, "expire": 0}).status_code == 201
    sec = next(line.split(":") for line in gpg(settings, "--with-colons", "--list-keys").splitlines()
               if line.startswith("pub:"))
    assert (sec[2], sec[6]) == ("1024", "")


@pytest.mark.parametrize(("send", "message"), [
    ({"data": b"not json", "content_type": "application/json"}, b"not JSON"),
    ({"json": {"name_email": EMAIL}}, b"missing field 'name_real'"),
    ({"json": {"name_real": "x"}}, b"missing field 'name_email'"),
    ({"json": {"name_real": "x", "name_email": "copr@copr.example.org"}}, b"invalid name_email"),
    ({"data": b"{}", "content_type": "application/json; charset=no-such-charset"}, b"not JSON"),
])
def test_gen_key_bad_requests(client, settings: Settings, send: dict, message: bytes) -> None:
    response = client.post("/gen_key", **send)
    assert response.status_code == 400
    assert message in response.data
    assert not any(settings.phrases_dir.iterdir())


def test_gen_key_gpg_failure_is_500(state: Path) -> None:
    client = create_app(Settings(state_dir=state, gpg="/bin/false")).test_client()
    response = client.post("/gen_key", json=REQUEST)
    assert response.status_code == 500
    assert b"gpg" in response.data


def test_concurrent_requests_make_one_key(client, settings: Settings) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        codes = sorted(pool.map(lambda _: client.post("/gen_key", json=REQUEST).status_code, range(4)))
    assert codes == [200, 200, 200, 201]
    assert gpg(settings, "--with-colons", "--list-keys").count("pub:") == 1


def test_pubkey(client) -> None:
    unknown = client.get(url("pubkey"))
    assert (unknown.status_code, unknown.data) == (404, f"unknown key: {EMAIL}".encode())
    client.post("/gen_key", json=REQUEST)
    known = client.get(url("pubkey"))
    assert known.status_code == 200
    assert known.data.startswith(b"-----BEGIN PGP PUBLIC KEY BLOCK-----")
    assert b"PRIVATE" not in known.data


def test_key_without_phrases_file_is_unknown_until_gen_key(client, settings: Settings) -> None:
    client.post("/gen_key", json=REQUEST)
    (settings.phrases_dir / EMAIL).unlink()
    assert client.get(url("pubkey")).status_code == 404
    assert client.post("/gen_key", json=REQUEST).status_code == 200  # the key is reused
    assert client.get(url("pubkey")).status_code == 200


@pytest.mark.parametrize(("digest", "shown"), [("sha256", "RSA/SHA256"), ("sha1", "RSA/SHA1")])
def test_sign(client, tiny_rpm: bytes, tmp_path: Path, digest: str, shown: str) -> None:
    client.post("/gen_key", json=REQUEST)
    response = client.post(url("sign") + f"?hash={digest}", data=tiny_rpm)
    assert (response.status_code, response.mimetype) == (200, "application/x-rpm")
    assert response.data != tiny_rpm
    checked = rpm_check(tmp_path, client.get(url("pubkey")).data, response.data)
    assert f"Header V4 {shown} Signature" in checked
    assert "NOKEY" not in checked and "BAD" not in checked


def test_sign_refusals(client, tiny_rpm: bytes) -> None:
    unknown = client.post(url("sign") + "?hash=sha256", data=tiny_rpm)
    assert (unknown.status_code, unknown.data) == (404, f"unknown key: {EMAIL}".encode())
    client.post("/gen_key", json=REQUEST)
    assert client.post(url("sign") + "?hash=md5", data=tiny_rpm).status_code == 400
    assert client.post(url("sign") + "?hash=sha256", data=b"").status_code == 400
    assert client.post(url("sign") + "?hash=sha256", data=b"not an rpm").status_code == 400
    assert client.post(url("sign", "owner/x#p@c") + "?hash=sha256", data=tiny_rpm).status_code == 404
