"""The rehearsal's verdict, rule by rule: what the window recorded, the backend's log and the
stack as it is after the window, judged against the scenario (rule names: model/rules.py)."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

from harness.model.rules import RuleName
from harness.model.scenario import Scenario
from harness.model.versions import rpmvercmp
from harness.upgrade import backend_log
from harness.upgrade.backend_gates import Gates
from harness.upgrade.window import Window


@dataclass
class Rule:
    """One rule's verdict and why."""

    name: str
    ok: bool
    message: str



def _clock(when: float) -> str:
    return time.strftime("%H:%M:%S UTC", time.gmtime(when))


def _switched_at(window: Window, component: str) -> float | None:
    """When the candidate version of a component started (the start of its start phase)."""
    return next((e.start for e in window.events
                 if e.lane == component and e.phase in ("start", "replace") and e.ok), None)


def evaluate(scenario: Scenario, window: Window, queued: list[int],
             queued_states: dict[int, str], log: str, nvrs: dict[str, list[str]],
             expected_nvrs: dict[str, list[str]], lost: list[str],
             gates: dict[str, Gates], builders: list[tuple[str, str, str]]) -> list[Rule]:
    """A verdict per rule, from what the window recorded and what the stack says now. `gates`:
    the backend's gates by set (read from its code); `builders`: (task, builder, its
    copr-rpmbuild version) of the builds that ran (the backend's log does not say it)."""
    assert scenario.production is not None
    rules = []
    failed = window.failed_step
    rpm_failed = failed is not None and failed.failed_phase == "upgrade"
    rules.append(Rule(RuleName.RPM_TRANSACTIONS, not rpm_failed,
                      failed.error if rpm_failed else "every rpm -Uvh of the window succeeded"))

    start_failed = failed is not None and failed.failed_phase in ("start", "ready")
    rules.append(Rule(RuleName.COMPONENTS_START, not start_failed,
                      failed.error if start_failed else
                      "every upgraded component started and came ready on its candidate packages"))

    backend_switch = _switched_at(window, "backend")
    frontend_switch = _switched_at(window, "frontend")
    old_api = scenario_macro(scenario, "copr-frontend", "fe_be_api_version", "production")
    new_api = scenario_macro(scenario, "copr-frontend", "fe_be_api_version", "candidate")

    def backend_min(t: float) -> int | None:
        upgraded = backend_switch is not None and t >= backend_switch
        return gates["candidate" if upgraded else "production"].min_fe_be_api

    def frontend_api(t: float) -> int | None:
        """The FE-BE API the frontend served at `t` (the backend does not log it)."""
        value = new_api if frontend_switch is not None and t >= frontend_switch else old_api
        return int(value) if value is not None else None

    starts = [(t, task, frontend_api(t)) for t, task in backend_log.task_starts(log)]
    starts = [s for s in starts if int(s[1].split("-")[0]) in queued]
    known = [(t, task, api, backend_min(t)) for t, task, api in starts]
    known = [(t, task, api, needs) for t, task, api, needs in known
             if api is not None and needs is not None]
    too_old = [task for t, task, api, needs in known if api < needs]
    newer = [f"task {task} (API {api}, backend knows {needs})" for t, task, api, needs in known
             if api > needs]
    # Accepting a newer frontend's queue is the hazard itself, whether or not a job came by.
    for t, taken in backend_log.polls(log):
        needs, api = backend_min(t), frontend_api(t)
        if taken and t >= window.started and needs is not None and api is not None:
            if api > needs:
                newer.append(f"accepted the queue of a frontend with API {api} (it knows {needs})")
            elif api < needs:
                too_old.append(f"the queue taken at {_clock(t)} (frontend API {api} < {needs})")
    # Build workers outlive the dispatcher's restart: one started on the old backend still
    # runs its code, and what it exchanges with a newer frontend is a job of that frontend.
    for answered, began, pid in backend_log.worker_exchanges(log):
        needs, api = backend_min(began), frontend_api(answered)
        if needs is not None and api is not None and api > needs:
            newer.append(f"a build worker (PID {pid}, started {_clock(began)} on the backend that "
                         f"knows API {needs}) exchanged a job with a frontend with API {api} at "
                         f"{_clock(answered)}")
    newer = list(dict.fromkeys(newer))
    waited = backend_log.waited_for_frontend(log)
    failed_queued = [i for i, s in queued_states.items() if s == "failed"]
    rules.append(Rule(
        RuleName.BACKEND_WAITED, not too_old and not failed_queued,
        ("the backend waited for a new enough frontend; " if waited else "the backend never had to wait; ")
        + "no queued build failed" if not too_old and not failed_queued
        else f"tasks started with a too old frontend: {too_old}; failed queued builds: {failed_queued}"))
    rules.append(Rule(
        RuleName.NO_NEWER_FRONTEND_JOBS, not newer,
        "the backend never took a job from a frontend whose API it does not understand" if not newer
        else "the backend processed jobs from a frontend with a newer FE-BE API than it "
             f"understands: {newer}"))

    # The builds' records carry no time, so each is held to the lower of the two backends'
    # minimums.
    minimums = [m for m in (gates[c].min_builder_version for c in ("production", "candidate")) if m]
    floor = min(minimums, key=functools.cmp_to_key(rpmvercmp)) if minimums else "0"
    below = [f"{task} on {host} ({version})" for task, host, version in builders
             if rpmvercmp(version, floor) < 0]
    # A queued build that succeeded ran on a builder: one without a record is no evidence of
    # the gate.
    unseen = [i for i in queued if queued_states.get(i) == "succeeded"
              and not any(int(task.split("-")[0]) == i for task, _, _ in builders)]
    rules.append(Rule(RuleName.BUILDER_VERSION_GATE, not below and not unseen,
                      f"builds ran on builders below MIN_BUILDER_VERSION: {below}" if below
                      else f"no builder version recorded for the succeeded builds {unseen}" if unseen
                      else "no build ran on a builder below MIN_BUILDER_VERSION"))

    unfinished = [i for i in queued if queued_states.get(i) != "succeeded"]
    why = ""
    refused = backend_log.builder_refusals(log)
    if unfinished and refused:
        why = f"; builds wait: {refused[-1]}"
    rules.append(Rule(RuleName.BUILDS_COMPLETED, not unfinished,
                      "every queued build succeeded" if not unfinished
                      else f"queued builds not succeeded: "
                           f"{ {i: queued_states.get(i, 'unknown') for i in unfinished} }{why}"))

    wrong = {c: {"has": nvrs.get(c), "expected": e} for c, e in expected_nvrs.items()
             if sorted(nvrs.get(c) or []) != sorted(e)}
    rules.append(Rule(RuleName.FINAL_NVRS, not wrong,
                      "every container runs exactly the candidate NVRs" if not wrong
                      else f"containers not on the candidates: {wrong}"))
    rules.append(Rule(RuleName.NO_DATA_LOST, not lost,
                      "projects, builds, result files and keys made before the window are intact"
                      if not lost else f"lost or changed: {lost}"))
    duration = window.ended - window.started
    budget = scenario.upgrade.budget_seconds
    rules.append(Rule(RuleName.WINDOW_BUDGET, duration <= budget,
                      f"window {duration:.1f}s (budget {budget:.0f}s)"))
    return rules


def scenario_macro(scenario: Scenario, package: str, macro: str, which: str) -> str | None:
    packages_ = scenario.package_set(which)
    found = packages_.get(package)
    return str(found.macros[macro]) if found and macro in found.macros else None
