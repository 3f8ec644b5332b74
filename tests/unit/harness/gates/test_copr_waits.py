"""The suites' waits notice a finished build within half a second (the default back-off of the
wait helper grows to 2 s, which added about a second to every build a test waited for)."""

from __future__ import annotations

import time
from types import SimpleNamespace

from harness.gates import copr_waits


class Builds:
    """A python-copr build proxy whose build runs for `polls` answers, then succeeds; it notes
    when it was asked."""

    def __init__(self, polls: int) -> None:
        self.polls, self.asked = polls, []

    def get(self, build_id: int) -> SimpleNamespace:
        self.asked.append(time.monotonic())
        return SimpleNamespace(state="running" if len(self.asked) <= self.polls else "succeeded")


def test_wait_build_polls_at_most_every_half_second():
    builds = Builds(polls=6)
    assert copr_waits.wait_build(SimpleNamespace(build_proxy=builds), 7, timeout=30) == "succeeded"
    gaps = [later - earlier for earlier, later in zip(builds.asked, builds.asked[1:])]
    assert len(gaps) == 6 and max(gaps) < 0.75, gaps


def test_wait_build_still_times_out_naming_the_build():
    builds = Builds(polls=10_000)
    try:
        copr_waits.wait_build(SimpleNamespace(build_proxy=builds), 7, timeout=1)
    except copr_waits.wait.WaitTimeout as error:
        assert "build 7 to finish" in str(error) and "build 7 is running" in str(error)
    else:
        raise AssertionError("wait_build returned for a build that never finished")
