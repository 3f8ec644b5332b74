"""The window plan and its predicted problems, from the shipped scenarios (no containers). The
backend's gates come from copr-backend's code as the scenario patches it (its RPM is built on
the host, from PyPI's sdist)."""

import shutil

import pytest

from harness.errors import InputError
from harness.model.scenario import load_scenario
from harness.paths import ROOT
from harness.upgrade import plan

SCENARIOS = ROOT / "scenarios"


needs_rpm = pytest.mark.skipif(shutil.which("rpmbuild") is None or shutil.which("rpm2archive") is None,
                               reason="rpmbuild/rpm2archive are not installed")


def make(name, read_code: bool = False):
    return plan.make(load_scenario(SCENARIOS / name)[1], read_code)


@needs_rpm
def test_correct_release_predicts_no_problem_and_a_waiting_backend():
    made = make("release-good.yaml", read_code=True)

    assert made.problems == []
    assert [s.component for s in made.steps] == ["backend", "keygen", "frontend", "distgit", "builder"]
    frontend = next(s for s in made.steps if s.component == "frontend")
    assert frontend.migrate and frontend.upgrades["copr-frontend"] == ("2.7-1", "2.8-1")
    assert next(s for s in made.steps if s.component == "builder").replace
    assert any("the backend waits" in note for note in made.notes)


@needs_rpm
def test_frontend_first_is_flagged_at_the_frontend_step():
    problems = make("frontend-first.yaml", read_code=True).problems
    assert [(p.rule, p.step) for p in problems] == [("no-newer-frontend-jobs", "frontend")]


def test_unmet_copr_common_requirement_is_predicted():
    problems = make("backend-needs-newer-common.yaml").problems
    assert [(p.rule, p.step) for p in problems] == [("rpm-transactions", "backend")]
    assert "python3-copr-common >= 1.8" in problems[0].message


@needs_rpm
def test_builder_gate_no_candidate_meets_is_predicted():
    problems = make("min-builder-raised.yaml", read_code=True).problems
    assert [(p.rule, p.step) for p in problems] == [("builds-completed", "builder")]
    assert "MIN_BUILDER_VERSION" in problems[0].message


def test_a_scenario_without_production_set_is_refused():
    with pytest.raises(InputError, match="no 'production' package set"):
        make("default.yaml")


def test_only_changed_packages_are_upgraded():
    made = make("min-builder-raised.yaml")
    builder = next(s for s in made.steps if s.component == "builder")
    assert list(builder.upgrades) == ["python3-copr-common"]  # copr-rpmbuild stays 1.8


def test_without_reading_the_code_the_gates_are_unknown_and_not_predicted():
    """A guess would be worse: the gates are what the patched code says, or nothing."""
    made = make("frontend-first.yaml")
    assert made.problems == [] and made.gates["candidate"].origin == "unknown"
