"""Running a test suite (pytest) against a live stack, with its reports under build/reports."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from harness import interrupts, paths, progress, stack
from harness.errors import EXIT_FAILED, EXIT_INFRA, EXIT_OK, EXIT_USAGE, InfraError, InputError
from harness.gates import build_recorder
from harness.messages import bus, suite_check
from harness.model.scenario import Scenario
from harness.paths import ROOT
from harness.podman.engine import Engine
from harness.processes import stop_group
from harness.reports import build_times, publish

SUITES = ROOT / "tests"
# pytest's exit codes (pytest.ExitCode) as the harness's: no test matched and usage errors are
# bad input; an internal error and an interrupted (collection errors) run are infrastructure.
EXIT_CODES = {0: EXIT_OK, 1: EXIT_FAILED, 2: EXIT_INFRA, 3: EXIT_INFRA, 4: EXIT_USAGE, 5: EXIT_USAGE}
COLLECT_TIMEOUT = 120


def exit_code(pytest_code: int) -> int:
    """The harness's exit code for a pytest exit code (anything unknown is infrastructure)."""
    return EXIT_CODES.get(pytest_code, EXIT_INFRA)


def _selection(suite: str, pytest_args: list[str]) -> list[str]:
    """The pytest command line without its parallelism: what selects the tests."""
    kept, skip = [], False
    for arg in pytest_args:
        if skip:
            skip = False
        elif arg == "-n":
            skip = True
        elif not arg.startswith("-n"):
            kept.append(arg)
    return [sys.executable, "-m", "pytest", str(SUITES / suite), "-p", "no:cacheprovider",
            "--rootdir", str(ROOT), "-p", "no:xdist", *kept]


def collect(suite: str, pytest_args: list[str]) -> int:
    """Collect the selected tests (nothing is brought up); their number. No test matched or a
    usage error raises InputError, an internal pytest error InfraError, each with pytest's words."""
    command = [*_selection(suite, pytest_args), "--collect-only", "-q"]
    env = {k: v for k, v in os.environ.items() if k != "COPR_STACK"}
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env,
                              timeout=COLLECT_TIMEOUT)
    except subprocess.TimeoutExpired as error:
        raise InfraError(f"collecting the {suite} suite took over {COLLECT_TIMEOUT}s") from error
    said = (done.stderr.strip() or done.stdout.strip()).splitlines()
    last = said[-1] if said else f"exit code {done.returncode}"
    if done.returncode == 5:
        raise InputError(f"no test of the {suite} suite matches {' '.join(pytest_args) or 'the selection'}")
    if done.returncode == 4:
        raise InputError(f"pytest refused the {suite} suite's arguments: {last}")
    if done.returncode != 0:
        raise InfraError(f"could not collect the {suite} suite (pytest exit {done.returncode}): {last}")
    count = sum(1 for line in done.stdout.splitlines() if "::" in line)
    progress.say(f"{count} tests of the {suite} suite selected")
    return count


def run(engine: Engine, info: stack.RunInfo, suite: str, pytest_args: list[str]) -> int:
    """Run tests/<suite> against a run; write JUnit XML there; return pytest's exit code."""
    folder = paths.run_dir(info.run_id)
    env = dict(os.environ) | stack.environment(engine, info)
    junit = folder / f"{suite}.junit.xml"
    env = build_recorder.subprocess_env(env, folder / build_times.DELETED_LOG)
    if not any(arg == "-n" or arg.startswith("-n") for arg in pytest_args):
        pytest_args = ["-n", "auto", *pytest_args]  # tests make their own projects: parallel-safe
    command = [sys.executable, "-m", "pytest", str(SUITES / suite), f"--junitxml={junit}",
               "-o", f"junit_suite_name={suite}", "-p", "no:cacheprovider", "--rootdir", str(ROOT),
               "-p", "harness.gates.pytest_lifeline", "-p", "harness.gates.build_recorder",
               *pytest_args]
    # A stack with a broker: its messages are consumed from before the suite's first build.
    collector, began = None, time.time()
    if "broker" in info.components:
        collector = bus.connect(engine, info.run.first("broker").name)
    with progress.step(f"running the {suite} suite against run {info.run_id}"):
        # Its own process group: a Ctrl-C reaches the harness only, which stops the whole group
        # (xdist workers too); and it dies with the harness if that is killed.
        process = None
        try:
            with interrupts.deferred():  # a signal amid Popen must not lose the handle
                process = subprocess.Popen(command, env=env, start_new_session=True,
                                           preexec_fn=interrupts.die_with_parent)
            code = process.wait()
        except BaseException:
            if process is not None:
                stop_group(process)
            if collector is not None:
                collector.close()
            raise
    progress.say(f"{suite} suite exit code {code}; JUnit XML: {junit}")
    if collector is not None:
        ended = lambda: suite_check.api_builds(info.run_id, folder, began)  # noqa: E731
        if suite_check.finish(collector, folder, ended) and code == 0:
            code = 1  # pytest's "tests failed": a message check is part of the suite's verdict
    return code


def gate(engine: Engine, scenario: Scenario, run_id: str, suite: str, pytest_args: list[str],
         keep: bool, collected: bool = False) -> int:
    """Run a suite with reports and logs. An existing run is used as it is (and left running);
    otherwise a new run is brought up for the suite and torn down after it unless `keep`.
    The selection is collected first (unless the caller did: `collected`), so bad input costs
    seconds and creates nothing."""
    if not collected:
        collect(suite, pytest_args)
    started, code = time.time(), None

    def reports(info: stack.RunInfo) -> None:
        """Build times and the reports (`publish.suite`: run.json, the page, summary.md), while
        the stack still runs (after its logs are saved, before it is removed)."""
        folder = paths.run_dir(info.run_id)
        build_times.save(info.run_id, folder)
        try:
            publish.suite(folder, suite, info.run_id, scenario.path, scenario, started, code)
        except Exception as error:  # noqa: BLE001 - a report bug must not leave the stack running
            progress.say(f"could not write the reports: {type(error).__name__}: {error}")

    with stack.running(engine, scenario, run_id, keep=keep, reuse=True,
                       before_teardown=reports) as info:
        code = run(engine, info, suite, pytest_args)
    return code
