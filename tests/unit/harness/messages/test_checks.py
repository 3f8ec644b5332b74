"""The message checks of the tests (tests/support/copr_messages.py): schema violations are named
by message, field and schema; a build's messages must agree with the API, one per topic and chroot."""

from __future__ import annotations

import pytest

from harness.messages.bus import TOPICS_PER_CHROOT, Message
from harness.messages.checks import (
    SchemaViolation, check_build, per_build, schema_classes, validate, violations,
)

BUILD = {"id": 7, "ownername": "alice", "projectname": "p1", "state": "succeeded",
         "source_package": {"name": "hello"}}


def body(chroot: str, status: int, pkg: str | None = "hello") -> dict:
    return {"status": status, "chroot": chroot, "build": 7, "owner": "alice", "copr": "p1",
            "pkg": pkg, "version": "1-1", "what": "w", "ip": "10.0.0.2", "who": "worker",
            "user": "alice", "pid": 42}


def messages_of(chroots: list[str]) -> list[Message]:
    found = []
    for chroot in chroots:
        for topic in TOPICS_PER_CHROOT:
            status = 1 if topic == "copr.build.end" else 3
            found.append(Message(topic, topic, f"{topic}-{chroot}", body(chroot, status)))
    return found


def test_copr_messaging_registers_the_backends_topics() -> None:
    assert set(TOPICS_PER_CHROOT) <= set(schema_classes())


def test_a_complete_build_has_no_problems() -> None:
    chroots = ["srpm-builds", "fedora-44-x86_64"]
    assert check_build(messages_of(chroots), BUILD, chroots) == []


def test_a_violation_names_the_message_the_field_and_the_schema() -> None:
    bad = Message("copr.build.end", "copr.build.end", "m1", {**body("f", 1), "build": "seven"})
    with pytest.raises(SchemaViolation) as raised:
        validate(bad, schema_classes())
    text = str(raised.value)
    assert "copr.build.end (id m1" in text
    assert "field 'build'" in text
    assert "BuildChrootEndedV1.body_schema" in text


def test_a_missing_required_field_is_a_violation() -> None:
    without = {k: v for k, v in body("f", 1).items() if k != "owner"}
    with pytest.raises(SchemaViolation, match="'owner' is a required property"):
        validate(Message("copr.build.start", "copr.build.start", "m2", without), schema_classes())


def test_a_missing_or_duplicate_message_and_a_wrong_status_are_problems() -> None:
    chroots = ["srpm-builds", "fedora-44-x86_64"]
    messages = messages_of(chroots)
    missing_end = [m for m in messages if not (m.topic == "copr.build.end"
                                               and m.body["chroot"] == "fedora-44-x86_64")]
    assert check_build(missing_end, BUILD, chroots) == [
        "build 7: 0 copr.build.end messages for fedora-44-x86_64, not 1"]
    assert "build 7: 2 copr.build.start messages for srpm-builds, not 1" in check_build(
        messages + messages[:1], BUILD, chroots)
    failed = check_build(messages, {**BUILD, "state": "failed"}, chroots)
    assert any("'status' is 1, the API says 0" in p for p in failed)
    other_pkg = check_build(messages, {**BUILD, "source_package": {"name": "x"}}, chroots)
    assert any("'pkg' is 'hello', the API says 'x'" in p for p in other_pkg)


def test_a_missing_field_is_named_as_the_field() -> None:
    without = {k: v for k, v in body("f", 1).items() if k != "owner"}
    [problem] = violations([Message("copr.build.end", "copr.build.end", "m3", without)])
    assert "field 'owner' violates" in problem


def test_per_build_lists_each_builds_messages_with_its_violation() -> None:
    good = messages_of(["srpm-builds"])
    bad = Message("copr.build.end", "copr.build.end", "m4", {**body("f", 1), "build": 8,
                                                              "status": "done"})
    listed = per_build([*good, bad])
    assert [m["topic"] for m in listed["7"]] == list(TOPICS_PER_CHROOT)
    assert all(m["violation"] is None for m in listed["7"])
    [wrong] = listed["8"]
    assert "field 'status'" in wrong["violation"] and wrong["chroot"] == "f"
