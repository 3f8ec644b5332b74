"""The copr_harness pytest plugin against real Podman: `pytest --copr-up` on the example (as
another project would run it, from its own folder) passes and removes its stack; under xdist
the workers share one stack; SIGTERM tears the stack down."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from harness import paths
from harness import wait

from .conftest import ROOT, leftovers

pytestmark = pytest.mark.integration

# Records which stack each test of each worker saw (every test of the example uses one).
RECORDER = """
import os, pathlib, re, pytest

@pytest.fixture(autouse=True)
def record_stack(copr_stack, request):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = re.sub(r"[^A-Za-z0-9]+", "_", request.node.nodeid)
    (pathlib.Path(os.environ["PROBE_DIR"]) / f"{worker}-{name}").write_text(copr_stack["run_id"])
"""

# Many small tests besides the example's two, so that xdist's load scheduling gives each
# worker some.
PROBES = """
import pytest

@pytest.mark.parametrize("n", range(12))
def test_probe(copr_stack, n):
    assert copr_stack["hosts"]
"""

# Says it is running, then waits for a release that never comes: the session gets a signal.
WAITS = """
import os, pathlib
from harness import wait

def test_waits(copr_stack):
    folder = pathlib.Path(os.environ["PROBE_DIR"])
    (folder / "running").write_text(copr_stack["run_id"])

    def released():
        if not (folder / "release").exists():
            raise wait.NotYet("not released")

    wait.until(released, what="a release that never comes", timeout=600)
"""


def project(tmp_path: Path, **tests: str) -> Path:
    """A folder like another project's: its own pytest.ini, the example, and `tests` modules."""
    folder = tmp_path / "project"
    (folder / "probes").mkdir(parents=True)
    (folder / "pytest.ini").write_text("[pytest]\n")
    shutil.copy(ROOT / "examples" / "test_example.py", folder)
    for name, text in tests.items():
        (folder / f"{name}.py").write_text(text)
    return folder


def pytest_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args]


def environment(folder: Path, reports_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COPR_STACK", "PYTEST_ADDOPTS")}
    return env | {"PROBE_DIR": str(folder / "probes"), "COPR_HARNESS_REPORTS": str(reports_dir)}


def announced_run(output: str) -> str:
    """The run id the session's header names."""
    found = re.findall(r"^copr-harness: run (\S+),", output, re.MULTILINE)
    assert len(found) == 1, output
    return found[0]


def assert_removed(engine, run_id: str) -> None:
    assert not leftovers(engine, run_id)
    assert not paths.state_dir(run_id).exists()  # the users' configs (API tokens) too


def test_example_passes_with_its_own_stack_and_leaves_nothing(engine, built_images, tmp_path,
                                                               reports_dir):
    folder = project(tmp_path)
    result = subprocess.run(pytest_command("test_example.py", "--copr-up"), cwd=folder,
                            env=environment(folder, reports_dir), capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
    assert_removed(engine, announced_run(result.stdout))


def test_xdist_workers_share_one_stack(engine, built_images, tmp_path, reports_dir):
    folder = project(tmp_path, conftest=RECORDER, test_probes=PROBES)
    result = subprocess.run(pytest_command("-n", "2", "--dist", "load", "--copr-up"), cwd=folder,
                            env=environment(folder, reports_dir), capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "14 passed" in result.stdout
    run_id = announced_run(result.stdout)
    seen = [(path.name.split("-", 1)[0], path.read_text()) for path in (folder / "probes").iterdir()]
    assert len(seen) == 14
    assert {worker for worker, _ in seen} == {"gw0", "gw1"}  # both workers ran tests...
    assert {run for _, run in seen} == {run_id}  # ...against the one stack
    assert result.stderr.count("bringing up") == 1
    assert_removed(engine, run_id)


def test_sigterm_tears_the_stack_down(engine, built_images, tmp_path, reports_dir):
    folder = project(tmp_path, test_waits=WAITS)
    running = folder / "probes" / "running"
    process = subprocess.Popen(pytest_command("test_waits.py", "--copr-up"), cwd=folder,
                               env=environment(folder, reports_dir), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        def test_running() -> str:
            if process.poll() is not None:
                raise AssertionError(f"pytest ended early: {process.communicate()}")
            if not running.exists():
                raise wait.NotYet("the test has not started")
            return running.read_text()

        run_id = wait.until(test_running, what="the test to run against its stack", timeout=600)
        assert leftovers(engine, run_id).containers
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 2, stdout + stderr  # pytest's "interrupted"
    assert f"removing run {run_id}: done" in stderr
    assert (reports_dir / run_id / "logs" / "frontend.log").exists()  # an interrupted session's logs
    assert_removed(engine, run_id)
