"""Two gates on one host at once: the sanity gate and a release-good rehearsal both pass."""

from __future__ import annotations

import pytest

from harness import naming

from .conftest import leftovers
from .harness_process import Harness

pytestmark = pytest.mark.integration


def test_sanity_and_a_rehearsal_at_the_same_time_both_pass(engine, built_images, reports_dir):
    sanity_id, rehearse_id = naming.new_run_id(), naming.new_run_id()
    sanity = Harness("sanity", "--run-id", sanity_id, reports_dir=reports_dir)
    rehearse = Harness("rehearse", "scenarios/release-good.yaml", "--run-id", rehearse_id,
                       reports_dir=reports_dir)
    try:
        rehearse_code = rehearse.finish(timeout=1800)
        sanity_code = sanity.finish(timeout=1800)
        assert rehearse_code == 0, rehearse.stdout + rehearse.stderr[-5000:]
        assert "verdict: PASS" in rehearse.stdout
        assert sanity_code == 0, sanity.stdout + sanity.stderr[-5000:]
        assert "sanity PASSED" in sanity.stdout
        assert not leftovers(engine, sanity_id) and not leftovers(engine, rehearse_id)
    finally:
        for harness in (sanity, rehearse):
            if harness.process.poll() is None:
                harness.process.kill()
                harness.finish(timeout=60)
        engine.remove_run(sanity_id)
        engine.remove_run(rehearse_id)
