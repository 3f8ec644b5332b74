"""Hardening of the stand-in services against hostile builds and clients (issue 18), on one stack.

A build plants links to the stack's secrets in its results; a project's tree makes createrepo_c
walk the backend's whole file system; build code asks the keygen for a signature; clients send
bodies that bypass a cap, overlong request lines, idle and half-finished requests. Each test says
what the stack answered before the fix in its docstring.
"""

from __future__ import annotations

import re
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from harness import wait
from harness.model.components import services
from harness.podman.engine import Engine
from harness.stack import RunInfo

from ..sanity._builds import CHROOT, RESULTS_DIR, build_dir
from ..support.srpms import FILES, make_srpm
from .copr_stack import Stack
from .run_secrets import stack_env

pytestmark = pytest.mark.integration

OWNER = "alice"
BUILD_TIMEOUT = 300
BACKEND_KEY = "/var/lib/copr/state/builder_id_ed25519"
# %build plants links in the directory rpmbuild writes the RPMs to (the builder's result dir).
PLANTED = {"key": BACKEND_KEY, "environ": "/proc/self/environ", "root": "/"}
PLANT = "%build\n" + "".join(f"ln -s {target} %{{_rpmdir}}/{name}\n" for name, target in PLANTED.items())


def container(info: RunInfo, short: str) -> str:
    return f"{info.run_id}-{short}"


def sh(engine: Engine, info: RunInfo, short: str, script: str, user: str | None = None) -> str:
    result = engine.exec(container(info, short), ["bash", "-c", script], user=user)
    assert result.ok, f"{short}: {script}\n{result.output}"
    return result.output


def build(copr: Stack, project: str, srpm: Path) -> int:
    result = copr.copr("build", f"{OWNER}/{project}", str(srpm), "--nowait")
    assert result.returncode == 0, result.stdout + result.stderr
    return int(result.stdout.split("Created builds:")[1].split()[0])


def ended(copr: Stack, build_id: int) -> str:
    """Wait (bounded) until the build has ended; its final state."""
    def check() -> str:
        state = requests.get(f"{copr.frontend_url}/api_3/build/{build_id}", timeout=10).json()["state"]
        if state in ("succeeded", "failed", "canceled", "skipped"):
            return state
        raise wait.NotYet(f"build {build_id} is {state}")

    return wait.until(check, what=f"build {build_id} to end", timeout=BUILD_TIMEOUT)


def task_log(copr: Stack, project: str, build_id: int, package: str, name: str = "backend.log") -> str:
    url = f"{copr.env['BACKEND_URL']}/results/{build_dir(OWNER, project, CHROOT, build_id, package)}/{name}"
    response = requests.get(url, timeout=10)
    assert response.ok, url
    return response.text


# -- item 1: planted links -----------------------------------------------------------------------


def test_a_build_planting_links_to_secrets_gets_nothing_served(engine, stack_run, copr, tmp_path):
    """Before: `key`, `environ` and `root/` were served (200): the builders' SSH key, the results
    server's environment with the backend password, a listing of the backend's /."""
    project = copr.new_project(name="planted")
    first = build(copr, project, make_srpm(tmp_path / "a", "planter", PLANT + FILES.format(name="planter")))
    assert ended(copr, first) == "succeeded"
    secrets = [stack_env(engine, container(stack_run, "backend"), name).strip()
               for name in ("BACKEND_PASSWORD", "BUILDER_SSH_KEY")]
    key_line = secrets[1].splitlines()[1]  # a line of the private key's body
    base = f"{copr.env['BACKEND_URL']}/results/{build_dir(OWNER, project, CHROOT, first, 'planter')}"
    served = {}
    for path in ("key", "environ", "root/", "root/etc/passwd", f"root{BACKEND_KEY}", "root/proc/self/environ"):
        response = requests.get(f"{base}/{path}", timeout=10)
        served[path] = response.status_code
        assert secrets[0] not in response.text and key_line not in response.text, path
    assert set(served.values()) == {404}, served
    listing = requests.get(f"{base}/", timeout=10).text
    listed = set(re.findall(r'href="([^"]+)"', listing))
    assert not listed & {name for planted in PLANTED for name in (planted, f"{planted}/")}, listed
    # The builder drops them (it copies only the files a build makes); a builder that did not
    # would have them dropped by the backend as it unpacks the results (tests/unit/.../test_fetch.py).
    logs = task_log(copr, project, first, "planter") + task_log(copr, project, first, "planter", "builder-live.log")
    assert re.search(r"[Dd]ropped from the results: .*\bkey\b", logs), logs[-2000:]
    # The project keeps building.
    second = build(copr, project, make_srpm(tmp_path / "b", "after", FILES.format(name="after")))
    assert ended(copr, second) == "succeeded"


@pytest.mark.parametrize("short, pattern", [("backend", "[c]opr_backend_glue.results"),
                                            ("distgit", "[c]opr_dist_git serve")])
