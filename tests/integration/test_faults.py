"""Faults on a real stack: a component is killed, stopped or restarted in the middle of work, and
no build, project or result may be lost (issue 6). Faults land mid-build through gated builds
(gated_builds.py). The backend is upstream's copr-backend 2.11: each build runs in a worker
daemon outside its dispatcher's process tree (issue 13), and every build finishes exactly once.
"""

from __future__ import annotations

import json
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
import testinfra

from harness import wait
from harness.gates.copr_waits import FINISHED
from harness.messages import bus
from harness.paths import ROOT
from harness.podman.engine import Engine
from harness.stack import faults
from harness.stack.registry import RunInfo

from ..sanity._builds import CHROOT, RESULTS_DIR, build_dir, repo_package_names
from ..support.srpms import make_srpm
from .copr_stack import Stack
from .gated_builds import (BUILD_TIMEOUT, BUILDERS, building_on, container, gated_srpm,
                           open_gate, sh)

pytestmark = pytest.mark.integration

OWNER = "alice"


@pytest.fixture
def fault(engine: Engine, stack_run: RunInfo) -> Callable[[str, str], list[str]]:
    """`fault(target, action)`: what `copr-harness fault` does, on this module's stack."""
    return lambda target, action: faults.inject(engine, stack_run, target, action)


# -- helpers ------------------------------------------------------------------------------------


def wait_state(copr: Stack, build_id: int, wanted: str, timeout: float = BUILD_TIMEOUT) -> None:
    """Wait until the build is `wanted`; fail at once if it ends otherwise."""

    state = copr.wait_build(build_id, (wanted, *FINISHED), timeout, what=f"build {build_id} to be {wanted}")
    assert state == wanted, f"build {build_id} ended {state}, not {wanted}"


def log_says(engine: Engine, info: RunInfo, short: str, *texts: str) -> None:
    """Wait until one line of a container's log contains every one of `texts`."""

    def check() -> None:
        lines = engine.logs(container(info, short)).splitlines()
        if not any(all(text in line for text in texts) for line in lines):
            raise wait.NotYet(f"{short} has not logged {texts}")

    wait.until(check, what=f"{short} to log {' ... '.join(texts)}", timeout=BUILD_TIMEOUT)


WORKER_LOG = "/var/log/copr-backend/worker.log"
DISPATCHER_LOG = "/var/log/copr-backend/build_dispatcher.log"


def file_says(engine: Engine, info: RunInfo, path: str, *texts: str) -> str:
    """Wait until one line of the backend's file `path` contains every one of `texts`; return it."""

    def check() -> str:
        text = sh(engine, info, "backend", f"cat {path} 2>/dev/null || true")
        found = [line for line in text.splitlines() if all(t in line for t in texts)]
        if not found:
            raise wait.NotYet(f"{path} has no line with {texts}")
        return found[0]

    return wait.until(check, what=f"{path} to say {' ... '.join(texts)}", timeout=BUILD_TIMEOUT)


def finished_once(engine: Engine, info: RunInfo, build_id: int) -> None:
    """2.11's workers finished the build's RPM task once, and it succeeded: no worker that a
    fault ended reported it, and no second worker built it again after a success."""
    lines = [line for line in sh(engine, info, "backend", f"cat {WORKER_LOG}").splitlines()
             if f"Finished build: id={build_id} " in line and f"chroot={CHROOT}" in line]
    assert len(lines) == 1 and "failed=False" in lines[0], lines


def chroot_rpms(engine: Engine, info: RunInfo, project: str) -> list[str]:
    """Every RPM file under the project's chroot directory of the results tree."""
    out = sh(engine, info, "backend",
             f"cd {RESULTS_DIR}/{OWNER}/{project} 2>/dev/null && find {CHROOT} -name '*.rpm' | sort || true")
    return out.split()


