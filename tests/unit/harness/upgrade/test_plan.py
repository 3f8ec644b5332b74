"""The window plan and its predicted problems, from the shipped scenarios (no containers)."""

import pytest

from harness.errors import InputError
from harness.model.scenario import load_scenario
from harness.paths import ROOT
from harness.upgrade import plan

SCENARIOS = ROOT / "scenarios"


def make(name):
    return plan.make(load_scenario(SCENARIOS / name)[1])


def test_correct_release_predicts_no_problem_and_a_waiting_backend():
    made = make("release-good.yaml")
    assert made.problems == []
    assert [s.component for s in made.steps] == ["backend", "keygen", "frontend", "distgit", "builder"]
    frontend = next(s for s in made.steps if s.component == "frontend")
    assert frontend.migrate and frontend.upgrades["copr-frontend"] == ("2.7-1", "2.8-1")
    assert next(s for s in made.steps if s.component == "builder").replace
    assert any("the backend waits" in note for note in made.notes)


def test_frontend_first_is_flagged_at_the_frontend_step():
    problems = make("frontend-first.yaml").problems
    assert [(p.rule, p.step) for p in problems] == [("no-newer-frontend-jobs", "frontend")]


def test_unmet_copr_common_requirement_is_predicted():
    problems = make("backend-needs-newer-common.yaml").problems
    assert [(p.rule, p.step) for p in problems] == [("rpm-transactions", "backend")]
    assert "python3-copr-common >= 1.8" in problems[0].message


def test_builder_gate_no_candidate_meets_is_predicted():
    problems = make("min-builder-raised.yaml").problems
    assert [(p.rule, p.step) for p in problems] == [("builds-completed", "builder")]
    assert "MIN_BUILDER_VERSION" in problems[0].message


def test_a_scenario_without_production_set_is_refused():
    with pytest.raises(InputError, match="no 'production' package set"):
        make("default.yaml")


def test_only_changed_packages_are_upgraded():
    made = make("min-builder-raised.yaml")
    builder = next(s for s in made.steps if s.component == "builder")
    assert list(builder.upgrades) == ["python3-copr-common"]  # copr-rpmbuild stays 1.8