def test_no_process_serving_files_holds_a_secret_in_its_environment(engine, stack_run, short, pattern):
    """Before: the backend password (and the builders' key) were in /proc/<pid>/environ of the
    results server and of dist-git, although removed from os.environ."""
    pids = sh(engine, stack_run, short, f"pgrep -f '{pattern}'").split()
    assert pids
    for pid in pids:
        # Only the process's own user may read it (root has no CAP_SYS_PTRACE in a container).
        owner = sh(engine, stack_run, short, f"stat -c %U /proc/{pid}").strip()
        environ = sh(engine, stack_run, short, f"tr '\\0' '\\n' < /proc/{pid}/environ", user=owner)
        # Variable names only: a failure must not print a secret's value (a key spans lines).
        names = {m.group(1) for m in re.finditer(r"^([A-Za-z_][A-Za-z0-9_]*)=", environ, re.MULTILINE)}
        held = names & {"BACKEND_PASSWORD", "BUILDER_SSH_KEY", "DB_PASSWORD"}
        assert names and not held, f"process {pid} of {short} holds {sorted(held)} in its environment"


# -- item 2: createrepo_c timeout ----------------------------------------------------------------


def test_a_createrepo_that_walks_everything_is_stopped_and_other_projects_build(engine, stack_run, copr,
                                                                               tmp_path):
    """A link to / in a project's chroot directory (left by an older backend) made createrepo_c
    walk the backend's whole file system with no end. The glue's copr-repo stops it (timeout
    lowered for the test: COPR_BACKEND_CREATEREPO_TIMEOUT). The project's Createrepo action then
    fails, and 2.11's build worker, which waits for the project's repository before it builds,
    fails the build; other projects build meanwhile."""
    services = "copr-backend-build copr-backend-action"
    # Before the projects exist: their createrepo actions must already run with the knob.
    sh(engine, stack_run, "backend", "echo COPR_BACKEND_CREATEREPO_TIMEOUT=20 >> /etc/copr-harness/stack.env"
       f" && svc restart {services}")
    stalled, other = copr.new_project(name="stalled"), copr.new_project(name="bystander")
    chroot_dir = f"{RESULTS_DIR}/{OWNER}/{stalled}/{CHROOT}"
    sh(engine, stack_run, "backend", f"mkdir -p {chroot_dir} && ln -sfn / {chroot_dir}/loop", user="copr")
    try:
        hung = build(copr, stalled, make_srpm(tmp_path / "s", "stalled", FILES.format(name="stalled")))
        fine = build(copr, other, make_srpm(tmp_path / "o", "bystander", FILES.format(name="bystander")))
        assert ended(copr, fine) == "succeeded"
        assert ended(copr, hung) == "failed"
        actions = sh(engine, stack_run, "backend", "cat /var/log/copr-backend/actions.log")
        assert f"{chroot_dir}: createrepo_c did not finish within 20s: stopped" in actions, actions[-3000:]
        assert "Waiting for copr_base repository" in task_log(copr, stalled, hung, "stalled")
    finally:
        sh(engine, stack_run, "backend", f"rm -f {chroot_dir}/loop && sed -i '/CREATEREPO_TIMEOUT/d' "
           f"/etc/copr-harness/stack.env && svc restart {services}")  # the test's knob goes


# -- item 3: keygen only for the backend ---------------------------------------------------------


def test_build_code_gets_no_signature_from_the_keygen(engine, stack_run, copr, tmp_path):
    """Before: from a builder, POST /sign/<another project's key> answered 200 and
    `rpmkeys --checksig` accepted the forged signature."""
    project = copr.new_project(name="victim")
    first = build(copr, project, make_srpm(tmp_path / "v", "victim", FILES.format(name="victim")))
    assert ended(copr, first) == "succeeded"  # the backend signs: the key exists
    rpm = f"{copr.env['BACKEND_URL']}/results/{build_dir(OWNER, project, CHROOT, first, 'victim')}" \
          "/victim-1.0-1.fc44.noarch.rpm"
    local = tmp_path / "victim.rpm"
    local.write_bytes(requests.get(rpm, timeout=30).content)
    subprocess.run(["rpmsign", "--delsign", str(local)], check=True, capture_output=True)
    builder = container(stack_run, "builder-1")
    engine.put_files(builder, "/tmp", {"unsigned.rpm": local.read_bytes()})
    sign = f"http://keygen:5003/sign/{OWNER}%23{project}@copr.fedorahosted.org?hash=sha256"
    answer = sh(engine, stack_run, "builder-1",
                "curl -sS --max-time 30 -o /tmp/forged.rpm -w '%{http_code}' -X POST "
                f"-H 'Content-Type: application/x-rpm' --data-binary @/tmp/unsigned.rpm '{sign}'")
    assert answer.strip() == "403"
    for path in ("/ping", f"/pubkey/{OWNER}%23{project}@copr.fedorahosted.org"):
        assert sh(engine, stack_run, "builder-1", "curl -sS --max-time 30 -o /dev/null -w '%{http_code}' "
                  f"http://keygen:5003{path}").strip() == "403"
    pubkey = requests.get(f"{copr.env['BACKEND_URL']}/results/{OWNER}/{project}/pubkey.gpg", timeout=10).text
    engine.put_files(builder, "/tmp", {"victim.gpg": pubkey.encode()})
    checked = engine.exec(builder, ["bash", "-c", "rm -rf /tmp/db && mkdir /tmp/db && rpmkeys --dbpath /tmp/db "
                                    "--import /tmp/victim.gpg && rpmkeys --dbpath /tmp/db --checksig /tmp/forged.rpm"])
    assert not checked.ok and "signatures OK" not in checked.output, checked.output
    # The backend itself still gets its signatures.
    assert sh(engine, stack_run, "backend", "curl -sS -o /dev/null -w '%{http_code}' "
              "http://keygen:5003/ping").strip() == "200"


