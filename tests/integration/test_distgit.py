"""The dist-git component in real containers: the service keeps polling a frontend that has no
/backend/importing/ yet, SRPMs imported inside the container can be cloned over HTTP (inside the
stack and from the host), lookaside files download, and an import through the worker's own code
path (with a fake frontend inside the container) reports the branch commits."""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from harness import wait
from harness.naming import resource_name
from harness.podman.engine import Engine
from tests.unit.services.distgit.srpms import HAVE_TOOLS, MISSING_TOOLS, build_srpm

from .copr_stack import running

pytestmark = [pytest.mark.integration, pytest.mark.skipif(not HAVE_TOOLS, reason=MISSING_TOOLS)]

LOCAL = "http://127.0.0.1:5001"
USER = "copr-dist-git"

# Runs inside the container as the service user: a fake frontend on loopback that lists one
# import and serves its SRPM, and one poll of the real worker against it.
WORKER_RUN = """\
import json, sys, threading, time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from copr_dist_git.config import Config
from copr_dist_git.worker import Worker

srpm = open(sys.argv[1], "rb").read()
record = {"build_id": 902, "owner": "alice", "project": "proj", "branches": ["f44", "master"],
          "pkg_name": "tiny", "srpm_url": "", "sandbox": "alice/proj--alice", "background": False}
reports = []

class Fake(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass
    def answer(self, body, kind="application/json"):
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        if self.path == "/backend/importing/":
            self.answer(json.dumps([] if reports else [record]).encode())
        elif self.path == "/backend/get-import-task/902":
            self.answer(json.dumps(record).encode())
        else:
            self.answer(srpm, "application/x-rpm")
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        reports.append({"authorization": self.headers.get("Authorization", ""), "payload": json.loads(body)})
        self.answer(b'{"updated": true}')

server = ThreadingHTTPServer(("127.0.0.1", 0), Fake)
threading.Thread(target=server.serve_forever, daemon=True).start()
url = "http://127.0.0.1:%d" % server.server_address[1]
record["srpm_url"] = url + "/results/00000902/tiny.src.rpm"
worker = Worker(replace(Config.from_env(), frontend_url=url, backend_password="pw"))
started = time.monotonic()
worker.run_once()
seconds = time.monotonic() - started
worker.stop()
print(json.dumps({"reports": reports, "seconds": seconds}))
"""


@dataclass
class DistGit:
    """A running run with dist-git: its engine, container name and URL from the host."""

    engine: Engine
    container: str
    url: str

    def run(self, *command: str, user: str | None = None) -> str:
        result = self.engine.exec(self.container, list(command), user=user)
        assert result.ok, f"{' '.join(command)}: exit {result.exit_code}: {result.output}"
        return result.output

    def put(self, path: Path, name: str) -> str:
        self.engine.put_files(self.container, "/tmp", {name: path.read_bytes()})
        return f"/tmp/{name}"

    def import_srpm(self, srpm: Path, *args: str) -> dict:
        inside = self.put(srpm, srpm.name)
        output = self.run("copr-dist-git", "import-srpm", inside, *args, user=USER)
        return json.loads(output[output.index("{"):])


@pytest.fixture(scope="module")
def distgit(engine: Engine, built_images: dict) -> Iterator[DistGit]:
    with running(engine, components=["database", "frontend", "distgit"]) as info:
        container = resource_name(info.run_id, "distgit")
        url = f"http://127.0.0.1:{engine.published_port(container, 5001)}"
        yield DistGit(engine, container, url)


def host_get(url: str) -> requests.Response:
    with requests.Session() as session:
        session.trust_env = False  # the published port is on loopback: never through a proxy
        return session.get(url, timeout=10)


def test_service_is_up_and_keeps_polling(distgit: DistGit) -> None:
    health = host_get(f"{distgit.url}/health").json()
    assert (health["status"], health["worker"]) == ("ok", "polling")
    assert (health["version"], health["copr_common"]) == ("1.6-1", "1.7")
    assert distgit.run("rpm", "-q", "copr-dist-git").strip() == "copr-dist-git-1.6-1.noarch"
    log = distgit.engine.logs(distgit.container)
    assert "polling http://frontend:5000/backend/importing/" in log
    if health["frontend"] != "ok":
        # The frontend does not offer the route (yet): said when it starts (and once a minute),
        # not at every poll, and the worker goes on.
        assert "answered 404" in health["frontend"]
        assert 1 <= log.count("polling the frontend: GET") < 5
    assert "svc: stopped" not in log
    # A frontend without the route, whatever the real one offers: dist-git's own port answers 404.
    result = distgit.engine.exec(distgit.container, ["copr-dist-git", "work", "--once",
                                                     "--frontend-url", LOCAL], user=USER)
    assert result.exit_code == 1 and "importing/ answered 404" in result.output


