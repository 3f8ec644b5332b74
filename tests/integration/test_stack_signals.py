"""Interrupting `up` leaves nothing behind; `gc` removes dead runs and spares live ones."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from harness import naming, wait

from .conftest import ROOT, leftovers

pytestmark = pytest.mark.integration


def start_up(rid: str, reports_dir) -> subprocess.Popen:
    env = dict(os.environ, COPR_HARNESS_REPORTS=str(reports_dir))
    return subprocess.Popen([sys.executable, "-m", "harness.cli", "up", "--run-id", rid],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)


def wait_for_containers(engine, rid: str, process: subprocess.Popen) -> None:
    def started() -> None:
        if process.poll() is not None:
            raise AssertionError(f"up ended before its containers existed: {process.communicate()}")
        if not leftovers(engine, rid).containers:
            raise wait.NotYet("no container of the run yet")

    wait.until(started, what=f"the containers of run {rid}", timeout=120, interval=0.05)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_during_up_leaves_nothing(engine, built_images, run_id, reports_dir, signum):
    process = start_up(run_id, reports_dir)
    wait_for_containers(engine, run_id, process)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr
    assert not leftovers(engine, run_id), stderr


def test_gc_removes_a_killed_run_and_spares_a_kept_one(engine, built_images, cli, reports_dir):
    dead, kept = naming.new_run_id(), naming.new_run_id()
    try:
        up = cli("up", "--run-id", kept)
        assert up.returncode == 0, up.stderr
        process = start_up(dead, reports_dir)
        wait_for_containers(engine, dead, process)
        process.kill()  # SIGKILL: no handler runs, the run is left behind
        process.communicate(timeout=60)
        assert leftovers(engine, dead)

        gc = cli("gc")
        assert gc.returncode == 0, gc.stderr
        assert dead in gc.stdout and kept not in gc.stdout
        assert not leftovers(engine, dead)
        assert len(leftovers(engine, kept).containers) == 7
    finally:
        engine.remove_run(dead)
        engine.remove_run(kept)
