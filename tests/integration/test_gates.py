"""`copr-harness sanity` as the pre-release gate: it passes on a good stack without leaking any
of the run's secrets into its reports, logs or output, even while a release-good rehearsal runs
on the same host; and on a broken one it fails saying which tests failed and why, with the
container logs beside the report.

The passing gate is one whole sanity suite run (the slowest thing `make test` does), so it is
made once for the module, beside the rehearsal, and each property is its own test over it."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness import naming
from harness.podman.engine import Engine

from . import run_secrets
from .conftest import ROOT, leftovers
from .harness_process import Harness

pytestmark = pytest.mark.integration


def junit_failures(path) -> dict[str, str]:
    root = ET.parse(path).getroot()
    return {case.get("name"): (case.find("failure").get("message") or "")
            for case in root.iter("testcase") if case.find("failure") is not None}


@dataclass
class PassingGates:
    """The sanity gate (kept up until its secrets were read) and a release-good rehearsal, run
    side by side; what they printed, their exit codes, and what was found after."""

    sanity_id: str
    rehearse_id: str
    reports_dir: Path
    sanity: Harness
    rehearse: Harness
    sanity_code: int
    rehearse_code: int
    secrets: dict[str, str]
    env: subprocess.CompletedProcess[str]
    stack_json: bytes
    left_after_down: dict[str, object]


def _harness(reports_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COPR_HARNESS_REPORTS": str(reports_dir)}
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True,
                          text=True, timeout=300, env=env, cwd=ROOT)


@pytest.fixture(scope="module")
def passing(engine: Engine, built_images: dict, tmp_path_factory) -> Iterator[PassingGates]:
    reports_dir = tmp_path_factory.mktemp("gates") / "reports"
    sanity_id, rehearse_id = naming.new_run_id(), naming.new_run_id()
    sanity = Harness("sanity", "--keep", "--run-id", sanity_id, reports_dir=reports_dir)
    rehearse = Harness("rehearse", "scenarios/release-good.yaml", "--run-id", rehearse_id,
                       reports_dir=reports_dir)
    try:
        rehearse_code = rehearse.finish(timeout=1800)
        sanity_code = sanity.finish(timeout=1800)
        # Read back while the kept stack still holds them (a failed gate keeps it too): every
        # secret, and what `env` says.
        secrets = run_secrets.collect(engine, sanity_id)
        env = _harness(reports_dir, "env", "--run-id", sanity_id)
        stack_json = next((Path(line.split("=", 1)[1]).read_bytes()
                           for line in env.stdout.splitlines()
                           if line.startswith("export COPR_STACK=")), b"")
        down = _harness(reports_dir, "down", "--run-id", sanity_id)
        assert down.returncode == 0, down.stderr
        left = {"sanity": leftovers(engine, sanity_id), "rehearse": leftovers(engine, rehearse_id)}
        yield PassingGates(sanity_id, rehearse_id, reports_dir, sanity, rehearse, sanity_code,
                           rehearse_code, secrets, env, stack_json, left)
    finally:
        for harness in (sanity, rehearse):
            if harness.process.poll() is None:
                harness.process.kill()
                harness.finish(timeout=60)
        engine.remove_run(sanity_id)
        engine.remove_run(rehearse_id)


def test_sanity_and_a_rehearsal_at_the_same_time_both_pass(passing: PassingGates):
    assert passing.rehearse_code == 0, passing.rehearse.stdout + passing.rehearse.stderr[-5000:]
    assert "verdict: PASS" in passing.rehearse.stdout
    assert passing.sanity_code == 0, passing.sanity.stdout + passing.sanity.stderr[-5000:]
    assert "sanity PASSED" in passing.sanity.stdout


def test_passing_sanity_gate_leaves_its_reports_and_logs(passing: PassingGates):
    folder = passing.reports_dir / passing.sanity_id
    junit = folder / "sanity.junit.xml"
    assert junit.exists() and (folder / "sanity.html").exists()
    root = ET.parse(junit).getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    assert int(suite.get("tests")) >= 25
    assert junit_failures(junit) == {}
    assert (folder / "logs" / "backend.log").exists()
    assert len(list((folder / "logs").glob("*.log"))) >= 7


def test_passing_sanity_gate_leaks_no_secret(passing: PassingGates):
    # Every secret of the run, read back from where it lived, is in no artefact and no output.
    assert any(name.startswith("keygen secret key") for name in passing.secrets)  # keys were made
    assert passing.env.returncode == 0, passing.env.stderr
    assert passing.stack_json, passing.env.stdout
    artefacts = {str(path.relative_to(passing.reports_dir)): path.read_bytes()
                 for path in passing.reports_dir.rglob("*") if path.is_file()}
    artefacts |= {"sanity stdout": passing.sanity.stdout.encode(),
                  "sanity stderr": passing.sanity.stderr.encode(),
                  "env stdout": passing.env.stdout.encode(),
                  "env stderr": passing.env.stderr.encode(),
                  "COPR_STACK": passing.stack_json}
    assert run_secrets.leaks(passing.secrets, artefacts) == []


def test_both_gates_leave_nothing_of_their_runs(passing: PassingGates):
    # The rehearsal tears itself down; the kept sanity run goes with `down`.
    assert not passing.left_after_down["rehearse"]
    assert not passing.left_after_down["sanity"]


@pytest.mark.parametrize("breakage", ["keygen-stopped", "builders-without-copr-rpmbuild"])
def test_sanity_gate_fails_on_a_broken_stack_and_says_why(engine, cli, reports_dir, breakage,
                                                           monkeypatch):
    run_id = naming.new_run_id()
    try:
        up = cli("up", "--run-id", run_id)
        assert up.returncode == 0, up.stderr
        if breakage == "keygen-stopped":
            assert cli("exec", "--run-id", run_id, "keygen", "--", "svc", "stop").returncode == 0
        else:
            for builder in ("builder-1", "builder-2"):
                removed = cli("exec", "--run-id", run_id, builder, "--", "rpm", "-e", "--nodeps",
                              "copr-rpmbuild")
                assert removed.returncode == 0, removed.stdout
        monkeypatch.setenv("COPR_SANITY_BUILD_TIMEOUT", "40")
        gate = cli("sanity", "--run-id", run_id, "-k", "test_nowait_status_and_watch_build",
                   timeout=900)
        assert gate.returncode == 1, gate.stdout[-2000:]
        assert "sanity FAILED" in gate.stdout
        failures = junit_failures(reports_dir / run_id / "sanity.junit.xml")
        assert "test_nowait_status_and_watch_build" in failures
        assert "waiting for build" in failures["test_nowait_status_and_watch_build"]
        html = (reports_dir / run_id / "sanity.html").read_text()
        assert "FAILED" in html.upper() and "logs/backend.log" in html
        # copr-backend's own log files are saved with the report and say why.
        assert "logs/backend/worker.log" in html
        backend_logs = "".join(f.read_text() for f in (reports_dir / run_id / "logs" / "backend").rglob("*.log"))
        if breakage == "keygen-stopped":
            assert "keygen" in backend_logs.lower()
        else:
            # 2.11's build worker: `rpm -q copr-rpmbuild` fails on each builder, so it retries
            # the task on the other one (two builders are fewer than its MAX_HOST_ATTEMPTS).
            assert "The copr-rpmbuild package was not found" in backend_logs
            assert "Re-try request for task on" in backend_logs
        # An existing run is attached to, and left running for inspection.
        assert leftovers(engine, run_id).containers
    finally:
        cli("down", "--run-id", run_id)
    assert not leftovers(engine, run_id)
