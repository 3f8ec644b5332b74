"""The backend component of the default stack: upstream's copr-backend 2.11 from PyPI with the
scenario's patches, its services and readiness, one build from copr-cli to a signed, published
RPM through upstream's dispatcher and worker (SRPM build on a builder, dist-git import, RPM build
on a builder handed out by the glue's allocator, results fetched with rsync, signed through the
keygen, createrepo'd by copr-repo) and announced on the broker, the harness's suite runner's
message check, the results web server, its secrets, and its results across a container
restart. (How the dispatchers ride out a restarted frontend: test_faults.py.)"""

from __future__ import annotations

import gzip
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from harness import paths, stack, wait
from harness.gates import suites
from harness.messages import bus, suite_check
from harness.messages.bus import TOPICS_PER_CHROOT
from harness.messages.checks import check_build
from harness.model.components import all_components
from harness.naming import resource_name
from harness.podman.engine import Engine, ExecResult
from harness.stack import faults
from harness.stack.registry import RunInfo

from ..support.srpms import make_srpm
from .copr_stack import Stack

pytestmark = pytest.mark.integration

RESULTS = "/var/lib/copr/public_html/results"
CHROOT = "fedora-44-x86_64"
LOGS = "/var/log/copr-backend"
SERVICES = ["copr-backend-action", "copr-backend-allocator", "copr-backend-build",
            "copr-backend-log", "copr-backend-redis", "copr-backend-results"]


class Backend:
    """The run's backend container and the URL of its published results port."""

    def __init__(self, engine: Engine, info: RunInfo) -> None:
        self.engine = engine
        self.info = info
        self.container = resource_name(info.run_id, "backend")
        self.url = stack.url(engine, info.run_id, all_components()["backend"])

    def exec(self, *command: str) -> ExecResult:
        return self.engine.exec(self.container, list(command))

    def must(self, *command: str) -> str:
        result = self.exec(*command)
        assert result.ok, f"{' '.join(command)}: exit {result.exit_code}: {result.output}"
        return result.output

    def python(self, code: str) -> str:
        return self.must("python3", "-c", code).strip()

    def log(self, name: str) -> str:
        return self.must("cat", f"{LOGS}/{name}")


@pytest.fixture(scope="module")
def backend(engine: Engine, stack_run: RunInfo) -> Iterator[Backend]:
    yield Backend(engine, stack_run)


def test_the_backend_is_upstreams_package_with_the_scenarios_patches(backend: Backend, cli) -> None:
    shown = cli("exec", "--run-id", backend.info.run_id, "backend", "--", "rpm", "-q", "copr-backend")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == "copr-backend-2.11-1.noarch"
    # Every installed file is the one the package holds (nothing rewritten at start-up).
    backend.must("rpm", "-V", "copr-backend", "copr-backend-glue")
    # 2.11 ships MIN_FE_BE_API 7 and MIN_BUILDER_VERSION 1.3.1; default.yaml's patches give it
    # HEAD's gates.
    assert backend.python("from copr_backend.frontend import MIN_FE_BE_API as v; print(v)") == "9"
    assert backend.python("from copr_backend.background_worker_build import MIN_BUILDER_VERSION "
                          "as v; print(v)") == "1.6.1"
    # The module is upstream's (its own docstring), beside the copr-common it imports lock() from.
    assert "The logic behind contacting Copr Frontend from Backend" in backend.python(
        "import copr_backend.frontend as m; print(m.__doc__)")
    assert backend.python("import copr_common.lock as m; print(hasattr(m, 'lock'))") == "True"
    # component.yaml's memory_mb (2.11's daemons need it).
    limit = backend.must("bash", "-c", "cat /sys/fs/cgroup/memory.max 2>/dev/null || "
                                       "cat /sys/fs/cgroup/memory/memory.limit_in_bytes").strip()
    assert limit == str(768 * 1024 * 1024), limit


def test_health_means_ready_to_take_a_build(backend: Backend) -> None:
    def health() -> requests.Response:
        return requests.get(f"{backend.url}/health", timeout=10)

    assert health().ok
    backend.must("svc", "stop", "copr-backend-build")
    try:
        stopped = health()
        assert stopped.status_code == 503 and stopped.json()["copr-backend-build"] is False
    finally:
        backend.must("svc", "start", "copr-backend-build")

    def ready() -> None:
        answer = health()
        if not answer.ok:
            raise wait.NotYet(f"/health answered {answer.status_code}: {answer.text}")

    wait.until(ready, what="the backend's /health after its build dispatcher restarted", timeout=60)


