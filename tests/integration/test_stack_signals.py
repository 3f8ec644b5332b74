"""SIGINT/SIGTERM at any phase of `up`, `sanity` and `rehearse` leave nothing behind (no
container, network, volume, test process or self-started Podman service) and exit 130;
after SIGKILL, `gc` removes exactly the dead runs and spares a kept one.

Phases are recognised by the progress lines on stderr or by resources appearing."""

from __future__ import annotations

import signal

import pytest

from harness import naming

from .conftest import leftovers
from .harness_process import Harness, processes_of_run, services_of, wait_gone

pytestmark = pytest.mark.integration

RELEASE_GOOD = "scenarios/release-good.yaml"


def assert_interrupted_cleanly(engine, harness: Harness, rid: str) -> None:
    code = harness.finish(timeout=300)
    assert code == 130, harness.stderr
    assert "interrupted" in harness.stderr
    assert not leftovers(engine, rid), harness.stderr
    assert processes_of_run(rid) == [], harness.stderr  # the suite's pytest and its workers
    assert services_of(harness.pid) == [], harness.stderr


def suite_running(rid: str, processes: int) -> bool:
    """pytest and its xdist workers are up (they carry the run id in their environment)."""
    return len(processes_of_run(rid)) >= processes


def test_signal_while_a_container_is_being_created(engine, built_images, run_id, reports_dir):
    """The first resource appears while the rest are created: the signal lands amid create
    calls, and the teardown still finds every one."""
    harness = Harness("up", "--run-id", run_id, reports_dir=reports_dir)
    harness.wait_for(lambda: bool(leftovers(engine, run_id).containers),
                     what=f"a container of run {run_id}", timeout=120)
    harness.process.send_signal(signal.SIGINT)
    assert_interrupted_cleanly(engine, harness, run_id)


@pytest.mark.parametrize("phase, signum, again", [
    ("building packages", signal.SIGTERM, False),
    ("starting containers", signal.SIGINT, False),
    ("database ready", signal.SIGTERM, False),  # the other components are still getting ready
    ("creating users", signal.SIGINT, True),
], ids=["packages", "containers", "readiness", "users"])
def test_signal_in_each_phase_of_up(engine, built_images, run_id, reports_dir, phase, signum, again):
    harness = Harness("up", "--run-id", run_id, reports_dir=reports_dir)
    harness.wait_for_line(phase)
    harness.process.send_signal(signum)
    if again:  # a second (and third) Ctrl-C during the teardown must not cut it short
        harness.wait_for_line("removing run")
        harness.process.send_signal(signum)
        harness.process.send_signal(signum)
    assert_interrupted_cleanly(engine, harness, run_id)
    if again:
        assert "already stopping" in harness.stderr


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_while_the_sanity_suite_runs(engine, built_images, run_id, reports_dir, signum):
    harness = Harness("sanity", "--run-id", run_id, "-n", "2", reports_dir=reports_dir)
    harness.wait_for_line("running the sanity suite")
    harness.wait_for(lambda: suite_running(run_id, 3), what="pytest and its 2 xdist workers",
                     timeout=120)
    harness.process.send_signal(signum)
    assert_interrupted_cleanly(engine, harness, run_id)


@pytest.mark.parametrize("phase, signum", [
    ("putting production data in", signal.SIGINT),
    ("window step: builder: replace", signal.SIGTERM),
    ("running the post_release suite", signal.SIGINT),
], ids=["seeding", "builder-replacement", "post-release-suite"])
def test_signal_in_each_phase_of_rehearse(engine, built_images, run_id, reports_dir, phase, signum):
    harness = Harness("rehearse", RELEASE_GOOD, "--run-id", run_id, reports_dir=reports_dir)
    harness.wait_for_line(phase, timeout=600)
    if phase.startswith("running"):
        harness.wait_for(lambda: suite_running(run_id, 2), what="the post-release pytest",
                         timeout=120)
    harness.process.send_signal(signum)
    assert_interrupted_cleanly(engine, harness, run_id)


def test_gc_after_sigkill_removes_the_dead_runs_and_spares_a_kept_one(engine, built_images, cli,
                                                                      reports_dir):
    """up, sanity and rehearse SIGKILLed at once (no handler runs): their test processes and
    Podman services die with them, and gc removes their resources, but not a kept run."""
    up_id, sanity_id, rehearse_id, kept = (naming.new_run_id() for _ in range(4))
    started: list[Harness] = []
    try:
        made = cli("up", "--run-id", kept)
        assert made.returncode == 0, made.stderr
        sanity = Harness("sanity", "--run-id", sanity_id, "-n", "2", reports_dir=reports_dir)
        rehearse = Harness("rehearse", RELEASE_GOOD, "--run-id", rehearse_id, reports_dir=reports_dir)
        started += [sanity, rehearse]
        rehearse.wait_for_line("putting production data in", timeout=600)
        sanity.wait_for(lambda: suite_running(sanity_id, 3), what="the sanity pytest and its workers",
                        timeout=600)
        # up last: it is the shortest, and it must still be creating containers when killed.
        up = Harness("up", "--run-id", up_id, reports_dir=reports_dir)
        started.append(up)
        up.wait_for(lambda: bool(leftovers(engine, up_id).containers),
                    what=f"a container of run {up_id}", timeout=300)
        for harness in started:
            harness.process.kill()
        for harness in started:
            assert harness.finish(timeout=60) == -signal.SIGKILL
        assert leftovers(engine, up_id) and leftovers(engine, sanity_id) and leftovers(engine, rehearse_id)
        wait_gone(lambda: processes_of_run(sanity_id), "the sanity pytest to die with the harness")
        for harness in started:
            wait_gone(lambda: services_of(harness.pid), f"the Podman service of {harness.pid} to die")

        gc = cli("gc")
        assert gc.returncode == 0, gc.stderr
        removed = gc.stdout.strip().removeprefix("removed runs: ").split(", ")
        assert {up_id, sanity_id, rehearse_id} <= set(removed) and kept not in removed
        for rid in (up_id, sanity_id, rehearse_id):
            assert not leftovers(engine, rid)
        assert len(leftovers(engine, kept).containers) == 8  # the default stack, its broker among them
    finally:
        for harness in started:
            if harness.process.poll() is None:
                harness.process.kill()
        for rid in (up_id, sanity_id, rehearse_id, kept):
            engine.remove_run(rid)
