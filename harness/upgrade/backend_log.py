"""The backend's log lines that verdicts depend on, defined once.

The mock backend (containers/backend/src/copr_backend) writes each of these; the rehearsal's rules
and the load test read them back. Every pattern here has a unit test fed with the line exactly as
the producer formats it (tests/unit/harness/upgrade/test_backend_log.py), so a change of wording on
one side fails a test instead of silently passing a rule.

Producers (logging format "%(asctime)s %(levelname)s %(name)s: %(message)s", logs.py):
- worker.py, a task's event: "task <id>: starting build <build> (<chroot>) for <owner>/<project>,
  frontend FE/BE API <n>" and "task <id>: running on <host> (copr-rpmbuild <version>)";
- frontend.py: "Copr FE/BE API version on Frontend side: <n> (this backend needs >= <m>)" when the
  frontend's API changes, and "Copr FE/BE API is too old on Frontend side, <n> < <m>" while it is
  older than the backend needs;
- builders.py: "builder <host> refused: Minimum version for builder is <min> (<host> has <v>)".
"""

from __future__ import annotations

import datetime
import re

# A task started: when (the logging time stamp), which task, the frontend API the backend saw.
STARTING = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) .*task (\S+): starting build .*"
                      r"frontend FE/BE API (\d+)", re.MULTILINE)
# Only which task started (the load test counts starts per task).
STARTED_TASK = re.compile(r"\btask (\S+): starting build\b")
RUNNING_ON = re.compile(r"task (\S+): running on (\S+) \(copr-rpmbuild ([^)]+)\)")
# The backend logs the frontend's FE-BE API whenever it changes, with its own minimum.
API_SEEN = re.compile(r"FE/BE API version on Frontend side: (\d+) \(this backend needs >= (\d+)\)")
FRONTEND_TOO_OLD = "Copr FE/BE API is too old on Frontend side"
BUILDER_REFUSED = re.compile(r"refused: (Minimum version for builder is [^\n]+)")


def task_starts(backend_log: str) -> list[tuple[float, str, int]]:
    """(time, task id, FE-BE API the backend saw) of every task the backend started."""
    found = []
    for stamp, millis, task, api in STARTING.findall(backend_log):
        when = datetime.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").replace(
            tzinfo=datetime.timezone.utc).timestamp() + int(millis) / 1000
        found.append((when, task, int(api)))
    return found


def api_changes(backend_log: str) -> list[tuple[int, int]]:
    """(frontend API seen, the backend's minimum) each time the frontend's API changed."""
    return [(int(seen), int(own)) for seen, own in API_SEEN.findall(backend_log)]


def builders_used(backend_log: str) -> list[tuple[str, str, str]]:
    """(task, builder host, its copr-rpmbuild version) of every task that ran on a builder."""
    return RUNNING_ON.findall(backend_log)


def waited_for_frontend(backend_log: str) -> bool:
    """Whether the backend ever found the frontend's API too old and waited."""
    return FRONTEND_TOO_OLD in backend_log


def builder_refusals(backend_log: str) -> list[str]:
    """Why builders were refused by the version gate, in order."""
    return BUILDER_REFUSED.findall(backend_log)
