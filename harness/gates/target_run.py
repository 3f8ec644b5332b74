"""Running a suite against a Copr the harness did not start, given by a target file.

Black-box: only the target's URLs and copr-cli configs are used. The projects the suite creates
are recorded in a ledger in the report folder and deleted after pytest ended, however it ended
(unless kept); nothing else on the target is touched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from harness import interrupts, paths, progress
from harness.errors import EXIT_OK, InfraError, InputError
from harness.gates import build_recorder, project_ledger, pytest_plugin, suites, target_logs
from harness.model.target import CAPABILITIES, Target, load_target
from harness.naming import new_run_id
from harness.paths import ROOT
from harness.processes import stop_group
from harness.reports import build_times, publish

REACH_TIMEOUT = 10  # seconds: a Copr that answers at all answers its API root within this
FE_BE_HEADER = "Copr-FE-BE-API-Version"  # on every response of the frontend's /backend/ routes
POST_RELEASE_PROJECT = "TEST<12 hex digits>PostReleaseTest"
SANITY_CHROOT = "fedora-44-x86_64"  # tests/sanity/_builds.py CHROOT: its file names carry .fc44


def gate(target_file: Path | None, suite: str, pytest_args: list[str], keep: bool = False,
         dry_run: bool = False) -> int:
    """`copr-harness sanity|post-release --target FILE [--dry-run]`: check the file, then print
    the plan (dry run, contacting nothing) or run the suite; return the gate's exit code."""
    if target_file is None:
        raise InputError("--dry-run prints what a run against a target would do: give --target FILE")
    target = load_target(target_file)
    if dry_run:
        tests = collect(target_file.resolve(), suite, pytest_args)
        for line in plan(target, suite, tests):
            print(line)
        return EXIT_OK
    print(f"testing the Copr at {target.urls.frontend}", flush=True)
    check_reachable(target)
    run_id = new_run_id()
    code = run(target_file.resolve(), target, run_id, suite, pytest_args, keep=keep)
    verdict = "PASSED" if code == 0 else "FAILED"
    print(f"{suite.replace('_', '-')} against {target.urls.frontend} {verdict}; reports in "
          f"{paths.run_dir(run_id)}/")
    return suites.exit_code(code)


def check_reachable(target: Target) -> None:
    """Fail fast (InfraError, exit 3) naming the URL when the frontend does not answer."""
    url = f"{target.urls.frontend}/api_3/"
    try:
        requests.get(url, timeout=(REACH_TIMEOUT / 2, REACH_TIMEOUT))
    except requests.RequestException as error:
        reason = type(error).__name__
        raise InfraError(f"the Copr at {target.urls.frontend} does not answer ({url}: {reason})",
                         hint="is the URL in the target file right, and the Copr up?") from None


def reported_versions(target: Target) -> dict[str, str]:
    """The versions the Copr's frontend reports about itself (read-only GETs): APIv3's
    `version` (GET /api_3/) and the FE-BE API version (the header of GET /backend/importing/,
    which needs no login); '' for one it does not report."""
    found = {"api_3": "", "fe_be_api": ""}
    try:
        response = requests.get(f"{target.urls.frontend}/api_3/", timeout=REACH_TIMEOUT)
        if response.ok:
            found["api_3"] = str(response.json().get("version", ""))
    except (requests.RequestException, ValueError, AttributeError):
        pass  # recorded as not reported: the run's own checks say what is wrong
    try:
        response = requests.get(f"{target.urls.frontend}/backend/importing/", timeout=REACH_TIMEOUT)
        found["fe_be_api"] = response.headers.get(FE_BE_HEADER, "")
    except requests.RequestException:
        pass
    return found


def plan(target: Target, suite: str, tests: dict[str, list[str]]) -> list[str]:
    """What a run would do, for --dry-run: read-only checks, what it creates and deletes."""
    owner, user = target.owner, target.default_user
    chroots = ", ".join(target.chroots)
    lines = [f"dry run: would test the Copr at {target.urls.frontend} ({suite.replace('_', '-')} "
             "suite); nothing is contacted"]
    given = target.capabilities()
    if suite == "post_release":
        lines += [
            f"read-only: GET {target.urls.frontend}/api_3/ (the API answers version 3)",
            f"read-only: GET {target.urls.backend}/results/ (the backend serves results)",
            f"read-only: project {target.intact_project} is intact" if target.intact_project
            else "read-only: no project to check is named (intact_project:)",
            f"create: project {owner}/{POST_RELEASE_PROJECT}, unlisted on the home page, "
            f"chroots {chroots}, as {user}",
            "build: one SRPM (post-release-check) in it, which must succeed; its repository "
            "must install",
            f"delete: {owner}/{POST_RELEASE_PROJECT} (also after a failure, Ctrl-C or SIGTERM)",
        ]
    else:
        lines += [
            f"tests: {len(tests)} collected",
            "create: projects <user>/<test name>-<6 hex digits> (and '-fork' copies of them), "
            f"in the namespaces of the users {', '.join(target.users)}, for the chroots the "
            f"sanity suite builds for ({SANITY_CHROOT}, a few tests more): a test whose chroots "
            "the Copr does not offer is skipped, saying which",
            "delete: each of them after its test, and whatever is left at the end (also after "
            "a failure, Ctrl-C or SIGTERM)",
        ]
    for name in sorted(CAPABILITIES):
        skipped = [test for test, needs in tests.items() if name in needs]
        if skipped and name not in given:
            many = len(skipped) > 1
            lines.append(f"skip: {len(skipped)} test{'s' if many else ''} that need"
                         f"{'' if many else 's'} {CAPABILITIES[name]}")
    lines.append("never touched: any project this run did not create")
    return lines


