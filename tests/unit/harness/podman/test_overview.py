"""A run's creation time from what Podman lists (epoch numbers and RFC 3339 with nanoseconds)."""

from __future__ import annotations

import pytest

from harness.podman.overview import RunOverview, epoch


def test_creation_times_as_podman_gives_them():
    assert epoch(1700000000) == 1700000000.0
    assert epoch("2026-12-06T12:49:22Z") == epoch("2026-12-06T13:49:22+01:00")
    assert epoch("2026-12-06T12:49:22.123456789Z") - epoch("2026-12-06T12:49:22Z") == \
        pytest.approx(0.123456)
    assert [epoch(v) for v in (None, "", "yesterday", True)] == [None, None, None, None]


def test_a_runs_age_is_its_oldest_resources():
    overview = RunOverview()
    for created in (200.0, None, 100.0, 300.0):
        overview.seen(created)
    assert overview.created == 100.0
