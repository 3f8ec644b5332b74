"""The rehearsal's message rule (harness/upgrade/message_rule.py): messages before and after the
window valid against copr-messaging's schemas, still flowing, with production's schemas."""

from __future__ import annotations

import pika.exceptions

from harness.messages.bus import Message
from harness.model.rules import RULES
from harness.upgrade.message_rule import judge, judge_collector

from ..messages.test_checks import body, messages_of


def test_valid_messages_on_both_sides_pass() -> None:
    rule = judge(messages_of(["srpm-builds"]), messages_of(["fedora-44-x86_64"]), builds_after=True)
    assert rule.ok and rule.name == "message-schemas" and rule.name in RULES
    assert "3 messages before the window and 3 after it" in rule.message


def test_a_malformed_build_end_after_the_window_fails_naming_the_field() -> None:
    after = messages_of(["fedora-44-x86_64"])
    after[-1] = Message("copr.build.end", "copr.build.end", "m5",
                        {k: v for k, v in body("fedora-44-x86_64", 1).items() if k != "status"})
    rule = judge(messages_of(["srpm-builds"]), after, builds_after=True)
    assert not rule.ok
    assert rule.message.startswith("after the window: copr.build.end (id m5")
    assert "field 'status'" in rule.message


def test_silence_after_the_window_and_a_changed_schema_fail() -> None:
    silent = judge(messages_of(["srpm-builds"]), [], builds_after=True)
    assert not silent.ok and "no message after the window" in silent.message
    assert judge(messages_of(["srpm-builds"]), [], builds_after=False).ok
    renamed = [Message(m.topic, m.schema + ".v2", m.message_id, m.body)
               for m in messages_of(["srpm-builds"])]
    changed = judge(messages_of(["srpm-builds"]), renamed, builds_after=True)
    assert not changed.ok
    assert "copr.build.end: production emitted schema ['copr.build.end'], the candidate emits " \
           "['copr.build.end.v2']" in changed.message


class LostCollector:
    closed = False

    def drain(self) -> list[Message]:
        raise pika.exceptions.StreamLostError("Stream connection lost")

    def close(self) -> None:
        self.closed = True


def test_a_lost_broker_fails_the_rule() -> None:
    collector = LostCollector()
    rule = judge_collector(collector, messages_of(["srpm-builds"]), builds_after=True)  # type: ignore[arg-type]
    assert not rule.ok and "lost the broker" in rule.message and collector.closed


def test_a_build_end_the_candidate_never_sent_fails() -> None:
    after = messages_of(["fedora-44-x86_64"])[:2]  # started, never ended (e.g. refused by publish)
    rule = judge(messages_of(["srpm-builds"]), after, builds_after=True)
    assert not rule.ok
    assert "after the window: build 7 chroot fedora-44-x86_64: 0 copr.build.end messages, not 1" \
        in rule.message
