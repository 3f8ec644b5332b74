"""The backend's log lines that verdicts depend on, defined once.

copr-backend's log drain writes each component's records to /var/log/copr-backend/<component>.log;
the rehearsal's rules, the window's settling and the load test read them back. Every pattern here
has a unit test fed with the line exactly as copr-backend formats it
(tests/unit/harness/upgrade/test_backend_log.py), so a change of wording on one side fails a
test instead of silently passing a rule.
"""

from __future__ import annotations

import datetime
import re
from collections import Counter
from typing import TYPE_CHECKING

from harness.errors import InfraError

if TYPE_CHECKING:
    from harness.podman.engine import Engine

# The log drain's format: "[%(asctime)s][%(levelname)6s][PID:%(process)d][%(name)10s]
# [%(filename)s:%(funcName)s:%(lineno)d] %(message)s" (copr_backend/constants.py). The lines
# the rules read:
# - build_dispatcher.log, copr-common's Dispatcher: "getting builds from frontend" at each poll,
#   then, when the frontend refused or was too old, "Retrieving build jobs from <url> failed with
#   error: <why>" (copr_backend/daemons/build_dispatcher.py), e.g. "Copr FE/BE API is too old on
#   Frontend side, 9 < 10" (copr_backend/frontend.py: FRONTEND_TOO_OLD);
# - build_dispatcher.log, copr-common's WorkerManager: "Starting worker rpm_build_worker:<task>,
#   task.priority=<n>" when it hands a task to a worker;
# - worker.log, the build worker: "Re-try request for task on '<host>': Minimum version for builder
#   is <v>" when a builder's copr-rpmbuild is below MIN_BUILDER_VERSION (it retries, builds wait).
LOG_FILES = ("/var/log/copr-backend/build_dispatcher.log", "/var/log/copr-backend/worker.log")
_STAMP = r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3})\]"
STARTING = re.compile(_STAMP + r".*\] Starting worker rpm_build_worker:(\S+), task\.priority=",
                      re.MULTILINE)
FRONTEND_TOO_OLD = "Copr FE/BE API is too old on Frontend side"
# Any line: time stamp, level, PID, then the logger, place and message ("] " ends the place).
LINE = re.compile(_STAMP + r"\[\s*\w+\]\[PID:(\d+)\]\[[^]]*\]\[[^]]*\] (.*)$", re.MULTILINE)
POLL_MESSAGE = "getting builds from frontend"
POLL_FAILED_MESSAGE = re.compile(r"Retrieving build jobs from \S+ failed with error: ")
# The host's description quotes its tags: "ResallocHost, ..., requested_tags=['copr_builder']".
BUILDER_REFUSED = re.compile(r"Re-try request for task on '.*': "
                             r"(Minimum version for builder is \S+)$", re.MULTILINE)


def _when(stamp: str, millis: str) -> float:
    """A log time stamp (the containers run in UTC) as seconds since the epoch."""
    return datetime.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").replace(
        tzinfo=datetime.timezone.utc).timestamp() + int(millis) / 1000


def task_starts(log: str) -> list[tuple[float, str]]:
    """(time, task id) of every build task the build dispatcher handed to a worker."""
    return [(_when(stamp, millis), task) for stamp, millis, task in STARTING.findall(log)]


def _lines(log: str) -> list[tuple[float, str, str]]:
    """(time, PID, message) of every line of the log drain's format, in time order, each once:
    the container's output repeats the worker log's lines that its file holds too."""
    unique = dict.fromkeys(LINE.findall(log))
    return sorted(((_when(stamp, millis), pid, message) for stamp, millis, pid, message in unique),
                  key=lambda line: line[0])


def _by_process(log: str) -> dict[str, list[tuple[float, str]]]:
    """The lines of each process (by PID): (time, message), in time order."""
    by_process: dict[str, list[tuple[float, str]]] = {}
    for when, pid, message in _lines(log):
        by_process.setdefault(pid, []).append((when, message))
    return by_process


def polls(log: str) -> list[tuple[float, bool]]:
    """(when the frontend answered, whether its queue was taken) of every poll of the build
    dispatcher. A poll is its process's lines from "getting builds from frontend" to its
    next one; it failed if its failure line is among them. copr-common retries an unreachable
    frontend (up to 5 attempts, "Retry request #n on .../pending-jobs/"), so a poll begun
    while the frontend was down may be answered by the next frontend: the answer came before
    the first line after the poll's last request to pending-jobs."""
    polls = []
    for lines in _by_process(log).values():
        starts = [i for i, (_, message) in enumerate(lines) if message == POLL_MESSAGE]
        for number, first in enumerate(starts):
            segment = lines[first:starts[number + 1] if number + 1 < len(starts) else len(lines)]
            failed = any(POLL_FAILED_MESSAGE.match(m) for _, m in segment)
            asked = max(i for i, (_, m) in enumerate(segment) if i == 0 or "pending-jobs" in m)
            answered = segment[min(asked + 1, len(segment) - 1)][0]
            polls.append((answered, not failed))
    return sorted(polls)


def polls_since(log: str, since: float) -> list[tuple[float, str]]:
    """(when it began, PID) of each poll of the build dispatcher that began at `since`
    or later and ended: its process began another poll after it (the dispatcher polls again
    once it handled the answer, or the failure, of the last)."""
    found = []
    for pid, lines in _by_process(log).items():
        starts = [when for when, message in lines if message == POLL_MESSAGE]
        found += [(began, pid) for began in starts[:-1] if began >= since]
    return sorted(found)


# A build worker's exchanges with the frontend: it logs these, then posts (retrying an
# unreachable frontend until it answers; background_worker_build.py).
WORKER_EXCHANGES = ("Marking build as starting", "Sending build state back to frontend")


def worker_exchanges(log: str) -> list[tuple[float, float, str]]:
    """(when the frontend answered, when the worker process started, its PID) of each exchange
    of the build workers with the frontend. A worker runs the code installed when it
    started (workers outlive the dispatcher's restart); the answer came before the process's
    next line (an exchange without a next line gives no time and is left out)."""
    found = []
    for pid, lines in _by_process(log).items():
        for index, (_, message) in enumerate(lines[:-1]):
            if message.startswith(WORKER_EXCHANGES):
                found.append((lines[index + 1][0], lines[0][0], pid))
    return sorted(found)


def builder_refusals(log: str) -> list[str]:
    """Why the build workers refused builders (the version gate), in order."""
    return BUILDER_REFUSED.findall(log)


def waited_for_frontend(log: str) -> bool:
    """Whether the backend ever found the frontend's API too old and waited."""
    return FRONTEND_TOO_OLD in log


def started_counts(log: str) -> Counter[str]:
    """How often the backend started each task."""
    return Counter(task for _, task in task_starts(log))


def collect(engine: Engine, container: str) -> str:
    """The backend's log: its container's output and its log drain's files. Unreadable files are
    the harness's failure (InfraError), never an empty log that passes a rule."""
    text = engine.logs(container)
    files = " ".join(LOG_FILES)
    result = engine.exec(container, ["bash", "-c", f"cat {files}"])
    if not result.ok:
        raise InfraError(f"{container}: reading {files} failed: {result.output.strip()}")
    return text + "\n" + result.output
