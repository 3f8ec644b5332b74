"""Each shipped scenario gives its expected verdict from a clean state, and nothing made before
the window is lost, whatever the verdict. One scenario runs twice in a row: what one rehearsal
leaves on the host (package and image caches, reports, the run registry) must not change the next
one's verdict."""

from __future__ import annotations

import json

import pytest

from harness import naming, paths
from harness.model.scenario import load_scenario
from harness.paths import ROOT
from harness.upgrade import rehearse

from .conftest import leftovers

pytestmark = pytest.mark.integration

# Every shipped scenario but release-good, which test_gates.py rehearses beside the sanity gate
# (its PASS there needs every rule, no-data-lost among them). copr-common-1.8: upstream's
# copr-backend 2.11 beside the candidate copr-common 1.8 that rpm lets through and 2.11 cannot
# import.
SCENARIOS = ["frontend-first", "backend-needs-newer-common", "min-builder-raised",
             "migration-fails", "copr-common-1.8", "malformed-message"]

# The second attempt is of copr-common-1.8: a step that never comes ready, rolled back (the
# shortest rehearsal that leaves something to get wrong on the host: built packages, images,
# reports and the run registry of the first). A cold or warm package cache no longer matters to
# a verdict: the rehearsal builds the candidate packages before the window opens.
CASES = [(name, 1) for name in SCENARIOS] + [("copr-common-1.8", 2)]


@pytest.mark.parametrize(("name", "attempt"), CASES, ids=[f"{n}-{a}" for n, a in CASES])
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
    if name == "copr-common-1.8":  # the backend's own ImportError, named in the verdict
        assert "cannot import name 'lock' from 'copr_common.lock'" in rules["components-start"].message
    if name == "malformed-message":  # the candidate's build.end, named by field and schema
        message = rules["message-schemas"].message
        assert "after the window: copr.build.end" in message and "field 'status'" in message, message
        assert "before the window" not in message, message
    summary = json.loads((paths.run_dir(run_id) / "rehearsal.json").read_text())
    assert summary["verdict"] == result.verdict and summary["events"]
    assert "<svg" in (paths.run_dir(run_id) / "rehearsal.html").read_text()
    assert not leftovers(engine, run_id)
