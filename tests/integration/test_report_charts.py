"""A real (one-build) `copr-harness sanity` run leaves a report with its bring-up timeline, its
builds (including those of the project the test deleted) and the latency histogram."""

from __future__ import annotations

import json
import re

import pytest

from harness import naming
from harness.reports import build_times

from .conftest import leftovers

pytestmark = pytest.mark.integration


def test_sanity_report_draws_the_runs_bring_up_and_builds(engine, cli, reports_dir):
    run_id = naming.new_run_id()
    gate = cli("sanity", "--run-id", run_id, "-k", "test_nowait_status_and_watch_build", "-n", "1",
               timeout=900)
    assert gate.returncode == 0, gate.stdout[-3000:] + gate.stderr[-3000:]
    assert not leftovers(engine, run_id)
    folder = reports_dir / run_id

    events = json.loads((folder / "bringup.json").read_text())["events"]
    ready = {e["lane"] for e in events if e["phase"] == "ready" and e["ok"]}
    assert ready == {"database", "frontend", "backend", "distgit", "keygen", "builder-1", "builder-2"}
    assert {"images", "packages", "users"} <= {e["phase"] for e in events if e["lane"] == "harness"}
    assert all(e["end"] >= e["start"] for e in events)

    # The test's project was deleted at teardown: its build was recorded before that.
    recorded = build_times.deleted(folder)
    builds = build_times.load(folder)
    assert recorded and [b["id"] for b in builds] == [b["id"] for b in recorded]
    assert all(b["state"] == "succeeded" and b["submitted"] <= b["started"] <= b["ended"]
               for b in builds)

    page = (folder / "sanity.html").read_text()
    assert re.findall(r'aria-label="([^"]+)"', page) == [
        "bring-up timeline", "builds timeline", "seconds from submit to finished"]
    assert f"Build latency (submitted to finished, {len(builds)} builds)" in page
    assert '<a href="logs/backend.log">backend.log</a>' in page