def assert_nothing_lost(engine: Engine, info: RunInfo, copr: Stack, project: str, build_id: int,
                        name: str, tmp_path: Path) -> None:
    """The project exists with exactly its one build, succeeded; the chroot's result directory
    has the signed RPMs and the repository lists them."""
    assert copr.copr("list", OWNER).returncode == 0
    builds = copr.copr("list-builds", f"{OWNER}/{project}")
    assert builds.returncode == 0, builds.stderr
    assert builds.stdout.strip().splitlines() == [f"{build_id}\t{name}\tsucceeded"]
    result_dir = build_dir(OWNER, project, CHROOT, build_id, name)
    rpms = chroot_rpms(engine, info, project)
    assert sorted(Path(r).name for r in rpms) == sorted(
        [f"{name}-1.0-1.fc44.noarch.rpm", f"{name}-1.0-1.fc44.src.rpm"]), rpms
    assert all(r.startswith(result_dir.split("/", 2)[2] + "/") for r in rpms), rpms
    host = testinfra.get_host(f"podman://{container(info, 'backend')}")
    assert repo_package_names(host, f"{RESULTS_DIR}/{OWNER}/{project}/{CHROOT}") == [
        f"{name}.noarch", f"{name}.src"]
    assert_signed(copr, project, [f"{RESULTS_DIR}/{OWNER}/{project}/{r}" for r in rpms],
                  engine, info, tmp_path)


def assert_signed(copr: Stack, project: str, paths: list[str], engine: Engine, info: RunInfo,
                  tmp_path: Path) -> None:
    """Every RPM (downloaded through the results server) passes `rpmkeys --checksig` against
    the project's public key and only it."""
    key = requests.get(f"{copr.env['BACKEND_URL']}/results/{OWNER}/{project}/pubkey.gpg", timeout=10)
    assert key.ok and "BEGIN PGP PUBLIC KEY BLOCK" in key.text
    db = tmp_path / "rpmdb"
    db.mkdir(exist_ok=True)
    (tmp_path / "pubkey.gpg").write_text(key.text)
    subprocess.run(["rpmkeys", "--dbpath", str(db), "--import", str(tmp_path / "pubkey.gpg")], check=True)
    for path in paths:
        url = f"{copr.env['BACKEND_URL']}/results/{path.removeprefix(RESULTS_DIR + '/')}"
        response = requests.get(url, timeout=30)
        assert response.ok, url
        local = tmp_path / Path(path).name
        local.write_bytes(response.content)
        checked = subprocess.run(["rpmkeys", "--dbpath", str(db), "--checksig", str(local)],
                                 capture_output=True, text=True)
        assert checked.returncode == 0 and "signatures OK" in checked.stdout, checked.stdout


# -- the faults ---------------------------------------------------------------------------------


def test_backend_killed_mid_build_then_the_build_completes(engine, stack_run, copr, fault, tmp_path):
    """The backend container is killed while its worker's build waits at the gate on a builder.
    The frontend still has the build running; the restarted dispatcher gives it a new worker.
    The allocator's tickets survive the restart (as resalloc's database does), so the builder
    the killed build still holds is not handed to the new worker; no process holds that ticket
    any more, so the allocator closes it and ends the leftover build (copr-rpmbuild-cancel)
    before that builder serves again. The build is built again, succeeds, finishes once."""
    project = copr.new_project()
    name, srpm = gated_srpm(tmp_path / "src")
    build_id = copr.submit(project, srpm)
    first = building_on(engine, stack_run, name)
    wait_state(copr, build_id, "running")

    fault("backend", "kill")
    assert engine.state(container(stack_run, "backend")) != "running"
    assert copr.build_state(build_id) == "running"  # the frontend still has it
    # The killed backend's build still runs on its builder, at the gate.
    assert engine.exec(container(stack_run, first), ["pgrep", "-f", "copr-rpmbuild"]).ok
    sh(engine, stack_run, first, f"rm -f /tmp/fault-building-{name}")  # the next %build shows itself
    fault("backend", "start")
    log_says(engine, stack_run, "backend", "copr-backend-allocator:", "open tickets kept from before the restart")
    log_says(engine, stack_run, "backend", "copr-backend-allocator:", "no build worker holds it",
             f"{first} waits for its leftover build to end")
    log_says(engine, stack_run, "backend", "copr-backend-allocator:",
             f"{first}: the leftover build of a dead worker is ended")
    building_on(engine, stack_run, name)
    open_gate(engine, stack_run, name)
    wait_state(copr, build_id, "succeeded")
    assert_nothing_lost(engine, stack_run, copr, project, build_id, name, tmp_path)
    finished_once(engine, stack_run, build_id)


