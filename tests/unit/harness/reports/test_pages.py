"""The report pages: rendered from fixture data, checked as HTML, then opened in headless
Chromium and checked pixel by pixel: every bar and column is drawn where its geometry says."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.reports import build_times, charts, pages
from harness.reports.charts import Histogram, Timeline

from . import png_pixels
from . import report_fixtures as fx

WINDOW = (1100, 2000)
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--hide-scrollbars", "--force-device-scale-factor=1"]


def rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def close(pixel: tuple[int, int, int], color: str, tolerance: int = 3) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, rgb(color)))


# -- the pages as HTML ------------------------------------------------------------------------


def suite_html(tmp_path: Path) -> str:
    return pages.suite_page("sanity <run r1>", fx.junit(tmp_path), [Path("logs/frontend.log")],
                                   fx.bringup(), fx.builds(), now=fx.NOW)


def test_suite_page_has_three_charts_the_test_table_and_relative_log_links(tmp_path):
    page = suite_html(tmp_path)
    assert page.count("<svg ") == 3
    assert [m for m in re.findall(r'aria-label="([^"]+)"', page)] == [
        "bring-up timeline", "builds timeline", "seconds from submit to finished"]
    assert "<h2>Bring-up: 7.8s</h2>" in page
    assert "median 5.0s, p90 9.5s" in page and "10 builds" in page
    assert "<strong>1 passed, 1 failed, 1 skipped</strong>" in page
    assert "test_build_&lt;fails&gt;" in page and "state was &lt;failed&gt; &amp; more" in page
    assert "<title>sanity &lt;run r1&gt;</title>" in page
    assert '<a href="logs/frontend.log">frontend.log</a>' in page
    assert "<script" not in page and "file:" not in page and "<link" not in page


def test_a_run_without_timelines_or_builds_says_so(tmp_path):
    page = pages.suite_page("t", fx.junit(tmp_path), [], [], [])
    assert "<svg" not in page
    assert "no bring-up timeline recorded" in page and "no builds recorded" in page
    assert "no finished builds recorded" in page and "<li>none saved</li>" in page


def test_build_bars_wait_then_run_and_outline_what_failed():
    bars = pages.build_bars(fx.builds(), fx.NOW)
    by_lane: dict[str, list] = {}
    for bar in bars:
        by_lane.setdefault(bar.lane, []).append(bar)
    failed = by_lane["#6 @copr/team"]
    assert [(b.phase, b.start - fx.T, b.end - fx.T, b.ok) for b in failed] == [
        ("waiting", 13, 15, True), ("running", 15, 18, False)]
    running = by_lane["#11 alice/demo"]
    assert running[-1].end == fx.NOW and running[-1].ok  # still running: drawn up to now
    canceled = pages.build_bars([{"id": 1, "project": "p", "state": "canceled",
                                         "submitted": 5.0, "started": None, "ended": 9.0}], 20.0)
    assert [(b.phase, b.end, b.ok) for b in canceled] == [("waiting", 9.0, False)]


def test_latencies_are_submit_to_finished_of_finished_builds_only():
    assert sorted(pages.latencies(fx.builds())) == [3, 4, 4, 5, 5, 5, 6, 7, 9, 14]


def test_rehearsal_page_escapes_the_rules_and_draws_window_latency_and_bring_up(tmp_path):
    page = pages.rehearsal_page(fx.rehearsal_summary(), fx.bringup(), fx.builds(),
                                       [Path("logs/backend.log")])
    assert re.findall(r'aria-label="([^"]+)"', page) == [
        "release window timeline", "seconds from submit to finished", "bring-up timeline"]
    assert "queued builds &lt;12&gt; &amp; &lt;13&gt; not done" in page
    assert "&lt;alembic&gt; failed" in page and "FAIL (as expected)" in page
    assert "frontend: migrate 1.4s (FAILED): alembic upgrade head failed" in page
    assert '<a href="logs/backend.log">' in page


def test_an_empty_window_spans_its_own_start_and_end():
    summary = fx.rehearsal_summary() | {"events": [], "builds": []}
    timeline, bars = pages.window_timeline(summary)
    assert bars == [] and (timeline.t0, timeline.t1) == (fx.T + 100, fx.T + 109)
    assert "9s</text>" in pages.window_section(summary)


def test_write_suite_reads_the_run_folder(tmp_path):
    fx.junit(tmp_path)
    (tmp_path / "bringup.json").write_text(json.dumps({"run_id": "r", "events": fx.bringup()}))
    (tmp_path / build_times.FILE).write_text(json.dumps(fx.builds()))
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "backend.log").write_text("hello")
    page = pages.write_suite(tmp_path, "sanity", "copr-harness sanity suite").read_text()
    assert page.count("<svg ") == 3 and '<a href="logs/backend.log">backend.log</a>' in page


# -- the pages in a browser -------------------------------------------------------------------


def screenshot(tmp_path: Path, name: str, html: str) -> png_pixels.Image:
    """Open the page from a file:// URL in headless Chromium; the screenshot's pixels."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail("chromium is not installed: run scripts/install-system-deps "
                    "(Debian package chromium)")
    page, png = tmp_path / f"{name}.html", tmp_path / f"{name}.png"
    page.write_text(html)
    result = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                             f"--window-size={WINDOW[0]},{WINDOW[1]}", f"--screenshot={png}",
                             page.as_uri()], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0 and png.exists(), result.stderr[-2000:]
    image = png_pixels.read(png)
    assert (image.width, image.height) == WINDOW
    return image