def collect(target_file: Path, suite: str, pytest_args: list[str]) -> dict[str, list[str]]:
    """The tests a run would run and what each needs (pytest --collect-only: no fixture runs,
    nothing is contacted)."""
    with tempfile.TemporaryDirectory() as folder:
        needs = Path(folder) / "needs.json"
        result = subprocess.run(
            [sys.executable, "-m", "pytest", str(ROOT / "tests" / suite), "--collect-only", "-q",
             "-p", "no:cacheprovider", "--rootdir", str(ROOT),
             *[arg for arg in pytest_args if arg != "-n" and not arg.isdigit()]],
            env=dict(os.environ, COPR_STACK=str(target_file),
                     **{pytest_plugin.NEEDS_FILE_VARIABLE: str(needs)}),
            capture_output=True, text=True, timeout=120)
        if not needs.exists():
            raise InfraError(f"collecting the {suite} suite failed: "
                             f"{(result.stdout + result.stderr).strip()[-300:]}")
        return json.loads(needs.read_text())


def run(target_file: Path, target: Target, run_id: str, suite: str, pytest_args: list[str],
        keep: bool) -> int:
    """Run tests/<suite> against the target; reports in build/reports/<run_id>; pytest's code."""
    folder = paths.run_dir(run_id)
    started, versions = time.time(), reported_versions(target)
    ledger = folder / "projects.jsonl"
    junit = folder / f"{suite}.junit.xml"
    env = dict(os.environ, COPR_STACK=str(target_file), PYTHONUNBUFFERED="1")  # shown as it comes
    env[project_ledger.VARIABLE] = str(ledger)
    env[target_logs.VARIABLE] = str(folder / "logs")
    env = build_recorder.subprocess_env(env, folder / build_times.DELETED_LOG)
    if keep:
        env[project_ledger.KEEP_VARIABLE] = "1"
    else:
        env.pop(project_ledger.KEEP_VARIABLE, None)
    if suite == "sanity" and not any(arg.startswith("-n") for arg in pytest_args):
        pytest_args = ["-n", "auto", *pytest_args]  # as locally; post-release stays one process
    command = [sys.executable, "-m", "pytest", str(ROOT / "tests" / suite), f"--junitxml={junit}",
               "-o", f"junit_suite_name={suite}", "-p", "no:cacheprovider", "--rootdir", str(ROOT),
               "-p", "harness.gates.pytest_lifeline", "-p", "harness.gates.build_recorder",
               "-rs", *pytest_args]
    code: int | None = None
    try:
        with progress.step(f"running the {suite} suite against {target.urls.frontend}"):
            (folder / "logs").mkdir(exist_ok=True)
            code = _pytest(command, env, folder / "logs" / f"{suite}.log")
    finally:
        with interrupts.deferred():  # a Ctrl-C now must not cut the clean-up short
            _clean_up(target, ledger, keep)
            try:
                publish.target_suite(folder, suite, run_id, target_file, target, versions,
                                     started, code)
            except Exception as error:  # noqa: BLE001 - a report bug must not hide the verdict
                progress.say(f"could not write the reports: {type(error).__name__}: {error}")
    progress.say(f"{suite} suite exit code {code}; JUnit XML: {junit}")
    return code if code is not None else 1  # None only when _pytest raised


def _pytest(command: list[str], env: dict[str, str], log: Path) -> int:
    """Run pytest in its own process group, its output shown and saved to `log`."""
    process = None
    try:
        with interrupts.deferred():  # a signal amid Popen must not lose the handle
            process = subprocess.Popen(command, env=env, start_new_session=True, text=True,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       preexec_fn=interrupts.die_with_parent)
        with log.open("w") as saved:
            for line in process.stdout:  # type: ignore[union-attr]
                sys.stdout.write(line)
                saved.write(line)
        return process.wait()
    except BaseException:
        if process is not None:
            stop_group(process)  # SIGTERM: the workers' finalizers delete their projects
        raise


def _clean_up(target: Target, ledger: Path, keep: bool) -> None:
    """Delete the projects pytest recorded and left (a finalizer cut short, a SIGKILL)."""
    left = project_ledger.outstanding(ledger)
    if keep:
        for owner, name, _ in left:
            progress.say(f"kept project {owner}/{name} (--keep)")
        return
    deleted = project_ledger.sweep(ledger, target.users)
    if deleted:
        progress.say(f"deleted projects the suite left: {', '.join(deleted)}")
    remaining = project_ledger.outstanding(ledger)
    if remaining:
        progress.say("could NOT delete: " + ", ".join(f"{o}/{n}" for o, n, _ in remaining))
