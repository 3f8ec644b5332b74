"""Fixture data for the report pages: a bring-up, builds, a JUnit file and a rehearsal summary."""

from __future__ import annotations

from pathlib import Path

T = 1_700_000_000.0  # the fixture's epoch origin

# (lane, phase, start, end) in seconds after T: every lane's phases, as stack.up records them.
BRINGUP = [
    ("harness", "images", 0.0, 0.6), ("harness", "packages", 0.6, 1.6),
    ("database", "create", 1.6, 1.9), ("frontend", "create", 1.9, 2.2),
    ("builder-1", "create", 2.2, 2.5), ("database", "start", 2.5, 3.0),
    ("frontend", "start", 3.0, 3.5), ("builder-1", "start", 3.5, 4.0),
    ("database", "ready", 4.0, 5.0), ("frontend", "install", 4.0, 4.8),
    ("frontend", "wait for deps", 4.8, 5.0), ("frontend", "start services", 5.0, 5.6),
    ("frontend", "ready", 5.6, 7.2), ("builder-1", "install", 4.0, 4.6),
    ("builder-1", "start services", 4.6, 5.2), ("builder-1", "ready", 5.2, 6.0),
    ("harness", "users", 7.2, 7.8),
]

# (id, state, submitted, started, ended) after T; latencies of the finished ones:
# 3, 4, 4, 5, 5, 5, 6, 7, 9, 14 -> median 5.0, p90 9.5
BUILDS = [
    (1, "succeeded", 10, 11, 13), (2, "succeeded", 10, 12, 14), (3, "succeeded", 11, 12, 15),
    (4, "succeeded", 12, 14, 17), (5, "succeeded", 12, 13, 17), (6, "failed", 13, 15, 18),
    (7, "succeeded", 14, 16, 20), (8, "succeeded", 14, 17, 21), (9, "succeeded", 15, 18, 24),
    (10, "succeeded", 15, 20, 29), (11, "running", 20, 24, None),
]
LATENCY_MEDIAN, LATENCY_P90 = 5.0, 9.5
NOW = T + 30


def bringup() -> list[dict]:
    return [{"lane": lane, "phase": phase, "start": T + start, "end": T + end, "ok": True, "detail": ""}
            for lane, phase, start, end in BRINGUP]


def builds() -> list[dict]:
    return [{"id": i, "project": "alice/demo" if i % 2 else "@copr/team", "state": state,
             "submitted": T + sub, "started": T + start if start else None,
             "ended": T + end if end else None}
            for i, state, sub, start, end in BUILDS]


JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="sanity" tests="4" failures="1" skipped="2">
<testcase classname="tests.sanity.test_smoke" name="test_frontend_answers" time="0.52"/>
<testcase classname="tests.sanity.test_builds" name="test_build_&lt;fails&gt;" time="12.5">
<failure message="assert 'failed' == 'succeeded'">state was &lt;failed&gt; &amp; more</failure></testcase>
<testcase classname="tests.sanity.test_results" name="test_skipped" time="0">
<skipped message="not this time"/></testcase>
<testcase classname="tests.sanity.test_results" name="test_known_bug" time="0.3">
<skipped type="pytest.xfail" message="upstream bug 123"/></testcase>
</testsuite></testsuites>
"""


def junit(folder: Path) -> Path:
    path = folder / "sanity.junit.xml"
    path.write_text(JUNIT)
    return path


# The rehearsal's window, after T + 100: (lane, phase, start, end, ok).
WINDOW = [
    ("backend", "stop", 0.0, 0.4, True), ("backend", "upgrade", 0.4, 1.6, True),
    ("backend", "start", 1.6, 2.0, True), ("backend", "ready", 2.0, 3.0, True),
    ("frontend", "stop", 3.0, 3.4, True), ("frontend", "upgrade", 3.4, 4.4, True),
    ("frontend", "dump", 4.4, 5.0, True), ("frontend", "migrate", 5.0, 6.4, False),
    ("frontend", "restore", 6.4, 7.4, True), ("frontend", "rollback", 7.4, 9.0, True),
]


def rehearsal_summary() -> dict:
    w = T + 100
    return {
        "verdict": "fail", "scenario": "scenarios/migration-fails.yaml", "window_seconds": 9.0,
        "expected": {"verdict": "fail", "failed_step": "frontend", "failed_rules": ["builds-completed"]},
        "matches_expectation": True, "window_started": w, "window_ended": w + 9.0,
        "details": {"stack_state": "stopped at step 'frontend' (migrate): <alembic> failed"},
        "rules": [{"name": "rpm-transactions", "ok": True, "message": "every rpm -Uvh succeeded"},
                  {"name": "builds-completed", "ok": False, "message": "queued builds <12> & <13> not done"}],
        "events": [{"lane": lane, "phase": phase, "start": w + start, "end": w + end, "ok": ok,
                    "detail": "" if ok else "alembic upgrade head failed"}
                   for lane, phase, start, end, ok in WINDOW],
        "builds": [{"id": 12, "submitted": w + 0.2, "started": w + 3.2, "ended": w + 5.0,
                    "state": "succeeded"},
                   {"id": 13, "submitted": w + 0.3, "started": None, "ended": None, "state": "pending"}],
    }
