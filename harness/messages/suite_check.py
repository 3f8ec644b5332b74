"""The messages a suite's builds announced: consumed from the run's broker while the suite runs,
listed per build in messages.json (the report shows them) and checked: every message valid
against copr-messaging's schema, every chroot that started one build.end."""

from __future__ import annotations

import json
from pathlib import Path

from pika.exceptions import AMQPError

from harness import progress, wait
from harness.messages.bus import Collector, Message
from harness.messages.checks import per_build

FILE = "messages.json"
SETTLE_SECONDS = 30  # for the last build.end after the suite's last test


def unended(listed: dict[str, list[dict]]) -> list[str]:
    """Build chroots announced started whose build.end never came (or came more than once)."""
    found = []
    for build, messages in listed.items():
        for chroot in sorted({m["chroot"] for m in messages if m["topic"] == "copr.build.start"}):
            ends = sum(1 for m in messages if m["topic"] == "copr.build.end" and m["chroot"] == chroot)
            if ends != 1:
                found.append(f"build {build} chroot {chroot}: {ends} copr.build.end messages, not 1")
    return found


def _settled(collector: Collector) -> list[Message]:
    """Every message, once each started chroot's build.end is in: a worker announces the end
    after it reported the build to the frontend, so the suite may finish first."""

    def ended() -> list[Message]:
        missing = unended(per_build(collector.drain()))
        if missing:
            raise wait.NotYet(missing[0])
        return collector.seen

    try:
        return wait.until(ended, what="the build.end messages of the suite's started chroots",
                          timeout=SETTLE_SECONDS)
    except wait.WaitTimeout:
        return collector.seen  # what is still missing is reported as a problem


def finish(collector: Collector, folder: Path) -> list[str]:
    """Drain and close the collector, write `folder`/messages.json; the problems found."""
    try:
        messages = _settled(collector)
    except AMQPError as error:  # the queue went with the connection: what it held is lost
        messages, lost = collector.seen, [f"the connection to the broker was lost: {error!r}"]
    else:
        lost = []
    finally:
        collector.close()
    listed = per_build(messages)
    problems = lost + [m["violation"] for ms in listed.values() for m in ms if m["violation"]]
    problems += unended(listed)
    (folder / FILE).write_text(json.dumps({"builds": listed, "problems": problems}, indent=2) + "\n")
    progress.say(f"{len(messages)} messages of {len(listed)} builds on the broker; "
                 + (f"{len(problems)} problems: {problems[0]}" if problems else "all valid"))
    return problems


def load(folder: Path) -> dict | None:
    """What `finish` wrote there (None: the run had no broker)."""
    path = folder / FILE
    return json.loads(path.read_text()) if path.exists() else None
