"""The tests of a report page, from a JUnit XML file: the cases, their table and the totals.

The table is sorted without script: failures and errors first, then the slowest; an expected
failure (pytest's xfail, written as a `skipped` of type pytest.xfail) is marked as expected.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html import escape
from pathlib import Path

CSS = """
table.tests td.outcome { white-space: nowrap; font-weight: bold; }
tr.failed td.outcome, tr.error td.outcome { color: #fff; background: #D55E00; }
tr.passed td.outcome { color: #00734f; }
tr.skipped td.outcome { color: #6b5900; }
tr.xfailed td.outcome { color: #0072B2; }
pre { margin: 0; white-space: pre-wrap; font-size: 12px; }
"""
OUTCOMES = ("failed", "error", "passed", "xfailed", "skipped")  # the totals' order
ORDER = {"failed": 0, "error": 0, "passed": 1, "xfailed": 1, "skipped": 2}
LABELS = {"xfailed": "expected failure"}


@dataclass
class Case:
    """One test: its node id's parts, outcome, seconds and (for failures) message and text."""

    classname: str
    name: str
    outcome: str
    seconds: float
    message: str = ""
    text: str = ""

    @property
    def nodeid(self) -> str:
        return f"{self.classname}::{self.name}" if self.classname else self.name

    @property
    def failed(self) -> bool:
        return self.outcome in ("failed", "error")

    @property
    def label(self) -> str:
        return LABELS.get(self.outcome, self.outcome)


def cases(junit: Path) -> list[Case]:
    """Every test case of a JUnit XML file, in file order."""
    root = ET.parse(junit).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    found = []
    for case in (c for s in suites for c in s.iter("testcase")):
        outcome, message, text = "passed", "", ""
        for kind in ("failure", "error", "skipped"):
            element = case.find(kind)
            if element is not None:
                outcome = {"failure": "failed"}.get(kind, kind)
                if kind == "skipped" and element.get("type") == "pytest.xfail":
                    outcome = "xfailed"
                message, text = element.get("message") or "", element.text or ""
                break
        found.append(Case(case.get("classname", ""), case.get("name", ""), outcome,
                          float(case.get("time") or 0), message, text))
    return found


def totals(found: list[Case]) -> dict[str, int]:
    """How many tests had each outcome (every outcome, zeros included)."""
    counts = dict.fromkeys(OUTCOMES, 0)
    for case in found:
        counts[case.outcome] += 1
    return counts


def summary(counts: dict[str, int]) -> str:
    """'3 passed, 1 failed' (or 'no tests')."""
    return ", ".join(f"{n} {LABELS.get(k, k)}" for k, n in counts.items() if n) or "no tests"


def ordered(found: list[Case]) -> list[Case]:
    """Failures first, then passed and expected failures, then skipped; slowest first in each."""
    return sorted(found, key=lambda c: (ORDER[c.outcome], -c.seconds))


def table(found: list[Case]) -> str:
    """The test table, pre-sorted (`ordered`); details of skips and expected failures shown
    short (a failure's traceback is in the Failures section)."""
    rows = []
    for case in ordered(found):
        detail = case.message if case.failed else (case.message or case.text).strip()
        rows.append(f'<tr class="{case.outcome}"><td>{escape(case.nodeid)}</td>'
                    f'<td class="outcome">{escape(case.label)}</td><td>{case.seconds:.2f}s</td>'
                    f"<td><pre>{escape(detail[:600])}</pre></td></tr>")
    return ('<table class="tests"><tr><th>test</th><th>result</th><th>time</th><th>details</th></tr>'
            + "".join(rows) + "</table>")


def slowest(found: list[Case], count: int = 10) -> list[Case]:
    """The `count` slowest tests, slowest first."""
    return sorted(found, key=lambda c: -c.seconds)[:count]
