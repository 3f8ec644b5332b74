"""Inline SVG charts for the report pages: timelines (bars per lane) and histograms.

Plain SVG strings, no script and no external asset, so a page reads from a file:// URL. Each
chart's geometry is a small object (`Timeline`, `Histogram`) whose coordinates the pictures use,
so tests can tell where a bar must be drawn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

FONT = 'font-family="sans-serif" font-size="12"'
GRID, AXIS_TEXT = "#eaeef2", "#57606a"


@dataclass
class Bar:
    """One bar of a timeline: `phase` names its color; a failed bar gets a black outline."""

    lane: str
    phase: str
    start: float
    end: float
    ok: bool = True
    note: str = ""


def nice_step(span: float, ticks: int = 10) -> float:
    """A round step (1, 2 or 5 times a power of ten) giving about `ticks` ticks over `span`."""
    raw = max(span, 1e-9) / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _number(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.1f}"


def _legend(colors: dict[str, str], used: Sequence[str], x: float, y: float) -> list[str]:
    parts = []
    for name in (n for n in colors if n in used):
        parts.append(f'<rect x="{x:.0f}" y="{y}" width="10" height="10" fill="{colors[name]}"/>'
                     f'<text x="{x + 13:.0f}" y="{y + 9}">{escape(name)}</text>')
        x += 13 + 7 * len(name) + 14
    return parts


@dataclass
class Timeline:
    """Where a timeline draws: a label column, one lane per row, seconds from `t0` across."""

    lanes: list[str]
    t0: float
    t1: float
    width: int = 900
    lane_height: int = 22
    left: int = 170
    right: int = 24
    top: int = 26  # the legend's row
    bottom: int = 24  # the time axis

    @classmethod
    def fit(cls, bars: Sequence[Bar], lanes: Sequence[str] | None = None, **layout: int) -> Timeline:
        """The geometry that holds every bar (lanes in first-seen order unless given)."""
        order = list(lanes) if lanes is not None else list(dict.fromkeys(b.lane for b in bars))
        t0 = min((b.start for b in bars), default=0.0)
        t1 = max((max(b.end, b.start) for b in bars), default=t0)
        return cls(order, t0, t1, **layout)

    @property
    def scale(self) -> float:
        """Pixels per second (a window shorter than a second is drawn as one second)."""
        return (self.width - self.left - self.right) / max(self.t1 - self.t0, 1.0)

    @property
    def height(self) -> int:
        return self.top + self.lane_height * len(self.lanes) + self.bottom

    def x(self, t: float) -> float:
        return self.left + (t - self.t0) * self.scale

    def y(self, lane: str) -> float:
        """The top of a lane's row."""
        return self.top + self.lane_height * self.lanes.index(lane)

    def bar_box(self, bar: Bar) -> tuple[float, float, float, float]:
        """(x, y, width, height) of a bar: at least 2 px wide so an instant stays visible."""
        return (self.x(bar.start), self.y(bar.lane) + 3, max(self.x(bar.end) - self.x(bar.start), 2.0),
                self.lane_height - 6)

    def svg(self, bars: Sequence[Bar], colors: dict[str, str], label: str) -> str:
        """The picture: legend, lane labels and grid, bars (with tooltips), time axis."""
        parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
                 f'aria-label="{escape(label)}" width="{self.width}" height="{self.height}" {FONT}>']
        parts += _legend(colors, [b.phase for b in bars], self.left, 8)
        font = 12 if self.lane_height >= 18 else 10
        for lane in self.lanes:
            y = self.y(lane)
            fits = int((self.left - 12) / (font * 0.6))  # characters the label column holds
            label = lane if len(lane) <= fits else lane[:fits - 1] + "…"
            parts.append(f'<text x="6" y="{y + self.lane_height / 2 + font / 2 - 1:.0f}" '
                         f'font-size="{font}">{escape(label)}<title>{escape(lane)}</title></text>')
            parts.append(f'<line x1="{self.left}" x2="{self.width - self.right}" '
                         f'y1="{y + self.lane_height - 0.5}" y2="{y + self.lane_height - 0.5}" '
                         f'stroke="{GRID}"/>')
        for bar in bars:
            x, y, width, height = self.bar_box(bar)
            outline = "" if bar.ok else ' stroke="#000" stroke-width="2"'
            tip = f"{bar.lane}: {bar.phase} {bar.end - bar.start:.1f}s" + ("" if bar.ok else " (FAILED)")
            if bar.note:
                tip += f": {bar.note}"
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height}" '
                         f'fill="{colors.get(bar.phase, "#888")}"{outline}>'
                         f'<title>{escape(tip)}</title></rect>')
        axis_y = self.top + self.lane_height * len(self.lanes)
        step = nice_step(self.t1 - self.t0)
        second = 0.0
        while second <= self.t1 - self.t0 + 1e-9:
            x = self.x(self.t0 + second)
            parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{axis_y}" y2="{axis_y + 4}" '
                         f'stroke="{AXIS_TEXT}"/>'
                         f'<text x="{x:.1f}" y="{axis_y + 16}" fill="{AXIS_TEXT}" text-anchor="middle">'
                         f'{_number(second)}s</text>')
            second += step
        parts.append("</svg>")
        return "".join(parts)


