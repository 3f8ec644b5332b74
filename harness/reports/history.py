"""build/reports/index.html: every run on this machine (each report folder with a run.json),
newest first, with its verdict, gate and bring-up times, build latency, and a small trend."""

from __future__ import annotations

from html import escape
from pathlib import Path

from harness.reports import outcome, run_record

FILE = "index.html"
PAGES = ("sanity.html", "post_release.html", "rehearsal.html")
CSS = """
body { font-family: sans-serif; margin: 2em; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 3px 8px; }
td.passed { color: #00734f; font-weight: bold; } td.failed { color: #fff; background: #D55E00; }
"""


def runs(reports: Path) -> list[dict]:
    """The run records under `reports`, oldest first (with `folder`: the run's folder name)."""
    found = []
    for folder in sorted(p for p in reports.iterdir() if p.is_dir()) if reports.is_dir() else []:
        with_record = run_record.load(folder)
        if with_record is not None:
            found.append(with_record | {"folder": folder.name,
                                        "page": next((p for p in PAGES if (folder / p).exists()), "")})
    return sorted(found, key=lambda r: r.get("started", 0))


def trend(values: list[float | None], passed: list[bool], width: int = 240, height: int = 40) -> str:
    """A small inline SVG: the values as a line (oldest left), a dot per run in its verdict's colour."""
    known = [v for v in values if v is not None]
    if not known:
        return ""
    top = max(known) or 1.0
    step = width / max(len(values) - 1, 1)
    points = [(i * step + 4, height - 4 - (v / top) * (height - 8)) for i, v in enumerate(values)
              if v is not None]
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="'
                   f'{outcome.PASSED_COLOR if ok else outcome.FAILED_COLOR}"/>'
                   for (x, y), ok in zip(points, [p for p, v in zip(passed, values) if v is not None]))
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width + 8}" height="{height}" '
            f'role="img" aria-label="gate time trend"><polyline points="{line}" fill="none" '
            f'stroke="#0072B2" stroke-width="1.5"/>{dots}</svg>')


def _cell(value: object) -> str:
    return "" if value is None else f"{value}"


def page(records: list[dict]) -> str:
    """The index page: the trend of gate times, then one row per run, newest first."""
    passed = [r["verdict"] == "passed" for r in records]
    picture = trend([r.get("timings", {}).get("total_seconds") for r in records], passed)
    rows = []
    for r in reversed(records):
        t = r.get("timings", {})
        link = f'{r["folder"]}/{r["page"]}' if r["page"] else f'{r["folder"]}/{run_record.FILE}'
        rows.append(f'<tr><td>{escape(r.get("started_iso", ""))}</td><td>{escape(r["kind"])}</td>'
                    f'<td><a href="{escape(link)}">{escape(r["run_id"])}</a></td>'
                    f'<td class="{escape(r["verdict"])}">{escape(r["verdict"].upper())}</td>'
                    f'<td>{_cell(t.get("total_seconds"))}</td><td>{_cell(t.get("bringup_seconds"))}</td>'
                    f'<td>{_cell(t.get("build_latency_p50"))}</td><td>{_cell(t.get("build_latency_p90"))}</td>'
                    f'<td>{escape(run_record.tested(r))}</td></tr>')
    body = (f"<h1>copr-harness runs on this machine ({len(records)})</h1>"
            f"<p>gate time per run, oldest to newest: {picture}</p>"
            "<table><tr><th>started (UTC)</th><th>kind</th><th>run</th><th>verdict</th>"
            "<th>gate s</th><th>bring-up s</th><th>build p50 s</th><th>build p90 s</th>"
            f"<th>scenario or target</th></tr>{''.join(rows)}</table>")
    return (f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>copr-harness runs</title>'
            f"<style>{CSS}</style></head><body>{body}</body></html>\n")


def write(reports: Path) -> Path:
    """Rewrite `reports`/index.html from the run folders there."""
    path = reports / FILE
    path.write_text(page(runs(reports)))
    return path