def test_builder_killed_mid_build_then_the_other_builder_builds_it(engine, stack_run, copr, fault,
                                                                    tmp_path):
    """The builder is killed while the build waits at its gate. 2.11's worker follows the live
    log over ssh, which breaks; after four broken attempts, 10 s apart, it gives the ticket back
    and asks for another host (BuildRetry, at most MAX_HOST_ATTEMPTS hosts). The allocator found
    the killed builder dead, as resalloc finds a dead machine (the ticket fails: 2.11's liveness
    probe may see it and try to cancel the build there), so the retry gets the other builder:
    the build succeeds there and finishes once."""
    project = copr.new_project()
    name, srpm = gated_srpm(tmp_path / "src")
    build_id = copr.submit(project, srpm)
    lost = building_on(engine, stack_run, name)
    other = next(b for b in BUILDERS if b != lost)
    reaped = engine.logs(container(stack_run, "backend")).count("no build worker holds it")
    try:
        fault(lost, "kill")
        log_says(engine, stack_run, "backend", "copr-backend-allocator:", f"{lost} does not answer")
        again = building_on(engine, stack_run, name, among=(other,))
        file_says(engine, stack_run, WORKER_LOG, "Re-try request for task on", f"hostname={lost}",
                  "SSH problems when downloading live log")
        open_gate(engine, stack_run, name, (again,))
        wait_state(copr, build_id, "succeeded")
    finally:
        fault(lost, "start")
    info = sh(engine, stack_run, "backend",
              f"cat {RESULTS_DIR}/{build_dir(OWNER, project, CHROOT, build_id, name)}/build.info")
    assert f"builder_ip={other}" in info
    # The live worker's ticket was not taken for a dead worker's while the worker tried to
    # cancel the build on the dead builder (its title drops the ticket id meanwhile).
    assert engine.logs(container(stack_run, "backend")).count("no build worker holds it") == reaped
    assert_nothing_lost(engine, stack_run, copr, project, build_id, name, tmp_path)
    finished_once(engine, stack_run, build_id)


def test_keygen_down_while_rpms_wait_for_signing(engine, stack_run, copr, fault, tmp_path):
    """2.11 signs the downloaded RPMs with /bin/sign (obs-signd's client, which asks the keygen);
    a failed call is tried three times, 20 s apart, then the build fails (sign.py). The keygen
    is down when the build reaches signing and back within that budget: the build succeeds
    with signed RPMs, and ran once."""
    project = copr.new_project()
    name, srpm = gated_srpm(tmp_path / "src")
    build_id = copr.submit(project, srpm)
    building_on(engine, stack_run, name)
    sign = f"/bin/sign -u {OWNER}#{project}@"
    try:
        fault("keygen", "stop")
        open_gate(engine, stack_run, name)
        # The RPMs are built and downloaded; the worker's first /bin/sign call failed.
        file_says(engine, stack_run, WORKER_LOG, f"Command '{sign}", "failed with")
        assert copr.build_state(build_id) == "running"
        host = testinfra.get_host(f"podman://{container(stack_run, 'backend')}")
        published = repo_package_names(host, f"{RESULTS_DIR}/{OWNER}/{project}/{CHROOT}")
        assert f"{name}.noarch" not in published, "an unsigned RPM was published"
    finally:
        fault("keygen", "start")
    wait_state(copr, build_id, "succeeded")
    calls = [line for line in sh(engine, stack_run, "backend", f"cat {WORKER_LOG}").splitlines()
             if f"Calling '{sign}" in line]
    assert any("(attempt #1)" in line for line in calls), calls
    assert any("(attempt #2)" in line or "(attempt #3)" in line for line in calls), calls
    assert_nothing_lost(engine, stack_run, copr, project, build_id, name, tmp_path)
    finished_once(engine, stack_run, build_id)


