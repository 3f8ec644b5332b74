"""The API and builder rules judged from what upstream's copr-backend 2.11 logs (its dispatcher's
polls and task starts) and from the frontend's state (the FE-BE API it served when, from the
window), with the gates read from the backend's code."""

from __future__ import annotations

import pytest

from harness.model.scenario import load_scenario
from harness.paths import ROOT
from harness.phases import Event
from harness.upgrade import rules
from harness.upgrade.backend_gates import Gates
from harness.upgrade.window import Window
from tests.unit.harness.upgrade.test_backend_log import upstream

GATES = {"production": Gates(9, "1.3.1", "code"), "candidate": Gates(10, "1.3.1", "code")}
TOO_OLD = "Copr FE/BE API is too old on Frontend side, 9 < 10"


@pytest.fixture
def scenario():
    """Frontend FE-BE API 9 -> 10 (release-good.yaml)."""
    return load_scenario(ROOT / "scenarios" / "release-good.yaml")[1]


def window(**starts: float) -> Window:
    """A window opened at 100 s whose components started their candidate versions at `starts`."""
    events = [Event(lane, "start", at, at + 1) for lane, at in starts.items()]
    return Window(started=100.0, ended=500.0, events=events)


def poll(at: float, failure: str | None = None) -> list[str]:
    lines = [upstream("getting %ss from frontend", "build", created=at)]
    if failure:
        lines.append(upstream("Retrieving build jobs from %s failed with error: %s",
                              "http://frontend:5000", failure, created=at + 0.1))
    return lines


def start(at: float, task: str) -> str:
    return upstream("Starting worker %s, task.priority=%s", f"rpm_build_worker:{task}", 1, created=at)


def judge(scenario, log: list[str], win: Window, builders=None, states=None) -> dict[str, rules.Rule]:
    judged = rules.evaluate(scenario, win, [7], states or {7: "succeeded"}, "\n".join(log) + "\n",
                            {}, {}, [], gates=GATES, builders=builders)
    return {rule.name: rule for rule in judged}


def test_backend_first_waits_then_takes_the_new_frontends_queue(scenario):
    log = (poll(150) + poll(250, TOO_OLD) + poll(350) + [start(351, "7"),
                                                         start(360, "7-fedora-44-x86_64")])
    judged = judge(scenario, log, window(backend=200, frontend=300),
                   builders=[("7-fedora-44-x86_64", "builder", "1.9")])
    assert judged["backend-waited"].ok
    assert judged["backend-waited"].message.startswith("the backend waited for a new enough frontend")
    assert judged["no-newer-frontend-jobs"].ok, judged["no-newer-frontend-jobs"].message
    assert judged["builder-version-gate"].ok


def test_an_old_backend_taking_the_new_frontends_queue_is_flagged(scenario):
    """Frontend first: between its step and the backend's, the old backend's poll succeeded."""
    log = poll(150) + poll(250) + poll(350, TOO_OLD) + poll(450)
    judged = judge(scenario, log, window(frontend=200, backend=300), builders=[])
    rule = judged["no-newer-frontend-jobs"]
    assert not rule.ok
    assert "accepted the queue of a frontend with API 10 (it knows 9)" in rule.message


def test_a_task_started_by_the_old_backend_from_the_new_frontend_is_flagged(scenario):
    judged = judge(scenario, poll(250, "connection refused") + [start(260, "7")],
                   window(frontend=200, backend=300), builders=[("7", "builder", "1.9")])
    assert "task 7 (API 10, backend knows 9)" in judged["no-newer-frontend-jobs"].message


def test_polls_before_the_window_are_not_judged(scenario):
    """Bring-up polls (production frontend and backend) precede the window."""
    judged = judge(scenario, poll(50), window(backend=200, frontend=300), builders=[("7", "b", "1.9")])
    assert judged["no-newer-frontend-jobs"].ok and judged["backend-waited"].ok


def test_a_succeeded_build_without_a_recorded_builder_is_no_evidence_of_the_gate(scenario):
    judged = judge(scenario, [], window(backend=200, frontend=300), builders=[])
    rule = judged["builder-version-gate"]
    assert not rule.ok and rule.message == "no builder version recorded for the succeeded builds [7]"


def test_a_build_on_a_builder_below_the_gate_is_flagged(scenario):
    judged = judge(scenario, [], window(), builders=[("7-fedora-44-x86_64", "builder", "1.2")])
    assert not judged["builder-version-gate"].ok
    assert "7-fedora-44-x86_64 on builder (1.2)" in judged["builder-version-gate"].message


def test_upstreams_builder_refusal_names_the_gate_when_builds_wait(scenario):
    refused = upstream("Re-try request for task on '%s': %s", "ResallocHost, hostname=builder-1",
                       "Minimum version for builder is 1.9")
    judged = judge(scenario, [refused], window(), builders=[], states={7: "pending"})
    assert not judged["builds-completed"].ok
    assert judged["builds-completed"].message.endswith("builds wait: Minimum version for builder is 1.9")
    assert judged["backend-waited"].ok  # waiting is not failing


def exchange(at: float, pid: int, message: str = "Marking build as starting") -> str:
    return upstream(message, created=at, pid=pid, filename="background_worker_build.py")


def test_an_old_workers_exchange_answered_by_the_new_frontend_is_flagged(scenario):
    """Frontend first: a worker the old backend started (its code knows API 9) marks its build
    starting while the frontend is down; copr-common retries until the new frontend (API 10)
    answers, then the worker goes on (its next line)."""
    log = [exchange(150.0, 354), upstream("VM allocation process starts", created=205.0, pid=354),
           exchange(310.0, 511), upstream("VM allocation process starts", created=311.0, pid=511)]
    judged = judge(scenario, log, window(frontend=200, backend=300), builders=[("7", "b", "1.9")])
    rule = judged["no-newer-frontend-jobs"]
    assert not rule.ok
    assert "a build worker (PID 354, started 00:02:30 UTC on the backend that knows API 9) " \
           "exchanged a job with a frontend with API 10 at 00:03:25 UTC" in rule.message
    assert "PID 511" not in rule.message  # the new backend's worker knows API 10


def test_old_workers_done_before_the_frontend_changed_are_no_finding(scenario):
    """Backend first: the old backend's worker finished with the old frontend."""
    log = [exchange(150.0, 354), upstream("Sending build state back to frontend: {}", created=160.0,
                                          pid=354),
           upstream("Worker succeeded build", created=161.0, pid=354)]
    judged = judge(scenario, log, window(backend=200, frontend=300), builders=[("7", "b", "1.9")])
    assert judged["no-newer-frontend-jobs"].ok
