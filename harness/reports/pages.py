"""The HTML report pages: a suite's (sanity, post-release) and the rehearsal's.

Self-contained files (inline SVG and CSS, relative links to the logs) that read well from a
file:// URL. Both pages draw with `charts`: the bring-up timeline (bringup.json, written by
`stack.up`), the builds' timeline and latency histogram (builds.json, `build_times`).
"""

from __future__ import annotations

import json
import time
from html import escape
from pathlib import Path

from harness.gates import project_names
from harness.reports import build_logs, build_times, junit_html, outcome, run_record
from harness.reports.charts import Bar, Histogram, Timeline
from harness.reports.stats import percentile

FRAME = "#d0d7de"  # every chart's border (tests find the charts by it)
# Colour-blind-safe (Okabe-Ito, then Paul Tol's olive and wine), one colour per phase.
BRINGUP_COLORS = {"users": "#F0E442", "create": "#56B4E9", "start": "#0072B2", "install": "#E69F00",
                  "wait for deps": "#BBBBBB", "start services": "#CC79A7", "ready": "#009E73"}
# Phases of the harness itself that dwarf the containers' on a cold run: told as numbers.
BRINGUP_FIGURES = ("images", "packages")
WINDOW_COLORS = {"stop": "#D55E00", "upgrade": "#CC79A7", "dump": "#E69F00", "migrate": "#F0E442",
                 "restore": "#999933", "rollback": "#882255", "start": "#0072B2", "ready": "#009E73",
                 "replace": "#000000", "settle": "#44AA99", "waiting": "#BBBBBB", "running": "#56B4E9"}
BUILD_COLORS = {"waiting": "#BBBBBB", "running": "#56B4E9", "failed": "#D55E00",
                "failed as its test expects": "#CC79A7"}
MAX_BUILD_LANES = 150
FAILED = build_times.FAILED
CSS = f"""
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }} table.tests {{ width: 100%; }}
td, th {{ border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }}
.ok {{ color: #1a7f37; }} .bad {{ color: #cf222e; font-weight: bold; }}
svg.chart {{ display: block; border: 1px solid {FRAME}; margin: 0.5em 0 1.5em; background: #fff; }}
p.note {{ color: #57606a; }}
""" + junit_html.CSS + outcome.CSS


def load_bringup(folder: Path) -> list[dict]:
    """The bring-up's phases saved by `stack.up` in `folder` (none if not saved)."""
    path = folder / "bringup.json"
    return json.loads(path.read_text())["events"] if path.exists() else []


# -- sections (shared by both pages) -----------------------------------------------------------


def event_bars(events: list[dict]) -> list[Bar]:
    """Bars of recorded phases (`phases.Event` as dicts); one still running ends where it began."""
    return [Bar(e["lane"], e["phase"], e["start"], e["end"] or e["start"], e["ok"], e.get("detail", ""))
            for e in events]


def bringup_bars(events: list[dict]) -> list[Bar]:
    """The bring-up chart's bars: every phase but the harness's images and packages."""
    return [b for b in event_bars(events) if b.phase not in BRINGUP_FIGURES]


def bringup_section(events: list[dict]) -> str:
    """Each container's phases from create to ready (and the harness's users); the harness's
    images and packages, which take most of a cold run, as figures above the chart."""
    bars = event_bars(events)
    if not bars:
        return "<h2>Bring-up</h2><p class=\"note\">no bring-up timeline recorded for this run</p>"
    whole, shown = Timeline.fit(bars), bringup_bars(events)
    told = "".join(f"<li>{escape(b.phase)}: <b>{b.end - b.start:.1f}s</b></li>"
                   for b in bars if b.phase in BRINGUP_FIGURES)
    chart = ""
    if shown:
        timeline = Timeline.fit(shown)
        told += f"<li>containers, create to ready: <b>{timeline.t1 - timeline.t0:.1f}s</b></li>"
        chart = timeline.svg(shown, BRINGUP_COLORS, "bring-up timeline")
    return f"<h2>Bring-up: {whole.t1 - whole.t0:.1f}s</h2><ul>{told}</ul>{chart}"


def build_bars(builds: list[dict], now: float, expected: set[int] = frozenset()) -> list[Bar]:
    """A waiting bar (submitted to started) and a running bar (started to ended) per build;
    an unfinished one runs to `now`. A failed or canceled build's last bar is outlined, unless
    its test expected it (`expected` ids): that bar has its own colour and no outline."""
    bars = []
    for build in builds:
        if not build["submitted"]:
            continue
        lane, failed = f"#{build['id']} {build['project']}", build["state"] in FAILED
        ok = not failed or build["id"] in expected
        last = "failed as its test expects" if failed and ok else "failed" if failed else "running"
        started = build["started"]
        bars.append(Bar(lane, "waiting" if started or not failed else last, build["submitted"],
                        started or build["ended"] or now, ok or bool(started), build["state"]))
        if started:
            bars.append(Bar(lane, last, started, build["ended"] or now, ok, build["state"]))
    return bars


