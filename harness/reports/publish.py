"""Everything a finished run leaves in its report folder, in one call per kind of run: run.json,
the HTML page, summary.md (and $GITHUB_STEP_SUMMARY), tmt's results, and the history index."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from harness import paths, progress
from harness.messages import suite_check
from harness.reports import history, junit_html, pages, run_record, summary


def suite(folder: Path, suite_name: str, run_id: str, scenario_path: Path, scenario: Any,
          started: float, pytest_code: int | None) -> None:
    """A sanity or post-release run (`pytest_code` None: the suite never ran)."""
    junit = folder / f"{suite_name}.junit.xml"
    cases = junit_html.cases(junit) if junit.exists() else []
    verdict = "passed" if pytest_code == 0 else "failed"
    title = f"copr-harness {suite_name.replace('_', '-')} suite, run {run_id}"
    extra = {"pytest_exit_code": pytest_code, "tests": junit_html.totals(cases)}
    messages = suite_check.load(folder)
    if messages is not None:
        extra["messages"] = messages
    record = run_record.write(folder, suite_name, run_id, scenario_path, scenario, started,
                              time.time(), verdict, extra=extra)
    _suite_pages(folder, suite_name, title, verdict, cases, record)


def target_suite(folder: Path, suite_name: str, run_id: str, target_file: Path, target: Any,
                 versions: dict[str, str], started: float, pytest_code: int | None) -> Path:
    """A sanity or post-release run against a target: the same files as a local run's, titled
    with the Copr tested (summary.md's first line names it); the HTML page's path."""
    junit = folder / f"{suite_name}.junit.xml"
    cases = junit_html.cases(junit) if junit.exists() else []
    verdict = "passed" if pytest_code == 0 else "failed"
    title = (f"copr-harness {suite_name.replace('_', '-')} suite against the Copr at "
             f"{target.urls.frontend}")
    record = run_record.write_target(folder, suite_name, run_id, target_file, target, versions,
                                     started, time.time(), verdict,
                                     extra={"pytest_exit_code": pytest_code,
                                            "tests": junit_html.totals(cases)})
    return _suite_pages(folder, suite_name, title, verdict, cases, record)


def _suite_pages(folder: Path, suite_name: str, title: str, verdict: str, cases: list,
                 record: Path) -> Path:
    """A suite's HTML page (when it has a JUnit file), tmt results, summary.md and the history
    index; the page's path."""
    junit = folder / f"{suite_name}.junit.xml"
    page = folder / f"{suite_name}.html"
    if junit.exists():
        page = pages.write_suite(folder, suite_name, title)
        progress.say(f"HTML report: {page}")
        summary.write_tmt(folder, cases, [page.name, junit.name])
    summary.write(folder, title, verdict, cases, run_record.load(folder))
    progress.say(f"run record: {record}; summary: {folder / summary.FILE}")
    history.write(paths.REPORTS)
    return page


def rehearsal(folder: Path, run_id: str, scenario_path: Path, scenario: Any, started: float,
              result: dict, logs: list[Path]) -> None:
    """A release rehearsal: its verdict is the rules' (a scenario may expect a failure)."""
    verdict = "passed" if result["verdict"] == "pass" else "failed"
    run_record.write(folder, "rehearsal", run_id, scenario_path, scenario, started, time.time(),
                     verdict, package_sets=("production", "candidate"),
                     extra={"matches_expectation": result["matches_expectation"],
                            "rules": {r["name"]: r["ok"] for r in result["rules"]}})
    pages.write_rehearsal(folder, result, logs)
    cases = [junit_html.Case("rehearsal.rules", r["name"], "passed" if r["ok"] else "failed", 0.0,
                             r["message"], r["message"]) for r in result["rules"]]
    summary.write(folder, f"copr-harness rehearsal, run {run_id}", verdict, cases,
                  run_record.load(folder))
    summary.write_tmt(folder, cases, ["rehearsal.html"])
    history.write(paths.REPORTS)
