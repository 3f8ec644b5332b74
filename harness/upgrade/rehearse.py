"""`copr-harness rehearse`: the production upgrade window on a copy of production.

Up at the production versions, real data in (projects, signed builds, keys), builds queued as the
window opens, the steps in the scenario's order, the post-release suite, then a verdict per rule.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import re
import secrets
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import requests
from copr.v3 import Client

from harness import progress, stack, wait
from harness.artifacts import packages
from harness.artifacts.srpms import make_srpm
from harness.gates import suites
from harness.gates.copr_waits import FINISHED
from harness.messages import bus
from harness.model.components import all_components
from harness.model.rules import RuleName
from harness.model.scenario import Scenario
from harness.naming import DEFAULT_CHROOT
from harness.podman.engine import Engine
from harness.reports import build_times, publish
from harness.stack import users
from harness.upgrade import backend_log, message_rule
from harness.upgrade import plan as planning
from harness.upgrade.rules import Rule, evaluate
from harness.upgrade.window import Runner, Window

# Seconds the production data's builds may take before the window. (The builds queued as the
# window opened have the scenario's queued_builds_seconds after it; not met, they count as not
# completed: a verdict, not an error.)
SEED_BUILDS_TIMEOUT = 180


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
            [(owner, [DEFAULT_CHROOT]), (owner, [DEFAULT_CHROOT, "epel-9-x86_64"]),
             ("@copr", [DEFAULT_CHROOT])]):
        name = f"prod-data-{index}-{secrets.token_hex(3)}"
        client.project_proxy.add(project_owner, name, chroots=chroots, description="made before the window")
        build = client.build_proxy.create_from_file(project_owner, name, str(srpm))
        made.append((project_owner, name, build.id))
    states = _wait_builds(client, [b for _, _, b in made], timeout=SEED_BUILDS_TIMEOUT)
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


# -- what the backend and the builders recorded ------------------------------------------------

# The builder's live log (containers/builder/src/copr_rpmbuild/main.py) opens with its version,
# then names its task; the backend keeps it in the build's result directory.
LIVE_VERSION = re.compile(r"copr-rpmbuild version (\S+)")
LIVE_TASK = re.compile(r"^Task (\S+) \(", re.MULTILINE)


def live_log_builder(text: str) -> tuple[str, str] | None:
    """(task id, copr-rpmbuild version) a builder's live log names, or None."""
    version, task = LIVE_VERSION.search(text), LIVE_TASK.search(text)
    return (task.group(1), version.group(1)) if version and task else None


