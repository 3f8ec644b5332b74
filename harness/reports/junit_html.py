"""The test table of a report page, from a JUnit XML file."""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from pathlib import Path

CSS = """
tr.passed td:nth-child(2) { color: #1a7f37; }
tr.failed td:nth-child(2), tr.error td:nth-child(2) { color: #cf222e; font-weight: bold; }
tr.skipped td:nth-child(2) { color: #9a6700; }
pre { margin: 0; white-space: pre-wrap; font-size: 12px; }
"""


def table(junit: Path) -> tuple[str, dict[str, int]]:
    """One row per test (failures with their message) and the totals per outcome."""
    root = ET.parse(junit).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    rows, totals = [], {"passed": 0, "failed": 0, "error": 0, "skipped": 0}
    for case in (c for s in suites for c in s.iter("testcase")):
        outcome, detail = "passed", ""
        for kind in ("failure", "error", "skipped"):
            found = case.find(kind)
            if found is not None:
                outcome = "failed" if kind == "failure" else kind
                detail = (found.get("message") or "") + "\n" + (found.text or "")
                break
        totals[outcome] += 1
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        rows.append(
            f'<tr class="{outcome}"><td>{html.escape(name)}</td><td>{outcome}</td>'
            f"<td>{float(case.get('time') or 0):.2f}s</td>"
            f"<td><pre>{html.escape(detail.strip()[:4000])}</pre></td></tr>"
        )
    return (f'<table class="tests"><tr><th>test</th><th>result</th><th>time</th><th>details</th></tr>'
            f'{"".join(rows)}</table>', totals)


def summary(totals: dict[str, int]) -> str:
    """'3 passed, 1 failed' (or 'no tests')."""
    return ", ".join(f"{n} {k}" for k, n in totals.items() if n) or "no tests"
