"""The suites' waits ask again at most half a second apart (the wait helper's default back-off
grows to 2 s, which added about a second to every build a test waited for)."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from harness.gates import copr_waits


class Builds:
    """A python-copr build proxy whose build runs for `polls` answers, then succeeds."""

    def __init__(self, polls: int) -> None:
        self.polls, self.asked = polls, 0

    def get(self, build_id: int) -> SimpleNamespace:
        self.asked += 1
        return SimpleNamespace(state="running" if self.asked <= self.polls else "succeeded")


@pytest.fixture
def pauses(monkeypatch) -> list[float]:
    """The pauses the wait asks for between polls (recorded, not slept)."""
    asked: list[float] = []
    monkeypatch.setattr(time, "sleep", asked.append)
    return asked


def test_wait_build_polls_at_most_every_half_second(pauses):
    builds = Builds(polls=8)
    assert copr_waits.wait_build(SimpleNamespace(build_proxy=builds), 7, timeout=30) == "succeeded"
    assert len(pauses) == 8 and max(pauses) <= 0.5, pauses


def test_wait_build_still_times_out_naming_the_build():
    builds = Builds(polls=10_000)
    with pytest.raises(copr_waits.wait.WaitTimeout) as raised:
        copr_waits.wait_build(SimpleNamespace(build_proxy=builds), 7, timeout=1)
    assert "build 7 to finish" in str(raised.value) and "build 7 is running" in str(raised.value)
