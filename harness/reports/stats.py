"""Small statistics shared by the load test and the benchmark: percentiles and summaries."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], p: float) -> float:
    """The `p`-th percentile (0..100) of `values`, interpolated linearly between ranks.

    Matches numpy's default ('linear'): the median of [1, 2, 3, 4] is 2.5.
    """
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= p <= 100:
        raise ValueError(f"percentile {p} is not between 0 and 100")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    """The median (the 50th percentile)."""
    return percentile(values, 50)


def summary(values: Sequence[float]) -> dict[str, float]:
    """min, median, p90 and max of `values` (the latency line of load and bench)."""
    return {"min": min(values), "median": median(values), "p90": percentile(values, 90),
            "max": max(values)}


def mib(size: float) -> float:
    """Bytes as MiB, rounded to one decimal."""
    return round(size / 2**20, 1)
