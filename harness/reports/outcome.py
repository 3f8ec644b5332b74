"""The top of a report page: the verdict banner, the run record (run.json), the failures with
their full tracebacks and their builds' logs, and the slowest tests."""

from __future__ import annotations

from html import escape
from pathlib import Path

from harness.reports.junit_html import Case, slowest

PASSED_COLOR, FAILED_COLOR = "#009E73", "#D55E00"  # Okabe-Ito bluish green and vermillion
CSS = f"""
.banner {{ color: #fff; font-size: 28px; font-weight: bold; padding: 14px 20px; margin: 0 0 12px; }}
.banner.passed {{ background: {PASSED_COLOR}; }} .banner.failed {{ background: {FAILED_COLOR}; }}
.banner small {{ font-size: 16px; font-weight: normal; margin-left: 1em; }}
table.record td {{ border: none; padding: 1px 12px 1px 0; font-size: 13px; }}
.failure {{ border-left: 6px solid {FAILED_COLOR}; padding: 4px 12px; margin: 0 0 16px; }}
.failure h3 {{ margin: 4px 0; font-size: 15px; word-break: break-all; }}
.failure pre {{ background: #f6f8fa; padding: 8px; overflow: auto; max-height: 40em; white-space: pre-wrap; }}
"""


def banner(passed: bool, counts: str, subtitle: str = "") -> str:
    """PASSED or FAILED, full width, in the verdict's colour, with the counts beside it."""
    kind = "passed" if passed else "failed"
    extra = f" &middot; {escape(subtitle)}" if subtitle else ""
    return (f'<div class="banner {kind}" role="status">{kind.upper()}'
            f"<small>{escape(counts)}{extra}</small></div>")


def record_section(record: dict | None) -> str:
    """What was tested, where and when (run.json), as a compact table; nothing if not saved."""
    if not record:
        return ""
    rows = _target_rows(record) if "target" in record else [
        ("scenario", f"{record['scenario']['path']} (sha256 {record['scenario']['sha256'][:12]})")]
    for name, component in record.get("components", {}).items():
        nvrs = ", ".join(f"{p['nvr']} ({p['source']})" for p in component["packages"]) or "none"
        rows.append((name, nvrs))
    harness = record["harness"]
    rows.append(("harness", f"{harness['version']}" + (f" at {harness['commit'][:12]}"
                                                        if harness.get("commit") else "")))
    tools = record.get("tools", {})
    rows.append(("tools", ", ".join(f"{k} {v}" for k, v in tools.items())))
    rows.append(("host", record.get("host", "")))
    rows.append(("started / ended", f"{record.get('started_iso', '')} / {record.get('ended_iso', '')}"))
    cells = "".join(f"<tr><td><b>{escape(k)}</b></td><td>{escape(str(v))}</td></tr>" for k, v in rows)
    return f'<table class="record">{cells}</table>'


def _target_rows(record: dict) -> list[tuple[str, str]]:
    """A target run's rows: which Copr (its URLs), as whom, and the versions its API reported."""
    target = record["target"]
    rows = [("Copr tested", target["urls"]["frontend"])]
    rows += [(f"{name} URL", url) for name, url in target["urls"].items() if name != "frontend"]
    rows.append(("target file", f"{target['file']} (sha256 {target['sha256'][:12]})"))
    rows.append(("as", f"{target['default_user']} (owner {target['owner']}), chroots "
                       f"{', '.join(target['chroots'])}"))
    rows.append(("API versions", versions_text(record.get("versions", {}))))
    for host, nvrs in record.get("expected_packages", {}).items():
        if nvrs:
            rows.append((f"{host} (expected)", ", ".join(nvrs)))
    return rows


def versions_text(versions: dict[str, str]) -> str:
    """The versions a Copr's API reported, 'not reported' for those it did not."""
    return ", ".join(f"{name} {value or 'not reported'}" for name, value in versions.items()) or "none"


def build_log_links(logs: list[Path]) -> str:
    """Links to a failed build's saved logs (relative to the report folder)."""
    if not logs:
        return ""
    items = ", ".join(f'<a href="{escape(p.as_posix())}">{escape(p.as_posix())}</a>' for p in logs)
    return f"<p>build logs: {items}</p>"


def failures_section(found: list[Case], build_logs: dict[str, list[Path]]) -> str:
    """Each failed test with its message and full traceback (full width), and the logs of the
    failed builds of its projects (`build_logs` by node id)."""
    failed = [c for c in found if c.failed]
    if not failed:
        return ""
    parts = [f"<h2>Failures ({len(failed)})</h2>"]
    for case in failed:
        parts.append(f'<div class="failure"><h3>{escape(case.nodeid)} &mdash; {escape(case.label)}</h3>'
                     f"<p><b>{escape(case.message)}</b></p>"
                     + build_log_links(build_logs.get(case.nodeid, []))
                     + f"<pre>{escape(case.text.strip())}</pre></div>")
    return "".join(parts)


def slowest_section(found: list[Case], count: int = 10) -> str:
    """The slowest tests, slowest first (where the gate's time goes)."""
    slow = slowest(found, count)
    if not slow:
        return ""
    rows = "".join(f"<tr><td>{c.seconds:.1f}s</td><td>{escape(c.nodeid)}</td>"
                   f"<td>{escape(c.label)}</td></tr>" for c in slow)
    return (f"<h2>Slowest tests</h2><table><tr><th>time</th><th>test</th><th>result</th></tr>"
            f"{rows}</table>")
