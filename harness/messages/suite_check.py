"""The messages a suite's builds announced: consumed from the run's broker while the suite runs,
listed per build in messages.json (the report shows them) and checked: every message valid
against copr-messaging's schema, every chroot that started one build.end, and every build the
API lists as ended announced exactly upstream's messages, agreeing with the API."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from pika.exceptions import AMQPError

from copr.v3 import Client

from harness import progress, wait
from harness.gates.build_recorder import chroot_states
from harness.messages.bus import Collector, Message
from harness.messages.checks import ENDED, against_api, per_build
from harness.reports import build_times
from harness.stack import users

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


def expected_chroots(build: dict) -> list[str]:
    """The chroots whose start/end messages an ended build owes (upstream's worker announces each
    task it runs): its source build, then every chroot that ran to an end. A build whose source
    build failed has no package, and its chroots failed without running; a fork's copies
    ("forked") never ran."""
    if not (build.get("source_package") or {}).get("name"):
        return ["srpm-builds"] if build["state"] == "failed" else []
    ran = [chroot for chroot, state in build["chroot_states"].items() if state in ENDED]
    return ["srpm-builds", *ran] if ran else []


def finish(collector: Collector, folder: Path,
           builds: Callable[[], list[dict]] | None = None) -> list[str]:
    """Drain and close the collector, write `folder`/messages.json; the problems found.
    `builds`: the API's ended builds of the suite (`api_builds`), each checked by `against_api`."""
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
    checked = 0
    if builds is not None:
        try:
            ended = builds()
        except Exception as error:  # noqa: BLE001 - python-copr raises many kinds; all mean "not read"
            problems.append(f"could not read the suite's builds from the API: {error!r}")
            ended = []
        for build in ended:
            expected = expected_chroots(build)
            own = [m for m in messages if m.body.get("build") == build["id"]]
            if expected or own:
                checked += 1
                # The source build ended well if any chroot ran after it.
                source = "succeeded" if expected[1:] else build["state"]
                states = {"srpm-builds": source, **build["chroot_states"]}
                problems += against_api(own, build | {"chroot_states": states}, expected)
    (folder / FILE).write_text(json.dumps({"builds": listed, "problems": problems}, indent=2) + "\n")
    progress.say(f"{len(messages)} messages of {len(listed)} builds on the broker, {checked} builds "
                 "checked against the API; "
                 + (f"{len(problems)} problems: {problems[0]}" if problems else "all valid"))
    return problems


def api_builds(run_id: str, folder: Path, since: float) -> list[dict]:
    """The run's builds submitted at `since` or later that ended (succeeded or failed), as the
    API has them, each with its `chroot_states`: those still listed, and those the suite's
    deletes took, as `build_recorder` kept them in `folder` just before."""
    configs = users.configs(run_id)
    client = Client.create_from_config_file(str(configs[users.DEFAULT_USER]))
    found = {}
    for kept in build_times.deleted(folder):
        owner, project = kept["project"].split("/", 1)
        found[kept["id"]] = {"id": kept["id"], "ownername": owner, "projectname": project,
                             "state": kept["state"], "submitted_on": kept["submitted"],
                             "source_package": {"name": kept.get("package")},
                             "chroot_states": kept.get("chroot_states", {})}
    for listed in build_times.collect(run_id):
        if listed["state"] in ENDED:
            found[listed["id"]] = dict(client.build_proxy.get(listed["id"]))
            found[listed["id"]]["chroot_states"] = chroot_states(client.config, listed["id"])
    return [b for _, b in sorted(found.items())
            if b["state"] in ENDED and (b["submitted_on"] or 0) >= int(since)]


def load(folder: Path) -> dict | None:
    """What `finish` wrote there (None: the run had no broker)."""
    path = folder / FILE
    return json.loads(path.read_text()) if path.exists() else None
