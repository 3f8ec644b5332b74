"""`copr-harness rehearse`: the production upgrade window on a copy of production.

Up at the production versions, real data in (projects, signed builds, keys), builds queued as the
window opens, the steps in the scenario's order, the post-release suite, then a verdict per rule.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import re
import secrets
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import requests
from copr.v3 import Client

from harness import interrupts, paths, progress, stack, wait
from harness.artifacts import packages
from harness.artifacts.srpms import make_srpm
from harness.gates import suites
from harness.gates.copr_waits import FINISHED
from harness.model.components import all_components
from harness.model.scenario import Scenario
from harness.model.versions import rpmvercmp
from harness.podman.engine import Engine
from harness.reports import build_times, publish
from harness.stack import users
from harness.upgrade import plan as planning
from harness.upgrade.window import Runner, Window

RUNNING_ON = re.compile(r"task (\S+): running on (\S+) \(copr-rpmbuild ([^)]+)\)")
# The backend logs the frontend's FE-BE API whenever it changes, with its own minimum.
API_SEEN = re.compile(r"FE/BE API version on Frontend side: (\d+) \(this backend needs >= (\d+)\)")


@dataclass
class Rule:
    name: str
    ok: bool
    message: str


@dataclass
class Verdict:
    """The outcome of a rehearsal and whether it is the one the scenario expects."""

    verdict: str
    rules: list[Rule]
    failed_step: str | None
    window_seconds: float
    expected: dict
    matches_expectation: bool
    details: dict = field(default_factory=dict)


# -- data made before the window ------------------------------------------------------------------


def _client(run_id: str) -> Client:
    return Client.create_from_config_file(str(users.configs(run_id)[users.DEFAULT_USER]))


def _wait_builds(client: Client, ids: list[int], timeout: float) -> dict[int, str]:
    def all_finished() -> dict[int, str]:
        states = {i: client.build_proxy.get(i).state for i in ids}
        busy = [i for i, s in states.items() if s not in FINISHED]
        if busy:
            raise wait.NotYet(f"builds {busy} not finished")
        return states

    return wait.until(all_finished, what=f"builds {ids} to finish", timeout=timeout)


def seed(client: Client, owner: str, backend_url: str, workdir: Path) -> dict:
    """Projects with succeeded, signed builds; return the manifest to check nothing is lost."""
    srpm = make_srpm(workdir, "seeded")
    made = []
    for index, (project_owner, chroots) in enumerate(
            [(owner, ["fedora-44-x86_64"]), (owner, ["fedora-44-x86_64", "epel-9-x86_64"]),
             ("@copr", ["fedora-44-x86_64"])]):
        name = f"prod-data-{index}-{secrets.token_hex(3)}"
        client.project_proxy.add(project_owner, name, chroots=chroots, description="made before the window")
        build = client.build_proxy.create_from_file(project_owner, name, str(srpm))
        made.append((project_owner, name, build.id))
    states = _wait_builds(client, [b for _, _, b in made], timeout=180)
    manifest: dict = {"projects": [], "files": {}}
    for project_owner, name, build_id in made:
        project = client.project_proxy.get(project_owner, name)
        manifest["projects"].append({"ownername": project_owner, "name": name,
                                     "full_name": project.full_name,
                                     "builds": {str(build_id): states[build_id]}})
        base = f"{backend_url}/results/{project_owner}/{name}"
        urls = [f"{base}/pubkey.gpg"]
        for chroot in client.build_chroot_proxy.get_list(build_id):
            if chroot.result_url:
                urls.append(chroot.result_url.rstrip("/") + "/results.json")
        for url in urls:
            response = requests.get(url, timeout=10)
            if response.ok:
                manifest["files"][url] = hashlib.sha256(response.content).hexdigest()
    return manifest


def check_data(client: Client, manifest: dict) -> list[str]:
    """What of the manifest is missing or changed (empty: nothing lost)."""
    problems = []
    for project in manifest["projects"]:
        try:
            builds = client.build_proxy.get_list(project["ownername"], project["name"])
        except Exception as error:  # noqa: BLE001 - a missing project is the finding
            problems.append(f"{project['full_name']}: {error}")
            continue
        states = {str(b.id): b.state for b in builds}
        for build_id, state in project["builds"].items():
            if states.get(build_id) != state:
                problems.append(f"{project['full_name']} build {build_id}: {states.get(build_id)} "
                                f"(was {state})")
    for url, digest in manifest["files"].items():
        response = requests.get(url, timeout=10)
        if not response.ok or hashlib.sha256(response.content).hexdigest() != digest:
            problems.append(f"{url}: {'changed' if response.ok else response.status_code}")
    return problems


# -- rules ----------------------------------------------------------------------------------------


STARTING = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) .*task (\S+): starting build .*"
                      r"frontend FE/BE API (\d+)", re.MULTILINE)


def _switched_at(window: Window, component: str) -> float | None:
    """When the candidate version of a component started (the start of its start phase)."""
    return next((e.start for e in window.events
                 if e.lane == component and e.phase in ("start", "replace") and e.ok), None)


def task_starts(backend_log: str) -> list[tuple[float, str, int]]:
    """(time, task id, FE-BE API the backend saw) of every task the backend started."""
    found = []
    for stamp, millis, task, api in STARTING.findall(backend_log):
        when = datetime.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").replace(
            tzinfo=datetime.timezone.utc).timestamp() + int(millis) / 1000
        found.append((when, task, int(api)))
    return found


def evaluate(scenario: Scenario, window: Window, client: Client, queued: list[int],
             queued_states: dict[int, str], backend_log: str, nvrs: dict[str, list[str]],
             expected_nvrs: dict[str, list[str]], lost: list[str]) -> list[Rule]:
    """A verdict per rule, from what the window recorded and what the stack says now."""
    assert scenario.production is not None
    rules = []
    failed = window.failed_step
    rpm_failed = failed is not None and failed.failed_phase == "upgrade"
    rules.append(Rule("rpm-transactions", not rpm_failed,
                      failed.error if rpm_failed else "every rpm -Uvh of the window succeeded"))

    backend_switch = _switched_at(window, "backend")
    old_min = scenario_macro(scenario, "copr-backend", "min_fe_be_api", "production")
    new_min = scenario_macro(scenario, "copr-backend", "min_fe_be_api", "candidate")

    def backend_min(t: float) -> int | None:
        value = new_min if backend_switch is not None and t >= backend_switch else old_min
        return int(value) if value is not None else None

    starts = [(t, task, api) for t, task, api in task_starts(backend_log)
              if int(task.split("-")[0]) in queued]
    too_old = [task for t, task, api in starts if backend_min(t) is not None and api < backend_min(t)]
    newer = [f"task {task} (API {api}, backend knows {backend_min(t)})" for t, task, api in starts
             if backend_min(t) is not None and api > backend_min(t)]
    # Accepting a newer frontend's queue is the hazard itself, whether or not a job came by.
    newer += [f"accepted the queue of a frontend with API {seen} (it knows {own})"
              for seen, own in API_SEEN.findall(backend_log) if int(seen) > int(own)]
    waited = "waits for" in backend_log or "too old" in backend_log
    failed_queued = [i for i, s in queued_states.items() if s == "failed"]
    rules.append(Rule(
        "backend-waited", not too_old and not failed_queued,
        ("the backend waited for a new enough frontend; " if waited else "the backend never had to wait; ")
        + "no queued build failed" if not too_old and not failed_queued
        else f"tasks started with a too old frontend: {too_old}; failed queued builds: {failed_queued}"))
    rules.append(Rule(
        "no-newer-frontend-jobs", not newer,
        "the backend never took a job from a frontend whose API it does not understand" if not newer
        else "the backend processed jobs from a frontend with a newer FE-BE API than it "
             f"understands: {newer}"))

    # Log lines carry no time, so each is held to the lower of the two backends' minimums.
    minimums = [m for m in (scenario_macro(scenario, "copr-backend", "min_builder_version", c)
                            for c in ("production", "candidate")) if m]
    floor = min(minimums, key=functools.cmp_to_key(rpmvercmp)) if minimums else "0"
    below = []
    for task, host, version in RUNNING_ON.findall(backend_log):
        if rpmvercmp(version, floor) < 0:
            below.append(f"{task} on {host} ({version})")
    rules.append(Rule("builder-version-gate", not below,
                      "no build ran on a builder below MIN_BUILDER_VERSION" if not below
                      else f"builds ran on builders below MIN_BUILDER_VERSION: {below}"))

    unfinished = [i for i in queued if queued_states.get(i) != "succeeded"]
    why = ""
    refused = re.findall(r"refused: (Minimum version for builder is [^\n]+)", backend_log)
    if unfinished and refused:
        why = f"; builds wait: {refused[-1]}"
    rules.append(Rule("builds-completed", not unfinished,
                      "every queued build succeeded" if not unfinished
                      else f"queued builds not succeeded: "
                           f"{ {i: queued_states.get(i, 'unknown') for i in unfinished} }{why}"))

    wrong = {c: {"has": nvrs.get(c), "expected": e} for c, e in expected_nvrs.items()
             if sorted(nvrs.get(c) or []) != sorted(e)}
    rules.append(Rule("final-nvrs", not wrong,
                      "every container runs exactly the candidate NVRs" if not wrong
                      else f"containers not on the candidates: {wrong}"))
    rules.append(Rule("no-data-lost", not lost,
                      "projects, builds, result files and keys made before the window are intact"
                      if not lost else f"lost or changed: {lost}"))
    duration = window.ended - window.started
    budget = scenario.upgrade.budget_seconds
    rules.append(Rule("window-budget", duration <= budget,
                      f"window {duration:.1f}s (budget {budget:.0f}s)"))
    return rules


def scenario_macro(scenario: Scenario, package: str, macro: str, which: str) -> str | None:
    packages_ = scenario.package_set(which)
    found = packages_.get(package)
    return str(found.macros[macro]) if found and macro in found.macros else None


# -- the whole rehearsal --------------------------------------------------------------------------


def installed_copr_nvrs(engine: Engine, info: stack.RunInfo) -> dict[str, list[str]]:
    found = {}
    for name in stack.containers_of(info):
        short = name.removeprefix(f"{info.run_id}-")
        found[short] = [n for n in packages.installed(engine, name)]
    return found


def rehearse(engine: Engine, scenario_path: Path, scenario: Scenario, run_id: str,
             keep: bool = False) -> Verdict:
    """Run the rehearsal and write its report under build/reports/<run-id>/."""
    plan = planning.make(scenario)
    for problem in plan.problems:
        progress.say(f"plan predicts [{problem.rule}] at {problem.step}: {problem.message}")
    info: stack.RunInfo | None = None
    folder = paths.run_dir(run_id)
    started = time.time()
    try:
        info = stack.up(engine, scenario_path, scenario, run_id, package_set="production", keep=False)
        client = _client(run_id)
        owner = users.DEFAULT_USER
        backend_url = stack.url(engine, run_id, all_components()["backend"])
        with tempfile.TemporaryDirectory() as tmp, progress.step("putting production data in"):
            manifest = seed(client, owner, backend_url, Path(tmp))
            manifest_path = paths.state_dir(run_id) / "data-manifest.json"
            manifest_path.write_text(json.dumps(manifest, indent=2))
            queued_srpm = make_srpm(Path(tmp) / "queued", "queued")
            queue_project = f"window-queue-{secrets.token_hex(3)}"
            client.project_proxy.add(owner, queue_project, chroots=["fedora-44-x86_64"])
            runner = Runner(engine, info, scenario.package_set("production"), scenario.candidate)
            # The window opens: builds submitted now stay queued while components are upgraded.
            queued = [client.build_proxy.create_from_file(owner, queue_project, str(queued_srpm)).id
                      for _ in range(scenario.upgrade.queued_builds)]
            window = runner.run(plan.steps)
        progress.say(f"window: {window.ended - window.started:.1f}s"
                     + (f", stopped at step {window.failed_step.component}" if window.failed_step else ""))
        try:
            queued_states = _wait_builds(client, queued, timeout=90) if queued else {}
        except wait.WaitTimeout:
            queued_states = {i: client.build_proxy.get(i).state for i in queued}
        backend = all_components()["backend"].instances(run_id)[0][0]
        backend_log = engine.logs(backend)
        nvrs = installed_copr_nvrs(engine, info)
        expected = stack.describe(engine, info)["expected_packages"]
        owner_of = {name.removeprefix(f"{run_id}-"): c for c in info.components
                    for name, _ in all_components()[c].instances(run_id)}
        expected = {c: [_candidate_nvr(scenario, n, owner_of.get(c)) for n in e]
                    for c, e in expected.items()}
        lost = check_data(client, manifest)
        rules = evaluate(scenario, window, client, queued, queued_states, backend_log, nvrs,
                         expected, lost)
        if window.failed_step is not None:
            rules.append(Rule("post-release-suite", False,
                              f"not run: the window stopped at step {window.failed_step.component}"))
        elif any(state != "succeeded" for state in queued_states.values()):
            rules.append(Rule("post-release-suite", False,
                              "not run: the queued builds never completed, so its build would not"))
        else:
            info.package_set = "candidate"  # what the post-release suite must find installed
            stack.write_description(engine, info)
            code = suites.run(engine, info, "post_release", ["-n", "2"])
            rules.append(Rule("post-release-suite", code == 0, f"post-release suite exit code {code}"))
        verdict = "pass" if all(r.ok for r in rules) and window.failed_step is None else "fail"
        failed_rules = sorted(r.name for r in rules if not r.ok)
        expect = scenario.expect
        matches = (verdict == expect.verdict and failed_rules == sorted(expect.failed_rules)
                   and (expect.failed_step is None or
                        (window.failed_step and window.failed_step.component == expect.failed_step)))
        result = Verdict(verdict, rules, window.failed_step.component if window.failed_step else None,
                         round(window.ended - window.started, 1), expect.model_dump(), bool(matches),
                         {"queued_builds": queued_states, "plan_problems": [asdict(p) for p in plan.problems],
                          "steps": [asdict(s) for s in window.steps],
                          "stack_state": _state_text(window)})
        write_report(folder, scenario_path, result, window, client, queued, info,
                     (scenario, started))
        return result
    finally:
        with interrupts.deferred():  # a Ctrl-C now must not cut the teardown short
            if info is None:
                # up cleaned up after itself; only a signal just as it returned leaves the run. (Any
                # other error may be "run id in use": that run is someone else's.)
                if isinstance(sys.exc_info()[1], KeyboardInterrupt):
                    engine.remove_run(run_id)
            else:
                logs = stack.save_logs(engine, run_id, stack.containers_of(info))
                progress.say(f"container logs saved in {logs}")
                if keep:
                    progress.say(f"keeping run {run_id}: 'copr-harness down --run-id {run_id}'")
                else:
                    stack.down(engine, run_id)


def _candidate_nvr(scenario: Scenario, nvr: str, component: str | None = None) -> str:
    name = nvr.rsplit("-", 2)[0]
    package = scenario.candidate.get(name)
    package = package.for_component(component) if package else None
    return f"{name}-{package.evr}" if package else nvr


def _state_text(window: Window) -> str:
    failed = window.failed_step
    if failed is None:
        return "every step completed: the stack runs the candidate versions"
    done = [s.component for s in window.steps if s.ok]
    rolled = "rolled back to its production packages and restarted" if failed.rolled_back else \
        "NOT rolled back"
    return (f"stopped at step '{failed.component}' ({failed.failed_phase}): {failed.error}. "
            f"Upgraded before it: {', '.join(done) or 'nothing'}. {failed.component}: {rolled}. "
            "Every later component still runs its production version.")


def write_report(folder: Path, scenario_path: Path, result: Verdict, window: Window,
                 client: Client, queued: list[int], info: stack.RunInfo,
                 run: tuple[Scenario, float]) -> None:
    """rehearsal.json (for CI), and the run's record, page and summaries (`publish`); `run`:
    the scenario and when the run started."""
    builds = []
    for build_id in queued:
        build = client.build_proxy.get(build_id)
        builds.append({"id": build_id, "submitted": build.submitted_on, "started": build.started_on,
                       "ended": build.ended_on, "state": build.state})
    summary = asdict(result) | {"scenario": str(scenario_path), "window_started": window.started,
                                "window_ended": window.ended,
                                "events": [asdict(e) for e in window.events], "builds": builds}
    (folder / "rehearsal.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    build_times.save(info.run_id, folder)
    # The logs are saved at teardown, after this page: link them by their names.
    logs = [Path("logs") / f"{name.removeprefix(info.run_id + '-')}.log"
            for name in stack.containers_of(info)]
    publish.rehearsal(folder, info.run_id, scenario_path, run[0], run[1], summary, logs)
    progress.say(f"report: {folder / 'rehearsal.html'} and {folder / 'rehearsal.json'}")
