"""A self-contained HTML page from a JUnit XML file (readable in a browser without a server)."""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from pathlib import Path


def render(junit: Path, title: str, logs: list[Path]) -> str:
    """The report page: totals, one row per test (failures with their message), log links."""
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
            f"<td><pre>{html.escape(detail.strip())[:4000]}</pre></td></tr>"
        )
    links = "".join(f'<li><a href="{html.escape(p.as_posix())}">{html.escape(p.name)}</a></li>'
                    for p in logs)
    summary = ", ".join(f"{n} {k}" for k, n in totals.items() if n)
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border: 1px solid #ccc; padding: 4px 8px; vertical-align: top; text-align: left; }}
tr.passed td:nth-child(2) {{ color: #1a7f37; }}
tr.failed td:nth-child(2), tr.error td:nth-child(2) {{ color: #cf222e; font-weight: bold; }}
tr.skipped td:nth-child(2) {{ color: #9a6700; }}
pre {{ margin: 0; white-space: pre-wrap; font-size: 12px; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p><strong>{summary or "no tests"}</strong></p>
<table><tr><th>test</th><th>result</th><th>time</th><th>details</th></tr>
{"".join(rows)}
</table>
<h2>Container logs</h2><ul>{links}</ul>
</body></html>
"""


def write(junit: Path, title: str, logs_dir: Path) -> Path:
    """Write report.html beside the JUnit file, linking every log in `logs_dir` relatively."""
    out = junit.with_suffix("").with_suffix(".html")
    logs = sorted(logs_dir.glob("*.log")) if logs_dir.is_dir() else []
    relative = [log.relative_to(junit.parent) for log in logs]
    out.write_text(render(junit, title, relative))
    return out
