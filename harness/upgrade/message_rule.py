"""The rehearsal's message rule: the build messages a consumer took off the broker before the
window (the production set's) and after it (the candidate's) all validate against
copr-messaging's schemas, keep flowing (every chroot that started after the window ended once),
and keep the schemas production used per topic."""

from __future__ import annotations

from pika.exceptions import AMQPError

from harness.messages.bus import Collector, Message
from harness.messages.checks import per_build, violations
from harness.messages.suite_check import unended
from harness.model.rules import RuleName
from harness.upgrade.rules import Rule

SHOWN = 3  # violations quoted in the rule's message (the rest are counted)


def _schemas(messages: list[Message]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for message in messages:
        found.setdefault(message.topic, set()).add(message.schema)
    return found


def judge(before: list[Message], after: list[Message], builds_after: bool) -> Rule:
    """The rule's verdict; `builds_after`: builds ran after the window opened (so the candidate
    must have announced them)."""
    problems = [f"before the window: {v}" for v in violations(before)]
    problems += [f"after the window: {v}" for v in violations(after)]
    problems += [f"after the window: {u}" for u in unended(per_build(after))]
    if not before:
        problems.append("no message before the window (the production builds announced nothing)")
    if builds_after and not after:
        problems.append("no message after the window (the candidate's builds announced nothing)")
    old, new = _schemas(before), _schemas(after)
    for topic in sorted(set(old) & set(new)):
        if new[topic] - old[topic]:
            problems.append(f"{topic}: production emitted schema {sorted(old[topic])}, "
                            f"the candidate emits {sorted(new[topic] - old[topic])}")
    if problems:
        more = f" (and {len(problems) - SHOWN} more)" if len(problems) > SHOWN else ""
        return Rule(RuleName.MESSAGE_SCHEMAS, False, "; ".join(problems[:SHOWN]) + more)
    return Rule(RuleName.MESSAGE_SCHEMAS, True,
                f"{len(before)} messages before the window and {len(after)} after it, all valid "
                "against copr-messaging's schemas, with the schemas production used")


def judge_collector(collector: Collector, before: list[Message], builds_after: bool) -> Rule:
    """`judge` on what the collector got after `before` (then closed); a lost connection fails
    the rule (what its queue held is gone)."""
    try:
        after = collector.drain()[len(before):]
    except AMQPError as error:
        return Rule(RuleName.MESSAGE_SCHEMAS, False, f"the consumer lost the broker: {error!r}")
    finally:
        collector.close()
    return judge(before, after, builds_after)
