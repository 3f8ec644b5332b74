"""The SVG charts: geometry, the numbers they show, escaping."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from harness.reports import charts, stats
from harness.reports.charts import Bar, Histogram, Timeline

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    """The SVG as XML: also proves it is well-formed (escaping done right)."""
    return ET.fromstring(svg)


def rects(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]


BARS = [Bar("frontend", "install", 10.0, 12.0), Bar("database", "start", 10.5, 11.0),
        Bar("frontend", "ready", 12.0, 14.0, ok=False, note="timed out")]


def test_timeline_fits_every_bar_between_the_label_column_and_the_right_edge():
    timeline = Timeline.fit(BARS)
    assert timeline.lanes == ["frontend", "database"]  # first seen first
    assert (timeline.t0, timeline.t1) == (10.0, 14.0)
    assert timeline.x(10.0) == timeline.left
    assert timeline.x(14.0) == timeline.width - timeline.right
    assert timeline.height == timeline.top + 2 * timeline.lane_height + timeline.bottom


def test_timeline_draws_each_bar_at_its_times_with_its_phase_color():
    timeline = Timeline.fit(BARS)
    colors = {"install": "#111111", "start": "#222222", "ready": "#333333"}
    drawn = rects(parse(timeline.svg(BARS, colors, "bring-up")))
    assert len(drawn) == 3
    for bar, rect in zip(BARS, drawn):
        x, y, width, height = timeline.bar_box(bar)
        assert float(rect.get("x")) == pytest.approx(x, abs=0.06)
        assert float(rect.get("y")) == pytest.approx(y, abs=0.06)
        assert float(rect.get("width")) == pytest.approx(width, abs=0.06)
        assert rect.get("fill") == colors[bar.phase]
    # 706 px for 4 s: the 2 s install bar is half the plot wide.
    assert float(drawn[0].get("width")) == pytest.approx(353.0)
    assert drawn[1].get("stroke") is None and drawn[2].get("stroke") == "#000"
    assert drawn[2].find(f"{SVG}title").text == "frontend: ready 2.0s (FAILED): timed out"


def test_timeline_legend_lists_only_the_phases_drawn_and_axis_counts_seconds():
    svg = Timeline.fit(BARS).svg(BARS, {"create": "#000001", "install": "#111111", "start": "#222222",
                                        "ready": "#333333"}, "bring-up")
    texts = [t.text for t in parse(svg).iter(f"{SVG}text")]
    assert "create" not in texts and {"install", "start", "ready"} <= set(texts)
    ticks = [t for t in texts if re.fullmatch(r"[\d.]+s", t)]
    assert ticks == ["0s", "0.5s", "1s", "1.5s", "2s", "2.5s", "3s", "3.5s", "4s"]


def test_timeline_escapes_lane_names_and_notes():
    bars = [Bar('<b>"x"&y</b>', "start", 0.0, 1.0, ok=False, note="<oops> & 'quoted'")]
    svg = Timeline.fit(bars).svg(bars, {"start": "#123456"}, 'a "label" <here>')
    assert "<b>" not in svg and "&lt;b&gt;&quot;x&quot;&amp;y&lt;/b&gt;" in svg
    root = parse(svg)
    assert root.get("aria-label") == 'a "label" <here>'
    assert '<b>"x"&y</b>' in [t.text for t in root.iter(f"{SVG}text")]
    assert rects(root)[0].find(f"{SVG}title").text.endswith("<oops> & 'quoted'")


def test_a_window_shorter_than_a_second_is_drawn_as_a_second_and_instants_stay_visible():
    bars = [Bar("a", "start", 5.0, 5.25), Bar("a", "ready", 5.25, 5.25)]
    timeline = Timeline.fit(bars)
    assert timeline.scale == timeline.width - timeline.left - timeline.right
    assert timeline.bar_box(bars[1])[2] == 2.0


@pytest.mark.parametrize(("span", "ticks", "step"), [(7.8, 10, 1), (20, 10, 2), (0.3, 10, 0.05),
                                                     (14, 12, 2), (95, 10, 10), (400, 10, 50)])
def test_nice_steps_are_one_two_or_five_times_a_power_of_ten(span, ticks, step):
    assert charts.nice_step(span, ticks) == pytest.approx(step)


def test_percentile_interpolates_between_sorted_values():
    values = [14, 3, 4, 4, 5, 5, 5, 6, 7, 9]
    assert stats.percentile(values, 50) == 5.0
    assert stats.percentile(values, 90) == pytest.approx(9.5)
    assert stats.percentile(values, 0) == 3 and stats.percentile(values, 100) == 14
    assert stats.percentile([7.0], 90) == 7.0
    with pytest.raises(ValueError):
        stats.percentile([], 50)


def test_histogram_bins_from_zero_with_round_widths():
    histogram = Histogram.fit([3, 4, 4, 5, 5, 5, 6, 7, 9, 14])
    assert histogram.bin_width == 2
    assert histogram.counts == [0, 1, 5, 2, 1, 0, 0, 1]  # 14 falls in [14, 16)
    assert histogram.x(0) == histogram.left
    assert histogram.x(16) == histogram.width - histogram.right
    assert histogram.y(5) == histogram.top and histogram.y(0) == histogram.baseline
    assert Histogram.fit([0.0]).counts == [1]


def test_histogram_draws_a_column_per_filled_bin_and_labels_its_marks():
    histogram = Histogram.fit([3, 4, 4, 5, 5, 5, 6, 7, 9, 14])
    root = parse(histogram.svg({"median": 5.0, "p90": 9.5}, "latency <s>"))
    columns = rects(root)
    assert [c.find(f"{SVG}title").text for c in columns] == ["2-4s: 1", "4-6s: 5", "6-8s: 2",
                                                              "8-10s: 1", "14-16s: 1"]
    tallest = columns[1]
    assert float(tallest.get("y")) == histogram.top
    assert float(tallest.get("height")) == histogram.baseline - histogram.top
    marks = [line for line in root.iter(f"{SVG}line") if line.get("stroke-width") == "2"]
    assert [float(m.get("x1")) for m in marks] == [pytest.approx(histogram.x(5.0), abs=0.06),
                                                   pytest.approx(histogram.x(9.5), abs=0.06)]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "median 5.0s" in texts and "p90 9.5s" in texts and "latency <s>" in texts


def test_svg_has_no_script_and_no_external_reference():
    svg = Timeline.fit(BARS).svg(BARS, {}, "x") + Histogram.fit([1, 2]).svg({}, "y")
    assert "<script" not in svg and "href" not in svg
    assert set(re.findall(r"https?://[^\"']+", svg)) == {"http://www.w3.org/2000/svg"}


def test_a_long_lane_label_is_cut_to_its_column_and_whole_in_its_tooltip():
    from harness.reports.charts import Bar, Timeline

    lane = "#12 alice/watch_build_of_a_failed_build_exits_4-0a1b2c"
    bars = [Bar(lane, "running", 0.0, 5.0)]
    svg = Timeline.fit(bars, left=170).svg(bars, {"running": "#56B4E9"}, "t")
    cut = int((170 - 12) / (12 * 0.6))
    assert f">{lane[:cut - 1]}…<title>{lane}</title></text>" in svg
