"""A suite's messages (harness/messages/suite_check.py): listed per build in messages.json, with
every schema violation and every chroot whose build.end did not come once; the summary shows them."""

from __future__ import annotations

import json
from pathlib import Path

import pika.exceptions

from harness.messages import suite_check
from harness.messages.bus import Message
from harness.reports.summary import markdown

from .test_checks import body, messages_of


class FakeCollector:
    """What a Collector on a broker would get: a batch of messages per drain (the first holds
    `messages`, later ones `later`), or the connection lost on drain."""

    def __init__(self, messages: list[Message], lost: bool = False,
                 later: list[list[Message]] | None = None) -> None:
        self.seen: list[Message] = []
        self.batches, self.lost, self.closed = [messages, *(later or [])], lost, False

    def drain(self) -> list[Message]:
        if self.lost:
            raise pika.exceptions.StreamLostError("Stream connection lost")
        if self.batches:
            self.seen += self.batches.pop(0)
        return self.seen

    def close(self) -> None:
        self.closed = True


def test_valid_complete_builds_have_no_problems_and_are_listed(tmp_path: Path) -> None:
    collector = FakeCollector(messages_of(["srpm-builds", "fedora-44-x86_64"]))
    assert suite_check.finish(collector, tmp_path) == [] and collector.closed
    written = json.loads((tmp_path / "messages.json").read_text())
    assert [m["chroot"] for m in written["builds"]["7"]] == ["srpm-builds"] * 3 + ["fedora-44-x86_64"] * 3


def test_a_missing_end_is_a_problem_after_the_settle_time(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(suite_check, "SETTLE_SECONDS", 0.5)
    collector = FakeCollector(messages_of(["srpm-builds"])[:2])
    assert suite_check.finish(collector, tmp_path) == [
        "build 7 chroot srpm-builds: 0 copr.build.end messages, not 1"]


def test_a_late_build_end_is_waited_for(tmp_path: Path) -> None:
    complete = messages_of(["srpm-builds"])
    collector = FakeCollector(complete[:2], later=[[], complete[2:]])
    assert suite_check.finish(collector, tmp_path) == []
    assert len(suite_check.load(tmp_path)["builds"]["7"]) == 3


def test_a_malformed_end_and_a_missing_end_are_problems(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(suite_check, "SETTLE_SECONDS", 0.5)
    started = messages_of(["srpm-builds"])[:2]  # no build.end
    bad_end = Message("copr.build.end", "copr.build.end", "m9", {**body("f", 1), "build": 8,
                                                                 "status": "ok"})
    problems = suite_check.finish(FakeCollector([*started, bad_end]), tmp_path)
    assert any("field 'status'" in p and "m9" in p for p in problems)
    assert "build 7 chroot srpm-builds: 0 copr.build.end messages, not 1" in problems


def test_a_lost_connection_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    problems = suite_check.finish(FakeCollector([], lost=True), tmp_path)
    assert problems and "connection to the broker was lost" in problems[0]


def test_the_summary_lists_the_messages_per_build(tmp_path: Path) -> None:
    suite_check.finish(FakeCollector(messages_of(["srpm-builds"])), tmp_path)
    record = {"scenario": {"path": "s.yaml", "sha256": "0" * 64}, "timings": {},
              "components": {}, "messages": suite_check.load(tmp_path)}
    text = markdown("t", "passed", [], record)
    assert "| 7 | `copr.build.start` srpm-builds, `copr.chroot.start` srpm-builds, " \
           "`copr.build.end` srpm-builds |" in text
    assert suite_check.load(tmp_path / "none") is None


def api_build(state: str = "succeeded", **chroot_states: str) -> dict:
    """The API's view of build 7 (tests/unit/harness/messages/test_checks.py's bodies)."""
    return {"id": 7, "ownername": "alice", "projectname": "p1", "state": state,
            "source_package": {"name": "hello"},
            "chroot_states": chroot_states or {"fedora-44-x86_64": state}}


def test_builds_the_api_lists_as_ended_are_checked_against_their_messages(tmp_path: Path) -> None:
    complete = messages_of(["srpm-builds", "fedora-44-x86_64"])
    assert suite_check.finish(FakeCollector(complete), tmp_path, lambda: [api_build()]) == []
    # The API says the chroot failed; its build.end said succeeded.
    [problem] = suite_check.finish(FakeCollector(complete), tmp_path,
                                   lambda: [api_build("failed")])
    assert "copr.build.end" in problem and "'status' is 1, the API says 0" in problem


def test_an_ended_build_without_messages_is_a_problem(tmp_path: Path) -> None:
    problems = suite_check.finish(FakeCollector([]), tmp_path, lambda: [api_build()])
    assert "build 7: 0 copr.build.start messages for srpm-builds, not 1" in problems
    assert "build 7: 0 copr.build.end messages for fedora-44-x86_64, not 1" in problems


def test_a_fork_or_a_failed_source_build_owes_only_what_ran(tmp_path: Path) -> None:
    forked = api_build("forked", **{"fedora-44-x86_64": "forked"})
    assert suite_check.expected_chroots(forked) == []
    assert suite_check.finish(FakeCollector([]), tmp_path, lambda: [forked]) == []
    # The frontend fails the chroots of a build whose source build failed: none ran.
    failed_source = api_build("failed", **{"fedora-44-x86_64": "failed"}) | {"source_package": {}}
    assert suite_check.expected_chroots(failed_source) == ["srpm-builds"]


def test_an_unreadable_api_is_a_problem(tmp_path: Path) -> None:
    def down() -> list[dict]:
        raise ConnectionError("refused")

    [problem] = suite_check.finish(FakeCollector(messages_of(["srpm-builds"])), tmp_path, down)
    assert problem.startswith("could not read the suite's builds from the API: ConnectionError")