def test_one_build_goes_from_submit_to_a_signed_published_rpm(backend: Backend, copr: Stack,
                                                              tmp_path: Path) -> None:
    project = f"r{secrets.token_hex(4)}"
    created = copr.copr("create", project, "--chroot", CHROOT)
    assert created.returncode == 0, created.stderr
    collector = bus.connect(backend.engine, resource_name(backend.info.run_id, "broker"))
    try:
        began = time.monotonic()
        build_id = copr.submit(project, make_srpm(tmp_path, "hello"))
        state = copr.wait_build(build_id, timeout=240, what=f"build {build_id} to finish")
        print(f"build submit -> {state} {time.monotonic() - began:.1f}s")
        assert state == "succeeded", backend.log("worker.log")[-3000:]
        # Its messages on the broker: start, chroot start and end for the source build and the
        # RPM chroot, each valid against copr-messaging's schema and agreeing with the API.
        chroots = ["srpm-builds", CHROOT]
        messages = collector.wait_for_build(build_id, chroots)
    finally:
        collector.close()
    api = requests.get(f"{copr.frontend_url}/api_3/build/{build_id}", timeout=10).json()
    assert check_build(messages, api, chroots) == [], [str(m) for m in messages]
    assert [m.schema for m in messages if m.body["chroot"] == CHROOT] == list(TOPICS_PER_CHROOT)

    chroot_dir = f"{RESULTS}/alice/{project}/{CHROOT}"
    rpms = [line for line in backend.must("find", chroot_dir, "-name", "hello-*.rpm").split()
            if not line.endswith(".src.rpm")]
    assert rpms, f"no binary RPM under {chroot_dir}"
    # Signed with the project's key (from keygen, published by copr-backend).
    pubkey = f"{RESULTS}/alice/{project}/pubkey.gpg"
    checked = backend.must("bash", "-c", f"set -e; db=$(mktemp -d); rpmkeys --dbpath $db --import {pubkey}; "
                                         f"rpmkeys --dbpath $db --checksig {rpms[0]}")
    assert "signatures OK" in checked, checked
    # copr-repo's createrepo_c run lists it in the repository the clients read.
    repomd = requests.get(f"{backend.url}/results/alice/{project}/{CHROOT}/repodata/repomd.xml",
                          timeout=10)
    assert repomd.ok, repomd.status_code
    primary_href = repomd.text.split('<location href="')[1:]
    primary = next(h.split('"')[0] for h in primary_href if "primary.xml" in h.split('"')[0])
    listing = requests.get(f"{backend.url}/results/alice/{project}/{CHROOT}/{primary}", timeout=10)
    assert Path(rpms[0]).name in gzip.decompress(listing.content).decode()

    # 2.11's ssh steps on the builder went through one master connection, still open for the
    # next build (the glue's builder_config: ControlMaster, ControlPersist).
    info = backend.must("cat", f"{chroot_dir}/{build_id:08d}-hello/build.info")
    builder = info.split("builder_ip=")[1].split()[0]
    master = backend.must("setpriv", "--reuid=copr", "--regid=copr", "--init-groups", "ssh", "-F",
                          "/var/lib/copr/.ssh/builder_config", "-O", "check", f"root@{builder}")
    assert "Master running" in master, master

    # Done by upstream's build worker: its own lines, drained from redis by the log daemon.
    worker_log = backend.log("worker.log")
    assert f"Finished build: id={build_id} failed=False" in worker_log, worker_log[-2000:]
    assert "Worker succeeded build" in worker_log
    # The project's actions ran in the glue's action worker: key generation, then createrepo
    # (2.11's build worker waits for that repository before it builds).
    actions = backend.log("actions.log")
    for kind in ("GenerateGpgKey", "Createrepo"):
        ran = [line for line in actions.splitlines() if f"running <{kind}(Action)" in line]
        assert ran, f"no {kind} action in actions.log:\n{actions[-2000:]}"
    assert actions.count("ended: success") >= 2, actions[-2000:]


def test_services_run_as_copr_and_redis_only_on_loopback(backend: Backend) -> None:
    status = backend.must("svc", "status").split()
    assert status == [word for name in SERVICES for word in (name, "running")], status
    users = set(backend.must("ps", "-o", "user=", "-C", "python3").split())
    assert users == {"copr"}, users
    assert backend.must("ps", "-o", "user=", "-C", "redis-server").split() == ["redis"]
    table = backend.must("cat", "/proc/net/tcp", "/proc/net/tcp6").splitlines()
    listening = [line.split()[1] for line in table if line.split()[3:4] == ["0A"]]
    assert [a for a in listening if a.endswith(":18EB")] == ["0100007F:18EB"], listening  # 127.0.0.1:6379


