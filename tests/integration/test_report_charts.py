"""A real `copr-harness sanity` run of two tests leaves a report with its bring-up timeline,
every build (one deleted through copr-cli, in a process of its own), lanes named after their
tests, the failed build its test expects marked as expected with its logs saved, and the run's
record, summary and tmt results, listed in the history index."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from harness import naming
from harness.gates import project_names
from harness.reports import build_times

from .conftest import leftovers

pytestmark = pytest.mark.integration

DELETES = "test_delete_build_then_status_exits_1"
FAILS = "test_watch_build_of_a_failed_build_exits_4"


def test_sanity_report_draws_the_runs_bring_up_and_every_build(engine, cli, reports_dir):
    run_id = naming.new_run_id()
    gate = cli("sanity", "--run-id", run_id, "-k", f"{DELETES} or {FAILS}", "-n", "1", timeout=900)
    assert gate.returncode == 0, gate.stdout[-3000:] + gate.stderr[-3000:]
    assert not leftovers(engine, run_id)
    folder = reports_dir / run_id

    events = json.loads((folder / "bringup.json").read_text())["events"]
    ready = {e["lane"] for e in events if e["phase"] == "ready" and e["ok"]}
    assert ready == {"database", "frontend", "backend", "distgit", "keygen", "builder-1", "builder-2",
                     "broker"}
    assert {"images", "packages", "users"} <= {e["phase"] for e in events if e["lane"] == "harness"}

    # Two builds: the one copr-cli deleted and the failed one; both recorded before they went.
    builds = build_times.load(folder)
    assert len(builds) == 2, builds
    by_test = {project_names.test_of(b["project"], [DELETES, FAILS]): b for b in builds}
    assert by_test[DELETES]["state"] == "succeeded" and by_test[FAILS]["state"] == "failed"
    assert all(b["submitted"] <= b["started"] <= b["ended"] for b in builds)
    failed_logs = list((folder / "builds" / str(by_test[FAILS]["id"])).rglob("builder-live.log"))
    assert failed_logs and failed_logs[0].read_text().strip()

    page = (folder / "sanity.html").read_text()
    assert '<div class="banner passed"' in page
    assert re.findall(r'aria-label="([^"]+)"', page) == [
        "bring-up timeline", "builds timeline", "seconds from submit to finished"]
    assert f"{FAILS.removeprefix('test_')}-" in page  # the lane is named after its test
    assert ": failed as its test expects " in page  # a bar's tooltip: not an alarm
    assert '<a href="logs/backend.log">backend.log</a>' in page

    record = json.loads((folder / "run.json").read_text())
    assert record["verdict"] == "passed" and record["run_id"] == run_id
    assert any(p["nvr"].startswith("copr-frontend-") for p in record["components"]["frontend"]["packages"])
    assert record["timings"]["builds"] == 2 and record["tools"]["podman"]
    assert (folder / "summary.md").read_text().startswith(f"## ✅ copr-harness sanity suite, run {run_id}: PASSED")
    results = yaml.safe_load((folder / "tmt-results.yaml").read_text())
    assert sorted(r["name"].rsplit("/", 1)[1] for r in results) == sorted([DELETES, FAILS])
    assert f'<a href="{run_id}/sanity.html">' in (reports_dir / "index.html").read_text()
