"""`copr-harness sanity` as the pre-release gate: it passes on a good stack without leaking any
of the run's secrets into its reports, logs or output, and on a broken one it fails saying which
tests failed and why, with the container logs beside the report."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness import naming

from . import run_secrets
from .conftest import leftovers

pytestmark = pytest.mark.integration


def junit_failures(path) -> dict[str, str]:
    root = ET.parse(path).getroot()
    return {case.get("name"): (case.find("failure").get("message") or "")
            for case in root.iter("testcase") if case.find("failure") is not None}


def test_sanity_gate_passes_leaves_reports_and_leaks_no_secret(engine, cli, reports_dir):
    run_id = naming.new_run_id()
    try:
        gate = cli("sanity", "--keep", "--run-id", run_id, timeout=1800)
        assert gate.returncode == 0, gate.stdout[-3000:] + gate.stderr[-3000:]
        folder = reports_dir / run_id
        junit = folder / "sanity.junit.xml"
        assert junit.exists() and (folder / "sanity.html").exists()
        root = ET.parse(junit).getroot()
        suite = root if root.tag == "testsuite" else root.find("testsuite")
        assert int(suite.get("tests")) >= 25
        assert junit_failures(junit) == {}
        assert (folder / "logs" / "backend.log").exists()

        # Every secret of the run, read back from where it lives, is in no artefact and no output.
        secrets = run_secrets.collect(engine, run_id)
        assert any(name.startswith("keygen secret key") for name in secrets)  # the gate made keys
        env = cli("env", "--run-id", run_id)
        assert env.returncode == 0, env.stderr
        artefacts = {str(path.relative_to(reports_dir)): path.read_bytes()
                     for path in reports_dir.rglob("*") if path.is_file()}
        assert len([name for name in artefacts if name.endswith(".log")]) >= 7
        stack_json = next(line.split("=", 1)[1] for line in env.stdout.splitlines()
                          if line.startswith("export COPR_STACK="))
        artefacts |= {"sanity stdout": gate.stdout.encode(), "sanity stderr": gate.stderr.encode(),
                      "env stdout": env.stdout.encode(), "env stderr": env.stderr.encode(),
                      "COPR_STACK": Path(stack_json).read_bytes()}
        assert run_secrets.leaks(secrets, artefacts) == []
    finally:
        cli("down", "--run-id", run_id)
    assert not leftovers(engine, run_id)


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
        backend_log = (reports_dir / run_id / "logs" / "backend.log").read_text()
        if breakage == "keygen-stopped":
            assert "keygen" in backend_log.lower()
        else:
            assert "The copr-rpmbuild package was not found" in backend_log
        # An existing run is attached to, and left running for inspection.
        assert leftovers(engine, run_id).containers
    finally:
        cli("down", "--run-id", run_id)
    assert not leftovers(engine, run_id)