def expected_failures(builds: list[dict], cases: list[junit_html.Case]) -> set[int]:
    """The failed builds whose test (the one its project is named after) did not fail."""
    outcomes = {c.name: c.failed for c in cases}
    return {b["id"] for b in builds if b["state"] in FAILED
            and (test := project_names.test_of(b["project"], list(outcomes))) is not None
            and not outcomes[test]}


def failed_build_logs(builds: list[dict], cases: list[junit_html.Case], folder: Path
                      ) -> dict[str, list[Path]]:
    """The saved logs of each failed test's failed builds, by the test's node id."""
    names = [c.name for c in cases if c.failed]
    found: dict[str, list[Path]] = {}
    for build in builds:
        test = project_names.test_of(build["project"], names) if build["state"] in FAILED else None
        if test is not None:
            nodeid = next(c.nodeid for c in cases if c.name == test)
            found.setdefault(nodeid, []).extend(build_logs.saved(folder, build["id"]))
    return found


def latencies(builds: list[dict]) -> list[float]:
    """Submit-to-finished seconds of every finished build."""
    return [b["ended"] - b["submitted"] for b in builds if b["submitted"] and b["ended"]]


def latency_histogram(values: list[float]) -> tuple[Histogram, dict[str, float]]:
    """The histogram of build latencies and its marks (median, p90)."""
    return Histogram.fit(values), {"median": percentile(values, 50), "p90": percentile(values, 90)}


def latency_section(builds: list[dict]) -> str:
    values = latencies(builds)
    if not values:
        return "<h2>Build latency</h2><p class=\"note\">no finished builds recorded for this run</p>"
    histogram, marks = latency_histogram(values)
    return (f"<h2>Build latency (submitted to finished, {len(values)} builds): median "
            f"{marks['median']:.1f}s, p90 {marks['p90']:.1f}s</h2>"
            + histogram.svg(marks, "seconds from submit to finished"))


def builds_timeline(builds: list[dict], now: float, expected: set[int] = frozenset()
                    ) -> tuple[Timeline, list[Bar]]:
    """The builds' bars and where they go (narrower lanes when there are many builds)."""
    bars = build_bars(builds[-MAX_BUILD_LANES:], now, expected)
    return Timeline.fit(bars, lane_height=22 if len(builds) <= 30 else 14, left=330), bars


def builds_section(builds: list[dict], now: float, expected: set[int] = frozenset()) -> str:
    """Each build's waiting and running bars (the latest MAX_BUILD_LANES builds)."""
    shown = builds[-MAX_BUILD_LANES:]
    timeline, bars = builds_timeline(builds, now, expected)
    if not bars:
        return "<h2>Builds</h2><p class=\"note\">no builds recorded for this run</p>"
    cut = (f'<p class="note">the latest {len(shown)} of {len(builds)} builds</p>'
           if len(shown) < len(builds) else "")
    note = ('<p class="note">each lane is a build of a project named after the test that made '
            "it</p>")
    return (f"<h2>Builds ({len(builds)})</h2>{cut}{note}"
            + timeline.svg(bars, BUILD_COLORS, "builds timeline"))


def messages_section(found: dict | None) -> str:
    """The broker's messages per build (topic and chroot; a violation marked), and the message
    check's problems (a stack with a broker: harness/messages)."""
    if found is None:
        return ""
    problems = "".join(f"<li>{escape(problem)}</li>" for problem in found["problems"])
    rows = "".join(
        f"<tr><td>{escape(build)}</td><td>"
        + ", ".join(f'<span class="{"bad" if m["violation"] else "ok"}">'
                    f'{escape(m["topic"])} {escape(str(m["chroot"]))}</span>' for m in messages)
        + "</td></tr>" for build, messages in found["builds"].items())
    count = sum(len(messages) for messages in found["builds"].values())
    return (f"<h2>Messages ({count} of {len(found['builds'])} builds)</h2>"
            + (f'<ul class="bad">{problems}</ul>' if problems else
               '<p class="note">all valid against copr-messaging\'s schemas and the API</p>')
            + f"<table><tr><th>build</th><th>messages seen</th></tr>{rows}</table>")


def _links(logs: list[Path]) -> str:
    items = "".join(f'<li><a href="{escape(p.as_posix())}">{escape(p.as_posix().removeprefix("logs/"))}'
                    '</a></li>' for p in logs)
    return f"<h2>Logs</h2><ul>{items or '<li>none saved</li>'}</ul>"


def _page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{escape(title)}</title>\n'
            f"<style>{CSS}</style></head><body>\n{body}\n</body></html>\n")


# -- the pages -----------------------------------------------------------------------------------