@pytest.mark.slow  # 2.11 looks for dead workers 180 s after it spawned them: make bench
def test_a_killed_build_worker_is_noticed_and_its_build_still_succeeds(engine, stack_run, copr,
                                                                        tmp_path):
    """The build worker is a daemon outside the dispatcher's process tree: SIGKILL it while the
    RPM build waits at its gate. Its ticket, which no process names any more, is closed by the
    allocator, which ends the leftover build. 2.11's WorkerManager finds the worker dead (its
    'PID' no longer answers; it checks 180 s after the start, worker_timeout_deadcheck) and
    forgets it; the task, still running on the frontend, gets a new worker: the build ends
    succeeded, built once more from the start, finished once."""
    project = copr.new_project()
    name, srpm = gated_srpm(tmp_path / "src")
    build_id = copr.submit(project, srpm)
    worker = f"rpm_build_worker:{build_id}-{CHROOT}"
    building_on(engine, stack_run, name)

    def worker_pid() -> int:
        pid = sh(engine, stack_run, "backend", f"redis-cli --raw hget {worker} PID").strip()
        if not pid.isdigit():
            raise wait.NotYet(f"{worker} has no PID in redis yet")
        return int(pid)

    pid = wait.until(worker_pid, what=f"the RPM build worker of build {build_id}", timeout=BUILD_TIMEOUT)
    title = sh(engine, stack_run, "backend", f"tr '\\0' ' ' </proc/{pid}/cmdline")
    assert "ticket_id=" in title, title
    ticket = title.split("ticket_id=")[1].split()[0].rstrip(",)")
    sh(engine, stack_run, "backend", f"kill -KILL {pid}")
    assert engine.exec(container(stack_run, "backend"), ["kill", "-0", str(pid)]).exit_code != 0
    log_says(engine, stack_run, "backend", "copr-backend-allocator:",
             f"ticket {ticket}: no build worker holds it")
    open_gate(engine, stack_run, name)  # the new worker's build passes it at once

    wait_state(copr, build_id, "succeeded")
    file_says(engine, stack_run, DISPATCHER_LOG, f"dead worker {worker}")
    assert_nothing_lost(engine, stack_run, copr, project, build_id, name, tmp_path)
    finished_once(engine, stack_run, build_id)


def test_broker_down_when_a_build_ends_then_messages_flow_again(engine, stack_run, copr, fault,
                                                                tmp_path):
    """The broker is stopped while a build waits at its gate, so its copr.build.end cannot be
    published. 2.11's bus logs the failed attempt and goes on (upstream: messaging must not halt
    the worker): the build succeeds with nothing lost, and ran once. Once the broker is back,
    the next build's messages arrive."""
    project = copr.new_project()
    name, srpm = gated_srpm(tmp_path / "src")
    build_id = copr.submit(project, srpm)
    building_on(engine, stack_run, name)
    fault("broker", "stop")
    try:
        open_gate(engine, stack_run, name)
        wait_state(copr, build_id, "succeeded")
        file_says(engine, stack_run, WORKER_LOG, "Attempt 1 to publish a message failed")
    finally:
        fault("broker", "start")
    assert_nothing_lost(engine, stack_run, copr, project, build_id, name, tmp_path)
    finished_once(engine, stack_run, build_id)
    collector = bus.connect(engine, container(stack_run, "broker"))
    try:
        again = copr.submit(project, make_srpm(tmp_path / "again", "again"))
        wait_state(copr, again, "succeeded")
        assert len(collector.wait_for_build(again, ["srpm-builds", CHROOT])) == 6
    finally:
        collector.close()


def test_database_restarted_and_the_frontend_recovers_by_itself(engine, stack_run, copr, fault,
                                                                tmp_path):
    before = copr.new_project()
    frontend = container(stack_run, "frontend")
    pid = sh(engine, stack_run, "frontend", "cat /run/svc/copr-frontend.pid")
    for action in ("restart", "kill"):
        fault("database", action)
        if action == "restart":
            # A clean stop (fast shutdown), not a SIGKILL that needs crash recovery at start.
            log = engine.logs(container(stack_run, "database"))
            assert "received fast shutdown request" in log and "not properly shut down" not in log
        else:
            fault("database", "start")
        # The first requests after the database is back work: no restart, no retry.
        listed = copr.copr("list", OWNER)
        assert listed.returncode == 0, listed.stderr
        assert f"Name: {before}" in listed.stdout
        after = copr.new_project()
        assert f"Name: {after}" in copr.copr("list", OWNER).stdout
    assert engine.state(frontend) == "running"
    assert sh(engine, stack_run, "frontend", "cat /run/svc/copr-frontend.pid") == pid
    name = f"afterdb{secrets.token_hex(3)}"
    build_id = copr.submit(before, make_srpm(tmp_path / "src", name))
    wait_state(copr, build_id, "succeeded")
    assert_nothing_lost(engine, stack_run, copr, before, build_id, name, tmp_path)


