"""Copr's build messages as a consumer of the stack's broker sees them, checked against
copr-messaging's schemas (the classes registered under fedora-messaging's `fedora.messages`
entry points, whose names are the topics) and against what the API says about each build."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.metadata import entry_points

import jsonschema
import pika

from harness import wait

# What copr-backend 2.11's build worker announces for each chroot of a build (srpm-builds
# included): build.start and chroot.start when the job starts, build.end when it finished.
TOPICS_PER_CHROOT = ("copr.build.start", "copr.chroot.start", "copr.build.end")
# copr-common's StatusEnum: the job runs while it starts; an ended job says how it ended.
RUNNING = 3
ENDED = {"succeeded": 1, "failed": 0}


@dataclass
class Message:
    topic: str
    schema: str
    message_id: str
    body: dict

    def __str__(self) -> str:
        return f"{self.topic} (id {self.message_id}, build {self.body.get('build')}, " \
               f"chroot {self.body.get('chroot')})"


def schema_classes() -> dict[str, type]:
    """copr-messaging's message classes by their registered name (the topic)."""
    return {ep.name: ep.load() for ep in entry_points(group="fedora.messages")
            if ep.value.startswith("copr_messaging.")}


class SchemaViolation(AssertionError):
    """A message whose body does not match its class's schema."""


def validate(message: Message, classes: dict[str, type]) -> None:
    """Check the body against the schema its headers name; raise naming the message, the field
    and the schema."""
    cls = classes.get(message.schema) or classes.get(message.topic)
    if cls is None:
        raise SchemaViolation(f"{message}: no copr-messaging class for schema "
                              f"'{message.schema}' or topic '{message.topic}'")
    validator = jsonschema.Draft4Validator(cls.body_schema)
    errors = sorted(validator.iter_errors(message.body), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        field = ".".join(str(p) for p in first.absolute_path) or "(body)"
        raise SchemaViolation(
            f"{message}: field '{field}' violates {cls.__module__}.{cls.__name__}.body_schema "
            f"({'/'.join(str(p) for p in first.absolute_schema_path)}): {first.message}")


class Collector:
    """A queue bound to every topic of amq.topic, declared before the builds it watches."""

    def __init__(self, host: str, port: int, password: str) -> None:
        params = pika.ConnectionParameters(
            host=host, port=port, credentials=pika.PlainCredentials("copr", password),
            connection_attempts=3, retry_delay=1, socket_timeout=10)
        self.connection = pika.BlockingConnection(params)
        self.channel = self.connection.channel()
        self.queue = self.channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
        self.channel.queue_bind(self.queue, "amq.topic", routing_key="#")
        self.seen: list[Message] = []

    def drain(self) -> list[Message]:
        """Every message queued so far (kept in `seen` too)."""
        while True:
            method, properties, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                return self.seen
            headers = properties.headers or {}
            self.seen.append(Message(method.routing_key,
                                     str(headers.get("fedora_messaging_schema", "")),
                                     str(properties.message_id), json.loads(body)))

    def of_build(self, build_id: int) -> list[Message]:
        return [m for m in self.seen if m.body.get("build") == build_id]

    def wait_for_build(self, build_id: int, chroots: list[str], timeout: float = 120) -> list[Message]:
        """The build's messages once every chroot's start/end messages have arrived."""
        expected = len(chroots) * len(TOPICS_PER_CHROOT)

        def arrived() -> list[Message]:
            self.drain()
            got = self.of_build(build_id)
            if len(got) < expected:
                raise wait.NotYet(f"{len(got)} of {expected} messages of build {build_id}: "
                                  + ", ".join(str(m) for m in got))
            return got

        return wait.until(arrived, what=f"the broker's messages of build {build_id}",
                          timeout=timeout)

    def close(self) -> None:
        if self.connection.is_open:
            self.connection.close()


def check_build(messages: list[Message], build: dict, chroots: list[str]) -> list[str]:
    """Problems of one build's messages against the API's `build` (its /api_3/build answer):
    exactly one of each topic per chroot, every body valid and agreeing with the API."""
    classes = schema_classes()
    problems = []
    for message in messages:
        try:
            validate(message, classes)
        except SchemaViolation as violation:
            problems.append(str(violation))
    counts = {(m.topic, m.body.get("chroot")): 0 for m in messages}
    for m in messages:
        counts[(m.topic, m.body.get("chroot"))] += 1
    for chroot in chroots:
        for topic in TOPICS_PER_CHROOT:
            n = counts.pop((topic, chroot), 0)
            if n != 1:
                problems.append(f"build {build['id']}: {n} {topic} messages for {chroot}, not 1")
    problems += [f"build {build['id']}: unexpected {n} {topic} for chroot {chroot}"
                 for (topic, chroot), n in counts.items()]
    package = (build.get("source_package") or {}).get("name")
    for m in messages:
        body = m.body
        want = {"owner": build["ownername"], "copr": build["projectname"],
                "status": ENDED.get(build["state"]) if m.topic == "copr.build.end" else RUNNING}
        if body.get("chroot") != "srpm-builds":
            want["pkg"] = package
        for key, value in want.items():
            if body.get(key) != value:
                problems.append(f"{m}: '{key}' is {body.get(key)!r}, the API says {value!r}")
    return problems