def test_import_then_clone_inside_and_from_the_host(distgit: DistGit, tmp_path: Path) -> None:
    srpm = build_srpm(tmp_path)
    started = time.monotonic()
    result = distgit.import_srpm(srpm, "--owner", "@copr", "--project", "proj", "--branch", "f44",
                                 "--branch", "master", "--build-id", "901")
    print(f"import-srpm of a tiny SRPM through podman exec: {time.monotonic() - started:.2f} s")
    commit = result["branch_commits"]["f44"]
    assert result["branch_commits"] == {"f44": commit, "master": commit}
    assert result["reponame"] == "@copr/proj/tiny"

    # Inside the stack, as a builder clones: no ".git" suffix; and a shallow clone with it.
    distgit.run("git", "clone", "-q", f"{LOCAL}/git/@copr/proj/tiny", "/tmp/clone-a")
    assert distgit.run("cat", "/tmp/clone-a/tiny.spec").startswith("Name: tiny")
    assert distgit.run("git", "-C", "/tmp/clone-a", "rev-parse", "HEAD").strip() == commit
    distgit.run("git", "clone", "-q", "--depth", "1", f"{LOCAL}/git/@copr/proj/tiny.git", "/tmp/clone-b")

    tarball = (tmp_path / "rpmbuild-tiny-1.0-1" / "SOURCES" / "tiny-1.0.tar.gz").read_bytes()
    md5 = hashlib.md5(tarball).hexdigest()
    assert distgit.run("cat", "/tmp/clone-a/sources").strip() == f"{md5}  tiny-1.0.tar.gz"
    lookaside = f"/repo/pkgs/@copr/proj/tiny/tiny-1.0.tar.gz/md5/{md5}/tiny-1.0.tar.gz"
    distgit.run("curl", "-fsS", "-o", "/tmp/tiny-1.0.tar.gz", f"{LOCAL}{lookaside}")
    assert distgit.run("md5sum", "/tmp/tiny-1.0.tar.gz").split()[0] == md5

    # From the host, through the published loopback port.
    assert host_get(f"{distgit.url}{lookaside}").content == tarball
    assert "importing tiny-1.0-1" in host_get(f"{distgit.url}/per-task-logs/901.log").text
    clone = tmp_path / "host-clone"
    subprocess.run(["git", "clone", "-q", f"{distgit.url}/git/@copr/proj/tiny", str(clone)], check=True,
                   capture_output=True, timeout=60, env={"PATH": "/usr/bin:/bin", "NO_PROXY": "127.0.0.1",
                                                         "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(tmp_path)})
    assert (clone / "tiny.spec").is_file()


def test_reimport_of_a_new_version_goes_on_top(distgit: DistGit, tmp_path: Path) -> None:
    first = distgit.import_srpm(build_srpm(tmp_path, name="again"), "--owner", "bob", "--project", "p",
                                "--branch", "f44")
    second = distgit.import_srpm(build_srpm(tmp_path, name="again", version="2.0"), "--owner", "bob",
                                 "--project", "p", "--branch", "f44", "--branch", "master")
    new = second["branch_commits"]["f44"]
    assert second["actions"] == {"f44": "commit", "master": "create"}
    distgit.run("git", "clone", "-q", f"{LOCAL}/git/bob/p/again", "/tmp/clone-again")
    parent = distgit.run("git", "-C", "/tmp/clone-again", "rev-parse", f"{new}^").strip()
    assert parent == first["branch_commits"]["f44"]


def test_worker_imports_and_reports_inside_the_container(distgit: DistGit, tmp_path: Path) -> None:
    srpm = distgit.put(build_srpm(tmp_path), "worker-tiny.src.rpm")
    distgit.engine.put_files(distgit.container, "/tmp", {"worker_run.py": WORKER_RUN.encode()})
    output = distgit.run("python3", "/tmp/worker_run.py", srpm, user=USER)
    outcome = json.loads(output.strip().splitlines()[-1])
    print(f"worker: poll, download, import, report of a tiny SRPM: {outcome['seconds']:.2f} s")
    [report] = outcome["reports"]
    assert report["authorization"].startswith("Basic ")
    payload = report["payload"]
    assert payload["build_id"] == 902 and payload["reponame"] == "alice/proj/tiny"
    commit = payload["branch_commits"]["f44"]
    assert payload["branch_commits"] == {"f44": commit, "master": commit}
    refs = distgit.run("git", "ls-remote", f"{LOCAL}/git/alice/proj/tiny")
    assert f"{commit}\trefs/heads/master" in refs
    assert outcome["seconds"] < 5


def test_repositories_survive_a_service_restart(distgit: DistGit, tmp_path: Path) -> None:
    distgit.import_srpm(build_srpm(tmp_path, name="kept"), "--owner", "carol", "--project", "p",
                        "--branch", "f44")
    distgit.run("svc", "restart", "copr-dist-git")

    def answers() -> None:
        try:
            response = host_get(f"{distgit.url}/health")
        except requests.RequestException as error:
            raise wait.NotYet(str(error)) from None
        if not response.ok:
            raise wait.NotYet(f"health answered {response.status_code}")

    wait.until(answers, what="dist-git to answer after a restart", timeout=30)
    assert "refs/heads/f44" in distgit.run("git", "ls-remote", f"{LOCAL}/git/carol/p/kept")

