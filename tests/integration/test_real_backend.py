"""The real copr-backend 2.11 from PyPI as the stack's backend (scenarios/real-backend.yaml):
one build goes from copr-cli to succeeded through upstream's dispatcher and worker: SRPM build
on a builder, dist-git import, RPM build on a builder (allocated by the glue's allocator,
results fetched with rsync), signed through keygen, createrepo'd by copr-repo, served."""

from __future__ import annotations

import gzip
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from harness import wait
from harness.podman.engine import Engine
from harness.naming import resource_name
from harness.stack.registry import RunInfo

from ..support.srpms import make_srpm
from .copr_stack import Stack, client_view, running

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "default.yaml"
RESULTS = "/var/lib/copr/public_html/results"
CHROOT = "fedora-44-x86_64"


class RealStack:
    def __init__(self, engine: Engine, info: RunInfo, stack: Stack, up_seconds: float) -> None:
        self.engine = engine
        self.info = info
        self.stack = stack
        self.up_seconds = up_seconds
        self.backend = resource_name(stack.run_id, "backend")

    def exec(self, *command: str) -> str:
        result = self.engine.exec(self.backend, list(command))
        assert result.ok, f"{' '.join(command)}: exit {result.exit_code}: {result.output}"
        return result.output


@pytest.fixture(scope="module")
def real(engine: Engine, built_images: dict) -> Iterator[RealStack]:
    began = time.monotonic()
    with running(engine, SCENARIO) as info:
        up_seconds = time.monotonic() - began
        print(f"real-backend stack up in {up_seconds:.1f}s")
        yield RealStack(engine, info, client_view(engine, info), up_seconds)


def health(real: RealStack) -> requests.Response:
    return requests.get(f"{real.stack.env['BACKEND_URL']}/health", timeout=10)


def test_health_means_ready_to_take_a_build(real: RealStack) -> None:
    assert health(real).ok
    real.exec("svc", "stop", "copr-backend-build")
    try:
        stopped = health(real)
        assert stopped.status_code == 503 and stopped.json()["copr-backend-build"] is False
    finally:
        real.exec("svc", "start", "copr-backend-build")

    def ready() -> None:
        answer = health(real)
        if not answer.ok:
            raise wait.NotYet(f"/health answered {answer.status_code}: {answer.text}")

    wait.until(ready, what="the backend's /health after its build dispatcher restarted", timeout=60)


def test_the_backend_is_upstreams_2_11(real: RealStack, cli) -> None:
    shown = cli("exec", "--run-id", real.stack.run_id, "backend", "--", "rpm", "-q", "copr-backend")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip().startswith("copr-backend-2.11-"), shown.stdout
    # Upstream's module, not the stand-in's: 2.11's worker has the builder version gate, which
    # default.yaml's patch raises from 2.11's 1.3.1 to HEAD's 1.6.1.
    source = real.exec("python3", "-c", "import copr_backend.background_worker_build as m; "
                                        "print(open(m.__file__).read())")
    assert 'MIN_BUILDER_VERSION = "1.6.1"' in source and '"1.3.1"' not in source
    assert real.exec("python3", "-c", "import copr_common, copr_common.lock; "
                                      "print(hasattr(copr_common.lock, 'lock'))").strip() == "True"
    # The scenario's memory_mb raises this container's limit only (2.11's daemons need it).
    limit = real.exec("bash", "-c", "cat /sys/fs/cgroup/memory.max 2>/dev/null || "
                                    "cat /sys/fs/cgroup/memory/memory.limit_in_bytes").strip()
    assert limit == str(768 * 1024 * 1024), limit


def test_one_build_goes_from_submit_to_a_signed_published_rpm(real: RealStack, tmp_path: Path) -> None:
    stack = real.stack
    project = f"r{secrets.token_hex(4)}"
    created = stack.copr("create", project, "--chroot", CHROOT)
    assert created.returncode == 0, created.stderr
    began = time.monotonic()
    build_id = stack.submit(project, make_srpm(tmp_path, "hello"))
    state = stack.wait_build(build_id, timeout=240, what=f"build {build_id} of the real backend to finish")
    latency = time.monotonic() - began
    print(f"real backend: up {real.up_seconds:.1f}s, build submit -> {state} {latency:.1f}s")
    assert state == "succeeded", real.engine.logs(real.backend)[-3000:]

    chroot_dir = f"{RESULTS}/alice/{project}/{CHROOT}"
    rpms = [line for line in real.exec("find", chroot_dir, "-name", "hello-*.rpm").split()
            if not line.endswith(".src.rpm")]
    assert rpms, f"no binary RPM under {chroot_dir}"
    # Signed with the project's key (from keygen, published by the real backend).
    pubkey = f"{RESULTS}/alice/{project}/pubkey.gpg"
    checked = real.exec("bash", "-c", f"set -e; db=$(mktemp -d); rpmkeys --dbpath $db --import {pubkey}; "
                                      f"rpmkeys --dbpath $db --checksig {rpms[0]}")
    assert "signatures OK" in checked or "digests signatures OK" in checked, checked
    # copr-repo's createrepo_c run lists it in the repository the clients read.
    backend_url = stack.env["BACKEND_URL"]
    repomd = requests.get(f"{backend_url}/results/alice/{project}/{CHROOT}/repodata/repomd.xml",
                          timeout=10)
    assert repomd.ok, repomd.status_code
    primary_href = repomd.text.split('<location href="')[1:]
    primary = next(h.split('"')[0] for h in primary_href if "primary.xml" in h.split('"')[0])
    listing = requests.get(f"{backend_url}/results/alice/{project}/{CHROOT}/{primary}", timeout=10)
    assert Path(rpms[0]).name in gzip.decompress(listing.content).decode()

    # 2.11's ssh steps on the builder went through one master connection, still open for the
    # next build (the glue's builder_config: ControlMaster, ControlPersist).
    info = real.exec("cat", f"{chroot_dir}/{build_id:08d}-hello/build.info")
    builder = info.split("builder_ip=")[1].split()[0]
    master = real.exec("setpriv", "--reuid=copr", "--regid=copr", "--init-groups", "ssh", "-F",
                       "/var/lib/copr/.ssh/builder_config", "-O", "check", f"root@{builder}")
    assert "Master running" in master, master

    # Done by upstream's build worker: its own lines, drained from redis by the log daemon.
    worker_log = real.exec("cat", "/var/log/copr-backend/worker.log")
    assert f"Finished build: id={build_id} failed=False" in worker_log, worker_log[-2000:]
    assert "Worker succeeded build" in worker_log
    # The project's actions ran in the glue's action worker: key generation, then createrepo
    # (2.11's build worker waits for that repository before it builds).
    actions = real.exec("cat", "/var/log/copr-backend/actions.log")
    for kind in ("GenerateGpgKey", "Createrepo"):
        ran = [line for line in actions.splitlines() if f"running <{kind}(Action)" in line]
        assert ran, f"no {kind} action in actions.log:\n{actions[-2000:]}"
    assert actions.count("ended: success") >= 2, actions[-2000:]
