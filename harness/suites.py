"""Running a test suite (pytest) against a live stack, with its reports under build/reports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from . import build_recorder, build_times, progress, report_pages, reports, stack
from .components import ROOT
from .engine import Engine

SUITES = ROOT / "tests"


def run(engine: Engine, info: stack.RunInfo, suite: str, pytest_args: list[str]) -> int:
    """Run tests/<suite> against a run; write JUnit XML there; return pytest's exit code."""
    folder = reports.run_dir(info.run_id)
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
               "-p", "harness.build_recorder",
               *pytest_args]
    with progress.step(f"running the {suite} suite against run {info.run_id}"):
        code = subprocess.run(command, env=env).returncode
    progress.say(f"{suite} suite exit code {code}; JUnit XML: {junit}")
    return code


def gate(engine: Engine, scenario_path: Path, scenario: object, run_id: str, suite: str,
         pytest_args: list[str], keep: bool) -> int:
    """Run a suite with reports and logs. An existing run is used as it is (and left running);
    otherwise a new run is brought up for the suite and torn down after it unless `keep`."""
    existing = stack.runs(engine).get(run_id)
    if existing is not None:
        progress.say(f"running the {suite} suite against the existing run {run_id}")
        keep = True
        info = existing
    else:
        info = stack.up(engine, scenario_path, scenario, run_id, keep=keep)  # type: ignore[arg-type]
    try:
        code = run(engine, info, suite, pytest_args)
    finally:
        containers = stack.containers_of(info)
        folder = reports.save_logs(engine, info.run_id, containers)
        progress.say(f"container logs saved in {folder}")
        report_folder = reports.run_dir(info.run_id)
        build_times.save(info.run_id, report_folder)
        if (report_folder / f"{suite}.junit.xml").exists():
            page = report_pages.write_suite(report_folder, suite,
                                            f"copr-harness {suite} suite, run {info.run_id}")
            progress.say(f"HTML report: {page}")
        if keep:
            progress.say(f"keeping run {info.run_id}: 'copr-harness down --run-id {info.run_id}'")
        else:
            stack.down(engine, info.run_id)
    return code