COLUMN, MEDIAN, P90 = "#54aeff", "#1a7f37", "#cf222e"


@dataclass
class Histogram:
    """Where a histogram draws: bins of `bin_width` from 0, counts up to `peak`."""

    counts: list[int]
    bin_width: float
    width: int = 640
    height: int = 240
    left: int = 48
    right: int = 24
    top: int = 34  # the marks' labels
    bottom: int = 40  # the value axis and its title

    @classmethod
    def fit(cls, values: Sequence[float], bins: int = 12, **layout: int) -> Histogram:
        """Round-width bins from 0 that hold every value (about `bins` of them)."""
        top = max(values, default=0.0)
        width = nice_step(top, bins) if top > 0 else 1.0
        count = max(1, math.floor(top / width) + 1)
        counts = [0] * count
        for value in values:
            counts[min(int(max(value, 0) // width), count - 1)] += 1
        return cls(counts, width, **layout)

    @property
    def peak(self) -> int:
        return max(self.counts, default=0) or 1

    @property
    def baseline(self) -> int:
        return self.height - self.bottom

    def x(self, value: float) -> float:
        span = self.bin_width * len(self.counts)
        return self.left + value / span * (self.width - self.left - self.right)

    def y(self, count: float) -> float:
        return self.baseline - count / self.peak * (self.baseline - self.top)

    def column_box(self, index: int) -> tuple[float, float, float, float]:
        """(x, y, width, height) of a bin's column (1 px gap on each side)."""
        x0, x1 = self.x(index * self.bin_width), self.x((index + 1) * self.bin_width)
        y = self.y(self.counts[index])
        return x0 + 1, y, max(x1 - x0 - 2, 1.0), self.baseline - y

    def svg(self, marks: dict[str, float], label: str, unit: str = "s") -> str:
        """Columns with their counts, a vertical line per mark (median, p90) and the axes."""
        parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
                 f'aria-label="{escape(label)}" width="{self.width}" height="{self.height}" {FONT}>']
        plot_right = self.width - self.right
        for tick in range(0, self.peak + 1, max(1, math.ceil(self.peak / 5))):
            y = self.y(tick)
            parts.append(f'<line x1="{self.left}" x2="{plot_right}" y1="{y:.1f}" y2="{y:.1f}" '
                         f'stroke="{GRID}"/><text x="{self.left - 6}" y="{y + 4:.1f}" '
                         f'fill="{AXIS_TEXT}" text-anchor="end">{tick}</text>')
        for index, count in enumerate(self.counts):
            if count:
                x, y, width, height = self.column_box(index)
                low, high = index * self.bin_width, (index + 1) * self.bin_width
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" '
                             f'fill="{COLUMN}"><title>{_number(low)}-{_number(high)}{unit}: '
                             f'{count}</title></rect>')
        labels = max(1, math.ceil(len(self.counts) / 12))
        for index in range(0, len(self.counts) + 1, labels):
            x = self.x(index * self.bin_width)
            parts.append(f'<text x="{x:.1f}" y="{self.baseline + 16}" fill="{AXIS_TEXT}" '
                         f'text-anchor="middle">{_number(index * self.bin_width)}{unit}</text>')
        parts.append(f'<line x1="{self.left}" x2="{plot_right}" y1="{self.baseline + 0.5}" '
                     f'y2="{self.baseline + 0.5}" stroke="{AXIS_TEXT}"/>')
        parts.append(f'<text x="{(self.left + plot_right) / 2:.0f}" y="{self.height - 6}" '
                     f'fill="{AXIS_TEXT}" text-anchor="middle">{escape(label)}</text>')
        for row, (name, value) in enumerate(marks.items()):
            color = MARK_COLORS[row % len(MARK_COLORS)]
            x = self.x(value)
            # A label near the right edge goes left of its line so it is not cut off.
            anchor = ' text-anchor="end" dx="-8"' if x > self.width - 140 else ""
            parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{self.top - 4}" y2="{self.baseline}" '
                         f'stroke="{color}" stroke-width="2"/>'
                         f'<text x="{x + 4:.1f}" y="{12 + 13 * row}" fill="{color}"{anchor}>'
                         f'{escape(name)} {value:.1f}{unit}</text>')
        parts.append("</svg>")
        return "".join(parts)


MARK_COLORS = (MEDIAN, P90)