def builders_of(client: Client, builds: list[int]) -> list[tuple[str, str, str]]:
    """(task, "builder", copr-rpmbuild version) of each RPM build of `builds` whose live log the
    backend stored: copr-backend logs no builder version, the builder's own log does."""
    found = []
    for build_id in builds:
        for chroot in client.build_chroot_proxy.get_list(build_id):
            if not chroot.result_url:
                continue
            for name in ("builder-live.log.gz", "builder-live.log"):
                response = requests.get(chroot.result_url.rstrip("/") + "/" + name, timeout=10)
                if not response.ok:
                    continue
                data = response.content
                text = (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode(
                    errors="replace")
                named = live_log_builder(text)
                if named:
                    found.append((named[0], "builder", named[1]))
                break
    return found


# -- the whole rehearsal --------------------------------------------------------------------------


def installed_nvrs(engine: Engine, info: stack.RunInfo) -> dict[str, list[str]]:
    """Every installed package's NVR, by container (short name)."""
    return {i.short: packages.installed(engine, i.name) for i in info.run.instances()}


def candidate_nvrs(info: stack.RunInfo, scenario: Scenario) -> dict[str, list[str]]:
    """The NVRs each container must run once every step is done: its candidate packages."""
    found = {}
    for component in info.components:
        versions = scenario.component_set("candidate", component)  # by_component versions too
        nvrs = [f"{name}-{versions[name].evr}" for name in scenario.packages_of(component)]
        found |= {instance.short: nvrs for instance in info.run.instances(component)}
    return found


def rehearse(engine: Engine, scenario: Scenario, run_id: str, keep: bool = False) -> Verdict:
    """Run the rehearsal and write its report under build/reports/<run-id>/."""
    plan = planning.predict(scenario)
    for problem in plan.problems:
        progress.say(f"plan predicts [{problem.rule}] at {problem.step}: {problem.message}")
    started = time.time()
    with stack.running(engine, scenario, run_id, package_set="production", keep=keep) as info:
        # A stack with a broker: one consumer from before the first build to after the window
        # (closed here too when the rehearsal stops early).
        collector = (bus.connect(engine, info.run.first("broker").name)
                     if "broker" in info.components else None)
        try:
            return _rehearse(engine, scenario, info, plan, started, collector)
        finally:
            if collector is not None:
                collector.close()


def _rehearse(engine: Engine, scenario: Scenario, info: stack.RunInfo, plan: planning.Plan,
              started: float, collector: bus.Collector | None) -> Verdict:
    run = info.run
    client = _client(run.id)
    owner = users.DEFAULT_USER
    backend_url = stack.url(engine, run.id, all_components()["backend"])
    with tempfile.TemporaryDirectory() as tmp, progress.step("putting production data in"):
        manifest = seed(client, owner, backend_url, Path(tmp))
        (run.state_dir / "data-manifest.json").write_text(json.dumps(manifest, indent=2))
        queued_srpm = make_srpm(Path(tmp) / "queued", "queued")
        queue_project = f"window-queue-{secrets.token_hex(3)}"
        client.project_proxy.add(owner, queue_project, chroots=[DEFAULT_CHROOT])
        runner = Runner(engine, info, scenario.package_set("production"), scenario.candidate)
        runner.prepare(plan.steps)
        before = list(collector.drain()) if collector else []  # the production set's messages
        # The window opens: builds submitted now stay queued while components are upgraded.
        queued = [client.build_proxy.create_from_file(owner, queue_project, str(queued_srpm)).id
                  for _ in range(scenario.upgrade.queued_builds)]
        window = runner.run(plan.steps)
    progress.say(f"window: {window.ended - window.started:.1f}s"
                 + (f", stopped at step {window.failed_step.component}" if window.failed_step else ""))
    try:
        queued_states = (_wait_builds(client, queued, timeout=scenario.upgrade.queued_builds_seconds)
                         if queued else {})
    except wait.WaitTimeout:
        queued_states = {i: client.build_proxy.get(i).state for i in queued}
    judged_log = backend_log.collect(engine, run.first("backend").name)
    # What the rules read, beside the report: the log drain's files are not in the container logs.
    (run.report_dir / "backend-judged.log").write_text(judged_log)
    rules = evaluate(scenario, window, queued, queued_states, judged_log,
                     installed_nvrs(engine, info),
                     candidate_nvrs(info, scenario), check_data(client, manifest),
                     gates=plan.gates,
                     builders=builders_of(client, queued))
    if collector is not None:
        rules.append(message_rule.judge_collector(collector, before, builds_after=bool(queued)))
    if window.failed_step is not None:
        rules.append(Rule(RuleName.POST_RELEASE_SUITE, False,
                          f"not run: the window stopped at step {window.failed_step.component}"))
    elif any(state != "succeeded" for state in queued_states.values()):
        rules.append(Rule(RuleName.POST_RELEASE_SUITE, False,
                          "not run: the queued builds never completed, so its build would not"))
    else:
        # After the window the run is at the candidate set: what the post-release suite checks.
        upgraded = dataclasses.replace(info, package_set="candidate")
        code = suites.run(engine, upgraded, "post_release", ["-n", "2"])
        rules.append(Rule(RuleName.POST_RELEASE_SUITE, code == 0, f"post-release suite exit code {code}"))
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
    write_report(run.report_dir, scenario.path, result, window, client, queued, info,
                 (scenario, started))
    return result


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
    # (and the folders of the components' own log files, e.g. copr-backend's).
    defined = all_components()
    logs = [Path("logs") / f"{instance.short}.log" for instance in info.run.instances()]
    logs += [Path("logs") / instance.short for c in info.run.components if defined[c].log_dir
             for instance in info.run.instances(c)]
    publish.rehearsal(folder, info.run_id, scenario_path, run[0], run[1], summary, logs)
    progress.say(f"report: {folder / 'rehearsal.html'} and {folder / 'rehearsal.json'}")