def frames(image: png_pixels.Image) -> list[tuple[int, int, int, int]]:
    """(x, y, width, height) of every chart's border, top to bottom (drawn in FRAME color)."""

    def border(x: int, y: int) -> bool:
        return close(image[x, y], pages.FRAME, 0)

    found = []
    for y in range(1, image.height - 1):
        for x in range(1, 200):  # the charts start at the page's left margin
            if border(x, y) and border(x + 1, y) and border(x, y + 1) \
                    and not border(x - 1, y) and not border(x, y - 1):
                width = next(w for w in range(1, image.width - x) if not border(x + w, y))
                height = next(h for h in range(1, image.height - y) if not border(x, y + h))
                found.append((x, y, width, height))
    return found


def origins(image: png_pixels.Image, charts_: list[Timeline | Histogram]) -> list[tuple[int, int]]:
    """Where each chart's (0, 0) is on the screenshot; its border has exactly its size."""
    found = frames(image)
    assert [(w, h) for _, _, w, h in found] == [(c.width + 2, c.height + 2) for c in charts_]
    return [(x + 1, y + 1) for x, y, _, _ in found]


def check_timeline(image: png_pixels.Image, origin: tuple[int, int], timeline: Timeline,
                   bars: list[charts.Bar], colors: dict[str, str]) -> None:
    """Each bar's middle has its phase's color; a failed bar's left edge is its black outline."""
    ox, oy = origin
    for bar in bars:
        x, y, width, height = timeline.bar_box(bar)
        middle = (int(ox + x + width / 2), int(oy + y + height / 2))
        assert close(image[middle], colors[bar.phase]), (bar, image[middle])
        if not bar.ok:
            assert max(image[int(ox + x), middle[1]]) < 60, (bar, "no outline")


def check_histogram(image: png_pixels.Image, origin: tuple[int, int], histogram: Histogram,
                    marks: dict[str, float]) -> None:
    """Filled bins have a column up to their count, empty ones none; the marks are lines."""
    ox, oy = origin
    mark_xs = [histogram.x(v) for v in marks.values()]
    for index, count in enumerate(histogram.counts):
        x, y, width, _ = histogram.column_box(index)
        middle = x + width / 2
        if any(abs(middle - m) < 4 for m in mark_xs):
            middle = x + 4  # the column's left part, away from a mark's line
        foot = image[int(ox + middle), int(oy + histogram.baseline - 3)]
        if count:
            assert close(foot, charts.COLUMN), (index, foot)
            assert close(image[int(ox + middle), int(oy + y + 3)], charts.COLUMN), index
            if count < histogram.peak:
                assert not close(image[int(ox + middle), int(oy + y - 3)], charts.COLUMN), index
        else:
            assert not close(foot, charts.COLUMN), (index, foot)
    for color, value in zip(charts.MARK_COLORS, marks.values()):
        pixel = image[int(ox + histogram.x(value)), int(oy + histogram.top + 2)]
        assert close(pixel, color, tolerance=40), (value, pixel)


def test_suite_page_in_chromium_draws_every_bar_and_column_where_expected(tmp_path):
    image = screenshot(tmp_path, "suite", suite_html(tmp_path))
    bringup_bars = pages.event_bars(fx.bringup())
    bringup = Timeline.fit(bringup_bars)
    builds, build_bars = pages.builds_timeline(fx.builds(), fx.NOW)
    histogram, marks = pages.latency_histogram(pages.latencies(fx.builds()))
    assert marks == {"median": fx.LATENCY_MEDIAN, "p90": pytest.approx(fx.LATENCY_P90)}
    first, second, third = origins(image, [bringup, builds, histogram])
    check_timeline(image, first, bringup, bringup_bars, pages.BRINGUP_COLORS)
    # Gaps stay blank: the frontend lane between its create (ends 2.2s) and start (3.0s).
    gap = image[int(first[0] + bringup.x(fx.T + 2.6)), int(first[1] + bringup.y("frontend") + 11)]
    assert close(gap, "#ffffff"), gap
    check_timeline(image, second, builds, build_bars, pages.BUILD_COLORS)
    check_histogram(image, third, histogram, marks)


def test_rehearsal_page_in_chromium_draws_the_window_histogram_and_bring_up(tmp_path):
    summary = fx.rehearsal_summary()
    image = screenshot(tmp_path, "rehearsal", pages.rehearsal_page(
        summary, fx.bringup(), fx.builds(), [Path("logs/backend.log")]))
    window, window_bars = pages.window_timeline(summary)
    histogram, marks = pages.latency_histogram(pages.latencies(fx.builds()))
    bringup_bars = pages.event_bars(fx.bringup())
    bringup = Timeline.fit(bringup_bars)
    first, second, third = origins(image, [window, histogram, bringup])
    assert window.lanes == ["backend", "frontend", "build 12", "build 13"]
    check_timeline(image, first, window, window_bars, pages.WINDOW_COLORS)
    check_histogram(image, second, histogram, marks)
    check_timeline(image, third, bringup, bringup_bars, pages.BRINGUP_COLORS)
