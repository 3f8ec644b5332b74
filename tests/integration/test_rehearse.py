"""Each shipped scenario gives its expected verdict, twice in a row, each from a clean state,
and nothing made before the window is lost, whatever the verdict."""

from __future__ import annotations

import json

import pytest

from harness import naming, paths
from harness.model.scenario import load_scenario
from harness.paths import ROOT
from harness.upgrade import rehearse

from .conftest import leftovers

pytestmark = pytest.mark.integration

SCENARIOS = ["release-good", "frontend-first", "backend-needs-newer-common", "min-builder-raised",
             "migration-fails"]


@pytest.mark.parametrize("attempt", [1, 2])
@pytest.mark.parametrize("name", SCENARIOS)
def test_shipped_scenario_gives_its_expected_verdict(engine, built_images, name, attempt):
    path, scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    run_id = naming.new_run_id()
    result = rehearse.rehearse(engine, scenario, run_id)
    rules = {rule.name: rule for rule in result.rules}
    assert result.matches_expectation, {r.name: r.message for r in result.rules if not r.ok}
    assert result.verdict == scenario.expect.verdict
    assert rules["no-data-lost"].ok, rules["no-data-lost"].message
    if scenario.expect.failed_step:
        assert result.failed_step == scenario.expect.failed_step
        assert "rolled back" in result.details["stack_state"]
    summary = json.loads((paths.run_dir(run_id) / "rehearsal.json").read_text())
    assert summary["verdict"] == result.verdict and summary["events"]
    assert "<svg" in (paths.run_dir(run_id) / "rehearsal.html").read_text()
    assert not leftovers(engine, run_id)
