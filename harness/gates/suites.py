"""Running a test suite (pytest) against a live stack, with its reports under build/reports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from harness.artifacts import provenance
from harness import interrupts, paths, progress, stack
from harness.gates import build_recorder
from harness.paths import ROOT
from harness.podman.engine import Engine
from harness.processes import stop_group
from harness.reports import build_times, pages

SUITES = ROOT / "tests"


def run(engine: Engine, info: stack.RunInfo, suite: str, pytest_args: list[str]) -> int:
    """Run tests/<suite> against a run; write JUnit XML there; return pytest's exit code."""
    folder = paths.run_dir(info.run_id)
    env = dict(os.environ)
    for line in stack.env_lines(engine, info):
        key, _, value = line.removeprefix("export ").partition("=")
        env[key] = value
    junit = folder / f"{suite}.junit.xml"
    env[build_recorder.VARIABLE] = str((folder / build_times.DELETED_LOG).resolve())
    if not any(arg == "-n" or arg.startswith("-n") for arg in pytest_args):
        pytest_args = ["-n", "auto", *pytest_args]  # tests make their own projects: parallel-safe
    command = [sys.executable, "-m", "pytest", str(SUITES / suite), f"--junitxml={junit}",
               "-o", f"junit_suite_name={suite}", "-p", "no:cacheprovider", "--rootdir", str(ROOT),
               "-p", "harness.gates.pytest_lifeline", "-p", "harness.gates.build_recorder",
               *pytest_args]
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
            raise
    progress.say(f"{suite} suite exit code {code}; JUnit XML: {junit}")
    return code


def gate(engine: Engine, scenario_path: Path, scenario: object, run_id: str, suite: str,
         pytest_args: list[str], keep: bool) -> int:
    """Run a suite with reports and logs. An existing run is used as it is (and left running);
    otherwise a new run is brought up for the suite and torn down after it unless `keep`."""
    existing = stack.runs(engine).get(run_id)
    info = existing
    if existing is not None:
        progress.say(f"running the {suite} suite against the existing run {run_id}")
        keep = True
    try:
        if info is None:
            info = stack.up(engine, scenario_path, scenario, run_id, keep=keep)  # type: ignore[arg-type]
        code = run(engine, info, suite, pytest_args)
    finally:
        with interrupts.deferred():  # a Ctrl-C now must not cut the teardown short
            if info is None:
                # up cleaned up after itself; only a signal just as it returned leaves the run. (Any
                # other error may be "run id in use": that run is someone else's.)
                if isinstance(sys.exc_info()[1], KeyboardInterrupt):
                    engine.remove_run(run_id)
            else:
                _finish(engine, info, suite, keep)
    return code


def _finish(engine: Engine, info: stack.RunInfo, suite: str, keep: bool) -> None:
    """Save logs, build times and the HTML report; remove the run unless kept."""
    folder = stack.save_logs(engine, info.run_id, stack.containers_of(info))
    progress.say(f"container logs saved in {folder}")
    report_folder = paths.run_dir(info.run_id)
    build_times.save(info.run_id, report_folder)
    provenance.save(report_folder, stack.expected_origins(info))
    if (report_folder / f"{suite}.junit.xml").exists():
        page = pages.write_suite(report_folder, suite,
                                        f"copr-harness {suite} suite, run {info.run_id}")
        progress.say(f"HTML report: {page}")
    if keep:
        progress.say(f"keeping run {info.run_id}: 'copr-harness down --run-id {info.run_id}'")
    else:
        stack.down(engine, info.run_id)
