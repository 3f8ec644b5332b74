"""A run's short forms for CI: summary.md (verdict, counts, timings, NVRs, each failure folded),
appended to $GITHUB_STEP_SUMMARY when set, and tmt's custom results (one row per test)."""

from __future__ import annotations

import os
from html import escape
from pathlib import Path

import yaml

from harness.reports import outcome
from harness.reports.junit_html import Case, summary as counts_line, totals

FILE = "summary.md"
TMT_FILE = "tmt-results.yaml"  # the tmt plan copies it to $TMT_TEST_DATA/results.yaml
TMT_RESULTS = {"passed": "pass", "xfailed": "pass", "failed": "fail", "error": "error",
               "skipped": "skip"}
LABELS = {"total_seconds": "run {} s", "bringup_seconds": "bring-up {} s", "builds": "builds {}",
          "build_latency_p50": "build latency p50 {} s", "build_latency_p90": "p90 {} s"}
MAX_TRACEBACK = 6000  # characters of a failure kept in summary.md (GitHub caps a summary)


def _fence(text: str) -> str:
    body = text if len(text) <= MAX_TRACEBACK else "...\n" + text[-MAX_TRACEBACK:]
    return "```\n" + body.replace("```", "'''") + "\n```"


def markdown(title: str, verdict: str, cases: list[Case], record: dict | None) -> str:
    """summary.md's text: the verdict and counts first, then timings, NVRs and failures."""
    lines = [f"## {'✅' if verdict == 'passed' else '❌'} {title}: {verdict.upper()}", "",
             f"**{counts_line(totals(cases))}**", ""]
    if record:
        timings = record.get("timings", {})
        figures = [LABELS.get(name, name.replace("_", " ") + " {}").format(value)
                   for name, value in timings.items()]
        if "target" in record:  # no NVRs of its own: the Copr's URLs and reported versions
            lines += _target_lines(record, figures)
        else:
            lines += [f"Scenario `{record['scenario']['path']}` (sha256 "
                      f"`{record['scenario']['sha256'][:12]}`) · " + " · ".join(figures), ""]
            lines += ["| component | packages |", "|---|---|"]
            for name, component in record.get("components", {}).items():
                lines.append(f"| {name} | " + (", ".join(f"`{p['nvr']}` ({p['source']})"
                                                         for p in component["packages"]) or "none") + " |")
            lines.append("")
    for case in (c for c in cases if c.failed):
        lines += [f"<details><summary>❌ <code>{escape(case.nodeid)}</code>: "
                  f"{escape(case.message[:200])}</summary>",
                  "", _fence(case.text.strip() or case.message), "", "</details>", ""]
    return "\n".join(lines)


def _target_lines(record: dict, figures: list[str]) -> list[str]:
    """A target run's lines: the Copr's URLs and the versions its API reported."""
    target = record["target"]
    urls = " · ".join(f"{name} {url}" for name, url in target["urls"].items())
    return [f"Target `{target['file']}` (sha256 `{target['sha256'][:12]}`) · " + " · ".join(figures),
            "", f"URLs: {urls}", "",
            f"API versions: {outcome.versions_text(record.get('versions', {}))}", ""]


def write(folder: Path, title: str, verdict: str, cases: list[Case], record: dict | None) -> Path:
    """Write `folder`/summary.md and append it to $GITHUB_STEP_SUMMARY if that is set."""
    text = markdown(title, verdict, cases, record)
    path = folder / FILE
    path.write_text(text)
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with open(step_summary, "a", encoding="utf-8") as out:
            out.write(text + "\n")
    return path


def _duration(seconds: float) -> str:
    whole = int(round(seconds))
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def tmt_results(cases: list[Case], logs: list[str]) -> list[dict]:
    """tmt's custom results: one per test, named by its node id as a path."""
    results = []
    for case in cases:
        name = "/" + "/".join([*case.classname.split("."), case.name])
        entry = {"name": name, "result": TMT_RESULTS[case.outcome],
                 "duration": _duration(case.seconds), "log": list(logs)}
        if case.outcome == "xfailed":
            entry["note"] = f"expected failure: {case.message}"[:200]
        elif case.failed:
            entry["note"] = case.message[:200]
        results.append(entry)
    return results


def write_tmt(folder: Path, cases: list[Case], logs: list[str]) -> Path:
    """Write `folder`/tmt-results.yaml (logs relative to the report folder)."""
    path = folder / TMT_FILE
    path.write_text(yaml.safe_dump(tmt_results(cases, logs), sort_keys=False))
    return path
