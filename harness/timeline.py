"""The rehearsal's report page: the release window as an SVG timeline, and the rule table."""

from __future__ import annotations

import html

COLORS = {"stop": "#d1242f", "upgrade": "#8250df", "dump": "#9a6700", "migrate": "#bf8700",
          "restore": "#6e7781", "rollback": "#6e7781", "start": "#1a7f37", "ready": "#2da44e",
          "replace": "#0969da", "waiting": "#afb8c1", "running": "#54aeff"}
WIDTH, LANE, LEFT = 900, 28, 150


def _svg(summary: dict) -> str:
    events, builds = summary["events"], summary["builds"]
    starts = [summary["window_started"]] + [b["submitted"] for b in builds if b["submitted"]]
    ends = [summary["window_ended"]] + [e["end"] for e in events] + [
        b["ended"] for b in builds if b["ended"]]
    t0, t1 = min(starts), max(ends)
    scale = (WIDTH - LEFT - 20) / max(t1 - t0, 1.0)
    lanes = list(dict.fromkeys(e["lane"] for e in events)) + [f"build {b['id']}" for b in builds]
    height = LANE * (len(lanes) + 2)
    x = lambda t: LEFT + (t - t0) * scale  # noqa: E731
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
             'font-family="sans-serif" font-size="12">']
    for index, lane in enumerate(lanes):
        y = LANE * (index + 1)
        parts.append(f'<text x="4" y="{y + 15}">{html.escape(lane)}</text>')
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - 10}" y1="{y + LANE - 2}" y2="{y + LANE - 2}" '
                     'stroke="#eee"/>')
    bars = [(e["lane"], e["phase"], e["start"], e["end"], e["ok"]) for e in events]
    for build in builds:
        lane = f"build {build['id']}"
        if build["submitted"]:
            bars.append((lane, "waiting", build["submitted"], build["started"] or t1, True))
        if build["started"]:
            bars.append((lane, "running", build["started"], build["ended"] or t1,
                         build["state"] == "succeeded"))
    for lane, phase, start, end, ok in bars:
        y = LANE * (lanes.index(lane) + 1) + 3
        width = max(x(end) - x(start), 2)
        stroke = "" if ok else ' stroke="#000" stroke-width="2"'
        parts.append(f'<rect x="{x(start):.1f}" y="{y}" width="{width:.1f}" height="{LANE - 8}" '
                     f'fill="{COLORS.get(phase, "#888")}"{stroke}><title>{html.escape(lane)}: '
                     f'{phase} {end - start:.1f}s{"" if ok else " (FAILED)"}</title></rect>')
    for second in range(0, int(t1 - t0) + 1, max(1, int((t1 - t0) / 10) or 1)):
        parts.append(f'<text x="{x(t0 + second):.1f}" y="{height - 6}" fill="#555">{second}s</text>')
    legend_x = LEFT
    for phase, color in COLORS.items():
        parts.append(f'<rect x="{legend_x}" y="4" width="10" height="10" fill="{color}"/>'
                     f'<text x="{legend_x + 13}" y="13">{phase}</text>')
        legend_x += 13 + 7 * len(phase) + 12
    parts.append("</svg>")
    return "".join(parts)


def render_html(summary: dict) -> str:
    """A page that reads well without a server: verdict, timeline picture, rules, steps."""
    rows = "".join(
        f'<tr><td>{html.escape(r["name"])}</td><td class="{"ok" if r["ok"] else "bad"}">'
        f'{"pass" if r["ok"] else "FAIL"}</td><td>{html.escape(r["message"])}</td></tr>'
        for r in summary["rules"])
    expected = summary["expected"]
    match = "as expected" if summary["matches_expectation"] else "NOT as the scenario expects"
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>copr-harness rehearsal</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }} table {{ border-collapse: collapse; }}
td, th {{ border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }}
.ok {{ color: #1a7f37; }} .bad {{ color: #cf222e; font-weight: bold; }}
</style></head><body>
<h1>Release rehearsal: {html.escape(summary["verdict"].upper())} ({match})</h1>
<p>Scenario {html.escape(summary["scenario"])}; window {summary["window_seconds"]}s;
expected verdict {html.escape(expected["verdict"])}, failed rules {html.escape(str(expected["failed_rules"]))}.</p>
<p>{html.escape(summary["details"]["stack_state"])}</p>
<h2>The window</h2>
{_svg(summary)}
<h2>Rules</h2>
<table><tr><th>rule</th><th>verdict</th><th>details</th></tr>{rows}</table>
<h2>Logs</h2><p><a href="logs/">container logs</a></p>
</body></html>
"""
