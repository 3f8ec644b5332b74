"""The results web server on a loopback port: listings, files, gzipped logs, health."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests


from copr_backend import results_server


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    destdir = tmp_path / "public_html" / "results"
    build = destdir / "@copr/tools/fedora-44-x86_64/00000007-hello"
    build.mkdir(parents=True)
    (build / "hello-1.0-1.noarch.rpm").write_bytes(b"\xed\xab\xee\xdbrpm")
    (build / "backend.log.gz").write_bytes(gzip.compress(b"the backend log\n"))
    (destdir / "@copr/tools/pubkey.gpg").write_text("-----BEGIN PGP PUBLIC KEY BLOCK-----\n")
    (tmp_path / "public_html" / "secret.txt").write_text("outside the results tree")
    server = results_server.make_server(destdir, 0, {"status": "ok", "version": "2.13-1"}, host="127.0.0.1")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", destdir
    finally:
        server.shutdown()
        server.server_close()


def test_health_and_index(served) -> None:
    url, _ = served
    assert requests.get(f"{url}/health", timeout=5).json() == {"status": "ok", "version": "2.13-1"}
    index = requests.get(f"{url}/", timeout=5)
    assert index.ok and 'href="results/"' in index.text


def test_directory_listings_link_every_entry(served) -> None:
    url, _ = served
    listing = requests.get(f"{url}/results/@copr/tools/", timeout=5)
    assert listing.ok and listing.headers["Content-Type"].startswith("text/html")
    assert 'href="fedora-44-x86_64/"' in listing.text and 'href="pubkey.gpg"' in listing.text
    build = requests.get(f"{url}/results/@copr/tools/fedora-44-x86_64/00000007-hello/", timeout=5)
    assert 'href="hello-1.0-1.noarch.rpm"' in build.text


def test_directory_without_slash_redirects(served) -> None:
    url, _ = served
    answer = requests.get(f"{url}/results/@copr/tools", timeout=5, allow_redirects=False)
    assert answer.status_code == 301 and answer.headers["Location"].endswith("/results/@copr/tools/")
    assert requests.get(f"{url}/results", timeout=5, allow_redirects=False).headers["Location"] == "/results/"


def test_files(served) -> None:
    url, _ = served
    rpm = requests.get(f"{url}/results/@copr/tools/fedora-44-x86_64/00000007-hello/hello-1.0-1.noarch.rpm",
                       timeout=5)
    assert rpm.content == b"\xed\xab\xee\xdbrpm" and rpm.headers["Content-Type"] == "application/x-rpm"
    assert requests.get(f"{url}/results/@copr/tools/pubkey.gpg", timeout=5).text.startswith("-----BEGIN PGP")
    assert requests.head(f"{url}/results/@copr/tools/pubkey.gpg", timeout=5).ok


def test_plain_log_name_serves_the_gzipped_log(served) -> None:
    url, _ = served
    log = requests.get(f"{url}/results/@copr/tools/fedora-44-x86_64/00000007-hello/backend.log", timeout=5)
    assert log.ok and log.text == "the backend log\n"


def test_nothing_outside_the_results_tree(served) -> None:
    url, _ = served
    assert requests.get(f"{url}/secret.txt", timeout=5).status_code == 404
    assert requests.get(f"{url}/results/../secret.txt", timeout=5).status_code == 404
    assert requests.get(f"{url}/results/%2e%2e/secret.txt", timeout=5).status_code == 404
    assert requests.get(f"{url}/results/nobody/", timeout=5).status_code == 404


def test_symlinks_that_leave_the_tree_are_not_served(served, tmp_path: Path) -> None:
    """A link a build planted (to a secret file, to /, to a directory outside) answers 404;
    a link that stays inside the tree still serves."""
    url, destdir = served
    build = destdir / "@copr/tools/fedora-44-x86_64/00000007-hello"
    (build / "key").symlink_to(tmp_path / "public_html" / "secret.txt")
    (build / "root").symlink_to("/")
    (build / "up").symlink_to("../../../../..")  # public_html
    (build / "inside.rpm").symlink_to(build / "hello-1.0-1.noarch.rpm")
    (build / "leak.log.gz").symlink_to(tmp_path / "public_html" / "secret.txt")
    base = f"{url}/results/@copr/tools/fedora-44-x86_64/00000007-hello"
    for path in ("key", "leak.log", "leak.log.gz", "root/", "root/etc/passwd", "root/proc/self/environ", "up/", "up/secret.txt"):
        answer = requests.get(f"{base}/{path}", timeout=5)
        assert answer.status_code == 404, f"{path}: {answer.status_code} {answer.text[:80]!r}"
        assert "outside the results tree" not in answer.text
    assert requests.head(f"{base}/root/etc/passwd", timeout=5).status_code == 404
    assert requests.get(f"{base}/inside.rpm", timeout=5).content == b"\xed\xab\xee\xdbrpm"