def test_frontend_restarted_during_an_import(engine, stack_run, copr, fault, tmp_path):
    project = copr.new_project()
    name, srpm = gated_srpm(tmp_path / "src", payload_mb=32)
    build_id = copr.submit(project, srpm)
    task_log = f"/var/lib/copr-dist-git/per-task-logs/{build_id}.log"

    def importing() -> None:
        if not engine.exec(container(stack_run, "distgit"), ["grep", "-qs", "downloading", task_log]).ok:
            raise wait.NotYet(f"dist-git has not started importing build {build_id}")

    # Polled often: dist-git is frozen mid-import (a few seconds of work) while the frontend
    # goes down, so the import cannot finish and report before the frontend is gone.
    wait.until(importing, what=f"dist-git to import build {build_id}", timeout=BUILD_TIMEOUT,
               max_interval=0.3)
    distgit = container(stack_run, "distgit")
    engine.pause(distgit)
    try:
        try:
            fault("frontend", "stop")
        finally:
            engine.unpause(distgit)
        # The import ends while the frontend is down: its report fails and is tried again later.
        log_says(engine, stack_run, "distgit", f"import build {build_id}: imported", "reporting it failed")
    finally:
        fault("frontend", "start")
    building_on(engine, stack_run, name)
    open_gate(engine, stack_run, name)
    wait_state(copr, build_id, "succeeded")
    # Imported again once the frontend was back, and that result was reported.
    imports = [line for line in engine.logs(container(stack_run, "distgit")).splitlines()
               if f"import build {build_id}: imported" in line]
    assert len(imports) >= 2 and "reporting it failed" not in imports[-1], imports
    assert_nothing_lost(engine, stack_run, copr, project, build_id, name, tmp_path)


def test_fault_command_line(stack_run, cli):
    restarted = cli("fault", "--run-id", stack_run.run_id, "keygen", "restart")
    assert restarted.returncode == 0, restarted.stderr
    assert restarted.stdout.strip() == "keygen: restarted and ready"
    unknown = cli("fault", "--run-id", stack_run.run_id, "builder-3", "kill")
    assert unknown.returncode == 2
    assert "no component or instance 'builder-3'" in unknown.stderr


def test_cli_habits_on_a_running_stack(stack_run, cli):
    """list as JSON; logs -f until Ctrl-C; exec -it with a real terminal (status and env as JSON
    are the text commands' code, unit-tested)."""
    listed = cli("list", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    [row] = [r for r in json.loads(listed.stdout) if r["run_id"] == stack_run.run_id]
    assert row["state"] == "running" and row["running"] == row["containers"] > 0
    follow = subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "-q", "logs", "-f", "--tail", "1", "--run-id",
         stack_run.run_id, "keygen"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=ROOT)
    try:
        assert follow.stdout.readline()  # the last line, then it keeps following
        assert follow.poll() is None
        follow.send_signal(signal.SIGINT)
        _, err = follow.communicate(timeout=30)
    finally:
        follow.kill()
    assert (follow.returncode, err) == (130, "copr-harness: interrupted by SIGINT\n")
    if shutil.which("script") is None:
        pytest.skip("no script(1) to give exec -it a terminal")
    command = shlex.join([sys.executable, "-m", "harness.cli", "exec", "-it", "--run-id",
                          stack_run.run_id, "keygen"])
    shell = subprocess.run(["script", "-qec", command, "/dev/null"], input="echo in-$((6*7))\nexit 5\n",
                           capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert shell.returncode == 5, shell.stdout + shell.stderr
    assert "in-42" in shell.stdout