# -- item 4: memory limits -----------------------------------------------------------------------


def test_every_container_runs_under_its_memory_limit(engine, stack_run):
    """Before: no container had a limit (memory.limit_in_bytes was the maximum)."""
    defined = services()
    for component, spec in defined.items():
        for name in (instance.name for instance in spec.instances(stack_run.run_id)):
            limit = engine.exec(name, ["bash", "-c", "cat /sys/fs/cgroup/memory.max 2>/dev/null || "
                                       "cat /sys/fs/cgroup/memory/memory.limit_in_bytes"]).output.strip()
            assert limit == str(spec.memory_mb * 1024 * 1024), f"{name}: {limit}"


# -- items 4, 5 and 16: dist-git and frontend against hostile clients ----------------------------


def published(copr: Stack, variable: str) -> tuple[str, int]:
    host, port = copr.env[variable].removeprefix("http://").rstrip("/").split(":")
    return host, int(port)


def answer_to(address: tuple[str, int], request: bytes, timeout: float = 15) -> int:
    """The status a server answers to a raw request (the test fails if none comes in time)."""
    with socket.create_connection(address, timeout=timeout) as sock:
        sock.sendall(request)
        head = b""
        while b"\r\n" not in head:
            chunk = sock.recv(4096)
            assert chunk, f"connection closed without an answer to {request[:60]!r}"
            head += chunk
    return int(head.split()[1])


def test_dist_git_refuses_bad_bodies_and_long_request_lines(copr):
    """Before: Content-Length -1, chunk size -1 and one huge chunk were buffered (up to 298 MB),
    `Content-Length: abc` dropped the connection, a 70 KB request line raised in log_request."""
    address = published(copr, "DISTGIT_URL")
    pack = "POST /git/alice/p/x.git/git-upload-pack HTTP/1.1\r\nHost: d\r\n"
    cases = {"Content-Length: -1\r\n\r\n": 400, "Content-Length: abc\r\n\r\n": 400,
             "Transfer-Encoding: chunked\r\n\r\n-1\r\n": 400,
             "Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFF\r\n": 413}
    got = {headers: answer_to(address, (pack + headers).encode()) for headers in cases}
    assert got == cases
    assert answer_to(address, b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: d\r\n\r\n") == 414
    assert requests.get(f"{copr.env['DISTGIT_URL']}/health", timeout=10).ok


def test_a_thousand_idle_connections_leave_dist_git_reachable(copr):
    """Before: about 1,000 idle connections made dist-git unreachable."""
    address = published(copr, "DISTGIT_URL")
    idle = []
    try:
        for _ in range(1000):
            idle.append(socket.create_connection(address, timeout=10))
        started = time.monotonic()
        assert answer_to(address, b"GET /health HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n") == 200
        print(f"/health answered in {time.monotonic() - started:.1f}s with {len(idle)} idle connections")
    finally:
        for sock in idle:
            sock.close()


def test_partial_requests_do_not_block_the_frontend_api(copr):
    """Before: 8 to 50 partial requests blocked the frontend's API (gunicorn's 8 threads) for as
    long as the clients kept them open. Three rounds: which worker takes which connection varies."""
    address = published(copr, "FRONTEND_URL")
    for round_ in range(1, 4):
        partial = []
        try:
            for _ in range(50):
                sock = socket.create_connection(address, timeout=10)
                sock.sendall(b"GET /api_3/project/list?ownername=alice HTTP/1.1\r\nHost: f\r\n")  # no end
                partial.append(sock)
            time.sleep(1)  # let the workers take them (a request sent at once would race them)
            started = time.monotonic()
            response = requests.get(f"{copr.frontend_url}/api_3/project/list", params={"ownername": OWNER},
                                    timeout=30)
            took = time.monotonic() - started
            assert response.ok and took < 15, \
                f"round {round_}: the API answered {response.status_code} after {took:.1f}s"
            print(f"round {round_}: the API answered in {took:.1f}s with 50 partial requests open")
        finally:
            for sock in partial:
                sock.close()
