"""Copr's build messages checked against copr-messaging's schemas (the classes registered under
fedora-messaging's `fedora.messages` entry points, whose names are the topics) and against what
the API says about each build."""

from __future__ import annotations

from importlib.metadata import entry_points

import jsonschema

from harness.messages.bus import TOPICS_PER_CHROOT, Message

# copr-common's StatusEnum: the job runs while it starts; an ended job says how it ended.
RUNNING = 3
ENDED = {"succeeded": 1, "failed": 0}


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
        field = ".".join(str(p) for p in first.absolute_path)
        if first.validator == "required":  # the error sits on the body; the field is missing
            field = ".".join(filter(None, [field, first.message.split("'")[1]]))
        field = field or "(body)"
        raise SchemaViolation(
            f"{message}: field '{field}' violates {cls.__module__}.{cls.__name__}.body_schema "
            f"({'/'.join(str(p) for p in first.absolute_schema_path)}): {first.message}")


def check_build(messages: list[Message], build: dict, chroots: list[str]) -> list[str]:
    """Problems of one build's messages: schema violations, then `against_api`'s."""
    return violations(messages) + against_api(messages, build, chroots)


def against_api(messages: list[Message], build: dict, chroots: list[str]) -> list[str]:
    """Problems of one build's messages against the API's `build` (its /api_3/build answer, with
    `chroot_states` {chroot: state} when known): exactly one of each topic per chroot in
    `chroots`, and the bodies agree with the API; each chroot's build.end status is that
    chroot's state (else the build's)."""
    problems = []
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
    states = build.get("chroot_states") or {}
    for m in messages:
        body = m.body
        ended = states.get(body.get("chroot"), build["state"])
        want = {"owner": build["ownername"], "copr": build["projectname"],
                "status": ENDED.get(ended) if m.topic == "copr.build.end" else RUNNING}
        if body.get("chroot") != "srpm-builds":
            want["pkg"] = package
        for key, value in want.items():
            if body.get(key) != value:
                problems.append(f"{m}: '{key}' is {body.get(key)!r}, the API says {value!r}")
    return problems


def violations(messages: list[Message], classes: dict[str, type] | None = None) -> list[str]:
    """Every message's schema violation (empty: all valid)."""
    classes = classes if classes is not None else schema_classes()
    found = []
    for message in messages:
        try:
            validate(message, classes)
        except SchemaViolation as violation:
            found.append(str(violation))
    return found


def per_build(messages: list[Message]) -> dict[str, list[dict]]:
    """The messages seen of each build (by build id; bodies without one under "none"), in the
    order they came, each with its topic, chroot, status and its schema violation if any."""
    classes = schema_classes()
    found: dict[str, list[dict]] = {}
    for message in messages:
        problem = violations([message], classes)
        found.setdefault(str(message.body.get("build", "none")), []).append(
            {"topic": message.topic, "id": message.message_id, "chroot": message.body.get("chroot"),
             "status": message.body.get("status"), "schema": message.schema,
             "violation": problem[0] if problem else None})
    return found