def test_results_server_lists_directories(backend: Backend) -> None:
    build = f"{RESULTS}/@copr/tools/fedora-44-x86_64/00000007-hello"
    backend.must("install", "-d", "-o", "copr", "-g", "copr", build)
    backend.engine.put_files(backend.container, build, {"hello-1.0-1.noarch.rpm": b"rpm", "results.json": b"{}"})
    backend.must("createrepo_c", "--quiet", f"{RESULTS}/@copr/tools/fedora-44-x86_64")

    listing = requests.get(f"{backend.url}/results/@copr/tools/fedora-44-x86_64/", timeout=10)
    assert listing.ok and 'href="00000007-hello/"' in listing.text and 'href="repodata/"' in listing.text
    files = requests.get(f"{backend.url}/results/@copr/tools/fedora-44-x86_64/00000007-hello/", timeout=10)
    assert 'href="hello-1.0-1.noarch.rpm"' in files.text
    repomd = requests.get(f"{backend.url}/results/@copr/tools/fedora-44-x86_64/repodata/repomd.xml", timeout=10)
    assert repomd.ok and "<repomd" in repomd.text
    assert requests.get(f"{backend.url}/results/nobody/", timeout=10).status_code == 404


def test_logs_and_files_hold_no_secrets(backend: Backend) -> None:
    env = backend.must("cat", "/etc/copr-harness/stack.env")
    secrets = [line.split("=", 1)[1].strip("'") for line in env.splitlines()
               if line.startswith(("BACKEND_PASSWORD=", "BUILDER_SSH_KEY="))]
    assert len(secrets) == 2 and all(secrets)
    logs = backend.engine.logs(backend.container) + backend.must(
        "bash", "-c", f"cat {LOGS}/*.log")
    assert not any(secret in logs for secret in secrets)
    assert "PRIVATE KEY" not in logs
    # The password reaches the backend only through copr-be.conf, the key only as a file; both
    # readable by copr alone, and no service has them in its environment.
    assert backend.must("stat", "-c", "%U %a", "/var/lib/copr/.ssh/id_builder").split() == ["copr", "600"]
    assert backend.must("stat", "-c", "%U %G %a", "/etc/copr/copr-be.conf").split() == ["root", "copr", "640"]
    copr_processes = backend.must("pgrep", "-u", "copr").split()
    assert copr_processes
    # (A process may end between pgrep and the read: its missing file is no finding.)
    environments = backend.must("bash", "-c", f"for pid in {' '.join(copr_processes)}; do "
                                              "tr '\\0' '\\n' < /proc/$pid/environ; done 2>/dev/null; true")
    assert not [line for line in environments.splitlines()
                if line.startswith(("BACKEND_PASSWORD=", "BUILDER_SSH_KEY="))]


def test_results_survive_a_container_restart(backend: Backend) -> None:
    backend.must("install", "-d", "-o", "copr", "-g", "copr", f"{RESULTS}/alice/kept")
    backend.engine.put_files(backend.container, f"{RESULTS}/alice/kept", {"pubkey.gpg": b"key"})
    faults.inject(backend.engine, backend.info, "backend", "restart")
    # The published port may change with the restart.
    backend.url = stack.url(backend.engine, backend.info.run_id, all_components()["backend"])
    answer = requests.get(f"{backend.url}/results/alice/kept/pubkey.gpg", timeout=10)
    assert answer.ok and answer.text == "key"


def test_a_suite_run_checks_and_lists_its_builds_messages(backend: Backend) -> None:
    """The harness's own suite runner on this stack: one sanity test that makes one build."""
    code = suites.run(backend.engine, backend.info, "sanity",
                      ["-n", "0", "-k", "test_nowait_status_and_watch_build"])
    listed = suite_check.load(paths.run_dir(backend.info.run_id))
    assert listed is not None, "no messages.json beside the suite's report"
    assert code == 0 and listed["problems"] == [], listed["problems"]
    [messages] = [ms for ms in listed["builds"].values() if any(m["chroot"] == CHROOT for m in ms)]
    assert sorted((m["topic"], m["chroot"]) for m in messages) == sorted(
        (topic, chroot) for chroot in ("srpm-builds", CHROOT) for topic in TOPICS_PER_CHROOT)
