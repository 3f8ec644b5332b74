"""Suites against an existing Copr through a target file only (issue 15): a stack is brought up
once, `copr-harness target` writes its (black-box) target file, and `sanity --target` and
`post-release --target` run against it with no labels and no container access. What needs host
access is skipped with its reason, the projects the runs make are all deleted (also after a
SIGINT mid-run), and a project the runs did not make is left alone."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from copr.v3 import Client

from .copr_stack import COPR_CLI, running
from .harness_process import Harness

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
USERS = ("alice", "bob")
# The sanity tests that need the stack's insides, and what they need: shell access to its hosts
# (harness.model.target.CAPABILITIES), or its Podman containers.
HOSTS = "shell access to the Copr's hosts"
NEEDS_INSIDES = {
    "test_every_host_runs_its_expected_packages": HOSTS,  # rpm -q on each host
    "test_every_build_method": HOSTS,  # its git repositories are made inside dist-git
    "test_bad_token_is_refused_and_uploads_nothing": HOSTS,  # looks into the frontend's storage
    "test_dnf_copr_enable_and_install": "Podman access to the stack's own containers",
}
SANITY_TIMEOUT = 1800  # the whole suite: about 3 min on an idle machine, far more on a busy one


class Target:
    """The stack as the tests see it: its target file, reports folder, python-copr clients."""

    def __init__(self, file: Path, reports: Path) -> None:
        self.file, self.reports = file, reports
        data = yaml.safe_load(file.read_text())
        self.frontend = data["urls"]["frontend"]
        self.clients = {u: Client.create_from_config_file(data["users"][u]) for u in USERS}
        self.configs = data["users"]

    def projects(self) -> set[str]:
        """Every project of the stack's users and of their group."""
        client = self.clients["alice"]
        return {p.full_name for owner in (*USERS, "@copr")
                for p in client.project_proxy.get_list(owner)}

    def harness(self, *args: str, timeout: float = 1200) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, COPR_HARNESS_REPORTS=str(self.reports))
        return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True,
                              text=True, timeout=timeout, env=env, cwd=ROOT)


@pytest.fixture(scope="module")
def target(engine, built_images, tmp_path_factory) -> Iterator[Target]:
    """One stack for the module, and its target file written by `copr-harness target`."""
    folder = tmp_path_factory.mktemp("target")
    with running(engine) as info:
        env = dict(os.environ, COPR_HARNESS_REPORTS=str(folder / "reports"))
        written = subprocess.run([sys.executable, "-m", "harness.cli", "target", "--run-id",
                                  info.run_id, "-o", str(folder / "target.yaml")],
                                 capture_output=True, text=True, timeout=120, env=env, cwd=ROOT)
        assert written.returncode == 0, written.stderr
        yield Target(folder / "target.yaml", folder / "reports")


def junit_cases(path: Path) -> dict[str, tuple[str, str]]:
    """Test name -> (outcome, skip or failure message)."""
    cases = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        for outcome in ("failure", "error", "skipped"):
            found = case.find(outcome)
            if found is not None:
                cases[case.get("name")] = (outcome, found.get("message") or "")
                break
        else:
            cases[case.get("name")] = ("passed", "")
    return cases


def report_folder(result: subprocess.CompletedProcess[str]) -> Path:
    line = next(l for l in result.stdout.splitlines() if "; reports in " in l)
    return Path(line.rsplit("; reports in ", 1)[1].rstrip("/"))


def test_the_target_file_is_black_box(target):
    data = yaml.safe_load(target.file.read_text())
    assert data["hosts"] == {} and data["probes"] == {}
    assert set(data["users"]) == set(USERS) and data["urls"]["frontend"].startswith("http://")
    assert "token" not in target.file.read_text()


def test_the_whole_sanity_suite_passes_black_box_and_skips_the_rest(target):
    before = target.projects()
    result = target.harness("sanity", "--target", str(target.file), timeout=SANITY_TIMEOUT)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert result.stdout.splitlines()[0] == f"testing the Copr at {target.frontend}"
    folder = report_folder(result)
    cases = junit_cases(folder / "sanity.junit.xml")
    outcomes = {o: sorted(n for n, (oo, _) in cases.items() if oo == o) for o in ("passed", "skipped")}
    print(f"sanity --target: {len(outcomes['passed'])} passed, {len(outcomes['skipped'])} skipped "
          f"of {len(cases)}")
    assert {o for o, _ in cases.values()} <= {"passed", "skipped"}, cases
    # Only what needs the stack's insides is skipped, each saying what the target does not give.
    skipped = {name: why for name, (outcome, why) in cases.items() if outcome == "skipped"}
    assert set(skipped) == set(NEEDS_INSIDES), skipped
    for name, why in skipped.items():
        assert f"needs {NEEDS_INSIDES[name]}" in why and "the target does not give it" in why, why
    assert len(outcomes["passed"]) >= 40, outcomes  # the rest of the suite ran black-box
    html = (folder / "sanity.html").read_text()
    assert f"against the Copr at {target.frontend}" in html
    assert f"testing the Copr at {target.frontend}" in (folder / "logs" / "sanity.log").read_text()
    assert list((folder / "logs").glob("build-*-fedora-44-x86_64.log"))  # the builds' logs
    # The same run record as a local run's, naming the Copr and what its API reported.
    record = json.loads((folder / "run.json").read_text())
    assert record["target"]["urls"]["frontend"] == target.frontend
    assert record["versions"]["api_3"] == "3" and record["versions"]["fe_be_api"].isdigit(), record
    assert record["verdict"] == "passed" and record["tests"]["failed"] == 0
    first = (folder / "summary.md").read_text().splitlines()[0]
    assert first == f"## ✅ copr-harness sanity suite against the Copr at {target.frontend}: PASSED"
    assert target.projects() == before


def test_post_release_against_the_target_is_safe_and_leaves_others_alone(target):
    # A project the run did not create: named in the target file as the one to find intact.
    precious = "precious-" + os.urandom(3).hex()
    made = subprocess.run([COPR_CLI, "--config", target.configs["bob"], "create", precious,
                           "--chroot", "fedora-44-x86_64"], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    with_project = target.file.with_name("with-project.yaml")
    with_project.write_text(target.file.read_text() + f"intact_project: bob/{precious}\n")
    before = target.projects()
    result = target.harness("post-release", "--target", str(with_project))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    folder = report_folder(result)
    cases = junit_cases(folder / "post_release.junit.xml")
    [build_log] = (folder / "logs").glob("build-*-fedora-44-x86_64.log")
    assert "post-release-check" in build_log.read_text()
    assert {n for n, (o, _) in cases.items() if o == "passed"} == {
        "test_the_apis_answer", "test_the_named_project_is_intact",
        "test_one_build_end_to_end_in_a_new_unlisted_project"}, cases
    assert cases["test_every_host_runs_the_candidate_packages"][0] == "skipped"
    assert target.projects() == before
    assert f"bob/{precious}" in before


def test_sigint_mid_run_leaves_no_project_behind(target):
    before = target.projects()
    run = Harness("sanity", "--target", str(target.file), "-n", "0", "-k",
                  "test_uploaded_srpms_good_one", reports_dir=target.reports)
    try:
        run.wait_for(lambda: len(target.projects() - before) > 0,
                     what="the sanity run to create its first project", timeout=300)
        os.kill(run.pid, signal.SIGINT)
        assert run.finish(timeout=300) == 130, run.stderr[-3000:]
    finally:
        if run.process.poll() is None:
            run.process.kill()
    # The harness swept them before it exited: nothing to wait for.
    assert target.projects() == before, target.projects() - before
