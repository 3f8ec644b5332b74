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
    assert '<div class="banner failed" role="status">FAILED<small>1 failed, 1 passed, ' in page
    assert "1 expected failure, 1 skipped" in page
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
        ("waiting", 13, 15, True), ("failed", 15, 18, False)]
    running = by_lane["#11 alice/demo"]
    assert running[-1].end == fx.NOW and running[-1].ok  # still running: drawn up to now
    canceled = pages.build_bars([{"id": 1, "project": "p", "state": "canceled",
                                         "submitted": 5.0, "started": None, "ended": 9.0}], 20.0)
    assert [(b.phase, b.end, b.ok) for b in canceled] == [("failed", 9.0, False)]


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
    (tmp_path / "logs" / "backend").mkdir()
    (tmp_path / "logs" / "backend" / "worker.log").write_text("Worker succeeded build")
    page = pages.write_suite(tmp_path, "sanity", "copr-harness sanity suite").read_text()
    assert page.count("<svg ") == 3 and '<a href="logs/backend.log">backend.log</a>' in page
    # copr-backend's own log files, saved under the container's folder, are linked too.
    assert '<a href="logs/backend/worker.log">backend/worker.log</a>' in page


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
    bringup_bars = pages.bringup_bars(fx.bringup())
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
    bringup_bars = pages.bringup_bars(fx.bringup())
    bringup = Timeline.fit(bringup_bars)
    first, second, third = origins(image, [window, histogram, bringup])
    assert window.lanes == ["backend", "frontend", "build 12", "build 13"]
    check_timeline(image, first, window, window_bars, pages.WINDOW_COLORS)
    check_histogram(image, second, histogram, marks)
    check_timeline(image, third, bringup, bringup_bars, pages.BRINGUP_COLORS)


# -- what a reader sees first --------------------------------------------------------------------


def long_traceback() -> str:
    return "\n".join(f"tests/sanity/test_builds.py:{n}: in frame_{n}" for n in range(200)) + "\nE   the end"


def failing_run(tmp_path: Path) -> tuple[Path, list[dict]]:
    """A run folder: a failed test whose project's failed build left its logs, and a passing
    test whose build failed as it expects."""
    from harness.gates import project_names

    junit = tmp_path / "sanity.junit.xml"
    junit.write_text(
        '<testsuites><testsuite name="sanity">'
        '<testcase classname="tests.sanity.test_builds" name="test_build_succeeds" time="40.0">'
        f'<failure message="build 6 failed">{long_traceback()}</failure></testcase>'
        '<testcase classname="tests.sanity.test_builds" name="test_broken_spec_fails" time="9.0"/>'
        '<testcase classname="tests.sanity.test_smoke" name="test_slow" time="55.0"/>'
        '<testcase classname="tests.sanity.test_smoke" name="test_fast" time="0.1"/>'
        "</testsuite></testsuites>")
    builds = [{"id": 6, "project": f"alice/{project_names.for_test('test_build_succeeds')}",
               "state": "failed", "submitted": fx.T, "started": fx.T + 1, "ended": fx.T + 5},
              {"id": 7, "project": f"alice/{project_names.for_test('test_broken_spec_fails')}",
               "state": "failed", "submitted": fx.T, "started": fx.T + 2, "ended": fx.T + 4}]
    for name in ("builder-live.log", "backend.log"):
        log = tmp_path / "builds" / "6" / "fedora-44-x86_64" / name
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("error: line 3: bad spec\n")
    return junit, builds


def test_failures_come_first_with_their_whole_traceback_and_their_builds_logs(tmp_path):
    junit, builds = failing_run(tmp_path)
    page = pages.suite_page("sanity", junit, [], fx.bringup(), builds, now=fx.NOW, folder=tmp_path)
    assert page.index("FAILED") < page.index("<h2>Failures (1)</h2>") < page.index("<h2>Bring-up")
    failure = page[page.index("<h2>Failures"):page.index("<h2>Bring-up")]
    assert "frame_0" in failure and "frame_199" in failure and "E   the end" in failure
    assert '<a href="builds/6/fedora-44-x86_64/builder-live.log">' in failure
    assert '<a href="builds/6/fedora-44-x86_64/backend.log">' in failure
    # The table: failures first, then the rest slowest first; the slowest tests are listed.
    table = page[page.index('<table class="tests">'):]
    order = [table.index(n) for n in ("test_build_succeeds", "test_slow", "test_broken_spec_fails",
                                      "test_fast")]
    assert order == sorted(order)
    slowest = page[page.index("<h2>Slowest tests</h2>"):page.index("<h2>Tests</h2>")]
    assert slowest.index("55.0s") < slowest.index("40.0s") < slowest.index("9.0s")