def suite_page(title: str, junit: Path, logs: list[Path], bringup: list[dict], builds: list[dict],
               now: float | None = None, record: dict | None = None,
               folder: Path | None = None) -> str:
    """Verdict banner, run record, failures, bring-up, builds, latency, slowest tests, the test
    table (failures first) and log links; `folder` holds the failed builds' saved logs."""
    cases = junit_html.cases(junit)
    counts = junit_html.totals(cases)
    messages = (record or {}).get("messages")
    passed = (sum(counts.values()) > 0 and not counts["failed"] and not counts["error"]
              and not (messages and messages["problems"]))
    now = now if now is not None else time.time()
    logs_of = failed_build_logs(builds, cases, folder) if folder is not None else {}
    return _page(title, outcome.banner(passed, junit_html.summary(counts), title)
                 + f"<h1>{escape(title)}</h1>" + outcome.record_section(record)
                 + outcome.failures_section(cases, logs_of)
                 + bringup_section(bringup) + builds_section(builds, now, expected_failures(builds, cases))
                 + latency_section(builds) + messages_section(messages)
                 + outcome.slowest_section(cases)
                 + "<h2>Tests</h2>" + junit_html.table(cases) + _links(logs))


def window_bars(summary: dict) -> list[Bar]:
    """The release window's phases per component, then the builds queued as it opened."""
    bars = event_bars(summary["events"])
    end = max([summary["window_ended"]] + [b.end for b in bars]
              + [b["ended"] for b in summary["builds"] if b["ended"]])
    for build in summary["builds"]:
        lane = f"build {build['id']}"
        if build["submitted"]:
            bars.append(Bar(lane, "waiting", build["submitted"], build["started"] or end))
        if build["started"]:
            bars.append(Bar(lane, "running", build["started"], build["ended"] or end,
                            build["state"] == "succeeded"))
    return bars


def window_timeline(summary: dict) -> tuple[Timeline, list[Bar]]:
    """The window's bars and where they go: from the window's start (or the first queued build)."""
    bars = window_bars(summary)
    timeline = Timeline.fit(bars)
    timeline.t0 = min([b.start for b in bars] + [summary["window_started"]])
    timeline.t1 = max([b.end for b in bars] + [summary["window_ended"]])
    return timeline, bars


def window_section(summary: dict) -> str:
    timeline, bars = window_timeline(summary)
    return "<h2>The window</h2>" + timeline.svg(bars, WINDOW_COLORS, "release window timeline")


def rehearsal_page(summary: dict, bringup: list[dict], builds: list[dict], logs: list[Path],
                   record: dict | None = None) -> str:
    """Verdict, window timeline, rule table, latency histogram, bring-up timeline, log links."""
    rows = "".join(
        f'<tr><td>{escape(r["name"])}</td><td class="{"ok" if r["ok"] else "bad"}">'
        f'{"pass" if r["ok"] else "FAIL"}</td><td>{escape(r["message"])}</td></tr>'
        for r in summary["rules"])
    expected = summary["expected"]
    match = "as expected" if summary["matches_expectation"] else "NOT as the scenario expects"
    body = (outcome.banner(summary["verdict"] == "pass", f"verdict {summary['verdict']}, {match}")
            + f'<h1>Release rehearsal: {escape(summary["verdict"].upper())} ({match})</h1>'
            f'<p>Scenario {escape(summary["scenario"])}; window {summary["window_seconds"]}s; '
            f'expected verdict {escape(expected["verdict"])}, failed rules '
            f'{escape(str(expected["failed_rules"]))}.</p>'
            f'<p>{escape(summary["details"]["stack_state"])}</p>' + outcome.record_section(record)
            + window_section(summary)
            + "<h2>Rules</h2><table><tr><th>rule</th><th>verdict</th><th>details</th></tr>"
            + rows + "</table>"
            + latency_section(builds) + bringup_section(bringup) + _links(logs))
    return _page("copr-harness rehearsal", body)


def log_links(folder: Path) -> list[Path]:
    """The saved logs (each container's, and its services' log files), relative to the report
    folder."""
    logs = folder / "logs"
    return [p.relative_to(folder) for p in sorted(logs.rglob("*.log"))] if logs.is_dir() else []


def write_suite(folder: Path, suite: str, title: str) -> Path:
    """<suite>.html beside <suite>.junit.xml, with the run's timelines and log links."""
    out = folder / f"{suite}.html"
    out.write_text(suite_page(title, folder / f"{suite}.junit.xml", log_links(folder),
                              load_bringup(folder), build_times.load(folder),
                              record=run_record.load(folder), folder=folder))
    return out


def write_rehearsal(folder: Path, summary: dict, logs: list[Path]) -> Path:
    """rehearsal.html from the rehearsal's summary and the run's saved timelines."""
    out = folder / "rehearsal.html"
    out.write_text(rehearsal_page(summary, load_bringup(folder), build_times.load(folder), logs,
                                  run_record.load(folder)))
    return out
