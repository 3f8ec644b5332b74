"""Unit tests of dist-git's read-only HTTP server on 127.0.0.1, cloned with the host's real git."""

from __future__ import annotations

import hashlib
import http.client
import os
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from . import srpms
from .srpms import build_srpm

if not srpms.HAVE_TOOLS:
    pytest.skip(srpms.MISSING_TOOLS, allow_module_level=True)

from copr_dist_git.config import Config  # noqa: E402
from copr_dist_git.gitrepo import git_env  # noqa: E402
from copr_dist_git.importer import ImportResult, import_srpm  # noqa: E402
from copr_dist_git.server import DistGitServer  # noqa: E402
from copr_dist_git.worker import task_logger  # noqa: E402


@dataclass
class Served:
    """A dist-git with one imported package, served on a loopback port."""

    url: str
    config: Config
    result: ImportResult
    tarball: bytes
    health: dict


@pytest.fixture(params=["smart", "dumb"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    config = Config(git_root=tmp_path / "git", lookaside_root=tmp_path / "lookaside",
                    log_dir=tmp_path / "logs", smart_http=request.param == "smart")
    srpm = build_srpm(tmp_path)
    log, handler = task_logger(config, 3)
    result = import_srpm(config, srpm, "@copr", "proj", ["f44", "master"], build_id=3, log=log)
    handler.close()
    health = {"ready": True}
    server = DistGitServer(config, lambda: (health["ready"], {"status": "ok" if health["ready"] else "no"}),
                           address=("127.0.0.1", 0))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    tarball = (tmp_path / "rpmbuild-tiny-1.0-1" / "SOURCES" / "tiny-1.0.tar.gz").read_bytes()
    try:
        yield Served(f"http://127.0.0.1:{server.server_address[1]}", config, result, tarball, health)
    finally:
        server.shutdown()
        server.server_close()


def git(*args: str, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = git_env() | {"no_proxy": "127.0.0.1", "NO_PROXY": "127.0.0.1"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          check=check, timeout=60)


def get(url: str, method: str = "GET") -> requests.Response:
    with requests.Session() as session:
        session.trust_env = False  # never through a proxy: the server is on loopback
        return session.request(method, url, timeout=10)


@pytest.mark.parametrize("suffix", ["", ".git"])
def test_clone_with_and_without_dot_git(served: Served, tmp_path: Path, suffix: str) -> None:
    clone = tmp_path / "clone"
    git("clone", "-q", f"{served.url}/git/@copr/proj/tiny{suffix}", str(clone))
    assert (clone / "tiny.spec").read_text().startswith("Name: tiny")
    assert git("rev-parse", "HEAD", cwd=clone).stdout.strip() == served.result.branch_commits["master"]
    branches = git("branch", "-r", cwd=clone).stdout
    assert "origin/f44" in branches and "origin/master" in branches


def test_checkout_of_a_commit_as_a_builder_does(served: Served, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    git("clone", "-q", "--no-checkout", f"{served.url}/git/%40copr/proj/tiny", str(clone))
    git("checkout", "-q", served.result.branch_commits["f44"], cwd=clone)
    assert (clone / "sources").read_text() == f"{served.result.sources[0].digest}  tiny-1.0.tar.gz\n"


def test_shallow_clone_needs_the_smart_protocol(served: Served, tmp_path: Path) -> None:
    result = git("clone", "-q", "--depth", "1", f"{served.url}/git/@copr/proj/tiny",
                 str(tmp_path / "shallow"), check=False)
    if served.config.smart_http:
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode != 0 and "dumb http transport does not support shallow" in result.stderr


def test_push_is_refused(served: Served, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    git("clone", "-q", f"{served.url}/git/@copr/proj/tiny", str(clone))
    git("-c", "user.name=x", "-c", "user.email=x@x", "commit", "-q", "--allow-empty", "-m", "x", cwd=clone)
    assert git("push", "-q", "origin", "HEAD:master", cwd=clone, check=False).returncode != 0
    repo = served.config.git_root / "@copr/proj/tiny.git"
    assert git("--git-dir", str(repo), "rev-parse", "master").stdout.strip() == \
        served.result.branch_commits["master"]


def test_unknown_repository(served: Served, tmp_path: Path) -> None:
    assert get(f"{served.url}/git/@copr/proj/nothere/info/refs?service=git-upload-pack").status_code == 404
    assert get(f"{served.url}/git/@copr/proj/nothere/info/refs").status_code == 404
    assert git("clone", "-q", f"{served.url}/git/@copr/proj/nothere", str(tmp_path / "c"),
               check=False).returncode != 0


def test_lookaside_download(served: Served) -> None:
    md5 = hashlib.md5(served.tarball).hexdigest()
    assert served.result.sources[0].digest == md5
    base = f"{served.url}/repo/pkgs/@copr/proj/tiny/tiny-1.0.tar.gz"
    for url in (f"{base}/md5/{md5}/tiny-1.0.tar.gz", f"{base}/{md5}/tiny-1.0.tar.gz"):
        response = get(url)
        assert response.status_code == 200 and response.content == served.tarball
    head = get(f"{base}/md5/{md5}/tiny-1.0.tar.gz", method="HEAD")
    assert head.status_code == 200 and int(head.headers["Content-Length"]) == len(served.tarball)
    assert get(f"{base}/md5/{'0' * 32}/tiny-1.0.tar.gz").status_code == 404


def test_per_task_log_and_health(served: Served) -> None:
    log = get(f"{served.url}/per-task-logs/3.log")
    assert log.status_code == 200 and log.headers["Content-Type"].startswith("text/plain")
    assert "importing tiny-1.0-1 into @copr/proj/tiny" in log.text
    assert get(f"{served.url}/per-task-logs/4.log").status_code == 404
    assert get(f"{served.url}/health").json() == {"status": "ok"}
    served.health["ready"] = False
    assert get(f"{served.url}/health").status_code == 503


@pytest.mark.parametrize("path", [
    "/git/@copr/proj/tiny/../../../../etc/passwd", "/git/@copr/proj/tiny/%2e%2e/%2e%2e/x",
    "/repo/pkgs/../../etc/passwd", "/per-task-logs/..%2f..%2fetc%2fpasswd", "/etc/passwd",
])
def test_paths_outside_the_roots_are_not_served(served: Served, path: str) -> None:
    host, port = served.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("GET", path)  # sent as written: no client-side normalisation
    assert connection.getresponse().status == 404
    connection.close()


def test_symlinks_out_of_a_root_are_not_followed(served: Served) -> None:
    secret = served.config.git_root.parent / "secret"
    secret.write_text("secret\n")
    folder = served.config.lookaside_root / "o/p/x/a.tar.gz" / ("1" * 32)
    folder.mkdir(parents=True)
    os.symlink(secret, folder / "a.tar.gz")
    assert get(f"{served.url}/repo/pkgs/o/p/x/a.tar.gz/md5/{'1' * 32}/a.tar.gz").status_code == 404


def test_other_methods(served: Served) -> None:
    with requests.Session() as session:
        session.trust_env = False
        assert session.post(f"{served.url}/health", data=b"x", timeout=10).status_code == 405
        assert session.post(f"{served.url}/git/@copr/proj/tiny/git-receive-pack", data=b"x",
                            timeout=10).status_code == 403


def test_smart_can_be_turned_off(served: Served) -> None:
    response = get(f"{served.url}/git/@copr/proj/tiny/info/refs?service=git-upload-pack")
    assert response.status_code == 200
    smart = response.headers["Content-Type"] == "application/x-git-upload-pack-advertisement"
    assert smart is served.config.smart_http