def test_a_failed_build_its_test_expects_is_not_an_alarm(tmp_path):
    junit, builds = failing_run(tmp_path)
    cases = __import__("harness.reports.junit_html", fromlist=["cases"]).cases(junit)
    assert pages.expected_failures(builds, cases) == {7}
    bars = {b.lane.split()[0]: b for b in pages.build_bars(builds, fx.NOW, {7}) if b.phase != "waiting"}
    assert (bars["#6"].phase, bars["#6"].ok) == ("failed", False)
    assert (bars["#7"].phase, bars["#7"].ok) == ("failed as its test expects", True)


def test_a_passing_run_has_a_passed_banner_and_no_failures_section(tmp_path):
    junit = tmp_path / "j.xml"
    junit.write_text('<testsuite><testcase classname="a" name="test_a" time="1"/></testsuite>')
    page = pages.suite_page("sanity", junit, [], [], [])
    assert '<div class="banner passed" role="status">PASSED<small>1 passed' in page
    assert "Failures" not in page


def test_the_bring_up_chart_leaves_images_and_packages_to_figures():
    section = pages.bringup_section(fx.bringup())
    assert "<li>images: <b>0.6s</b></li><li>packages: <b>1.0s</b></li>" in section
    assert "containers, create to ready: <b>6.2s</b>" in section
    assert {b.phase for b in pages.bringup_bars(fx.bringup())}.isdisjoint(pages.BRINGUP_FIGURES)


def test_every_phase_has_its_own_colour():
    for colors in (pages.BRINGUP_COLORS, pages.WINDOW_COLORS, pages.BUILD_COLORS):
        assert len(set(map(str.lower, colors.values()))) == len(colors), colors


def test_in_chromium_the_failed_banner_and_the_failure_are_above_the_fold(tmp_path):
    from harness.reports import outcome

    junit, builds = failing_run(tmp_path)
    record = {"scenario": {"path": "scenarios/default.yaml", "sha256": "ab" * 32},
              "components": {"frontend": {"packages": [{"nvr": "copr-frontend-2.1-1", "source": "spec"}]}},
              "harness": {"version": "0.1.0", "commit": "c0ffee" * 6}, "tools": {"podman": "4.3.1"},
              "host": "h (Debian)", "started_iso": "2026-01-01T00:00:00Z", "ended_iso": "x"}
    html = pages.suite_page("copr-harness sanity suite", junit, [], fx.bringup(), builds,
                            now=fx.NOW, record=record, folder=tmp_path)
    image = screenshot(tmp_path, "failed", html)
    fold = 700  # a laptop's first screen
    banner = [y for y in range(0, 120) if close(image[500, y], outcome.FAILED_COLOR)]
    assert banner and banner[0] < 60, "no FAILED banner at the top"
    # The failure's own box: its left border in the FAILED colour, below the banner, above the fold.
    border = [y for y in range(banner[-1] + 1, image.height)
              if all(close(image[x, y], outcome.FAILED_COLOR) for x in range(34, 38))]
    assert border and border[0] < fold, border[:3]


def test_the_suite_page_lists_the_messages_per_build_and_fails_on_a_message_problem(tmp_path,
                                                                                  monkeypatch):
    monkeypatch.setattr(pages.outcome, "record_section", lambda record: "")  # the record's rest
    junit = tmp_path / "sanity.junit.xml"
    junit.write_text('<testsuite name="sanity" tests="1"><testcase classname="t" name="ok" '
                     'time="1"/></testsuite>')
    seen = {"builds": {"7": [{"topic": "copr.build.end", "chroot": "srpm-builds", "violation": None}]},
            "problems": []}
    page = pages.suite_page("t", junit, [], [], [], now=0, record={"messages": seen})
    assert "Messages (1 of 1 builds)" in page and "copr.build.end srpm-builds" in page
    assert 'class="banner passed"' in page
    bad = {**seen, "problems": ["build 7: 0 copr.build.start messages for srpm-builds, not 1"]}
    page = pages.suite_page("t", junit, [], [], [], now=0, record={"messages": bad})
    assert "0 copr.build.start messages for srpm-builds" in page and 'class="banner failed"' in page
