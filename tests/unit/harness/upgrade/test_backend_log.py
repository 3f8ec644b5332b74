"""What the rehearsal and the load test read from the backend's log, fed with the lines the
backend writes: the messages come from the backend's own code where it can be called (its
logging format, too_old_message, the builder gate's refusal) and are copied verbatim from its
f-strings otherwise (worker.py's task events)."""

import datetime
import importlib
import logging

import pytest

from harness.bench import load
from harness.upgrade import backend_log
from harness.upgrade.backend_log import API_SEEN, RUNNING_ON, task_starts
# The backend's unit tests' conftest puts copr_backend (containers/backend/src) on sys.path.
from tests.unit.services.backend import conftest as backend_source  # noqa: F401


def backend(module: str):
    """`copr_backend.<module>` from the source tree."""
    return importlib.import_module(f"copr_backend.{module}")

LOG = """\
2026-11-21 06:06:40,000 INFO copr-backend.frontend: Copr FE/BE API is too old on Frontend side, 9 < 10
2026-11-21 06:06:43,073 INFO copr-backend.build: task 5: starting build 5 (srpm-builds) for alice/q, frontend FE/BE API 10
2026-11-21 06:06:43,645 INFO copr-backend.build: task 5: running on builder-1 (copr-rpmbuild 1.8)
2026-11-21 06:06:50,029 INFO copr-backend.build: task 4-fedora-44-x86_64: starting build 4 (fedora-44-x86_64) for alice/q, frontend FE/BE API 9
"""


def test_task_starts_have_time_task_and_api():
    starts = task_starts(LOG)
    assert [(task, api) for _, task, api in starts] == [("5", 10), ("4-fedora-44-x86_64", 9)]
    first = datetime.datetime(2026, 11, 21, 6, 6, 43, 73000, tzinfo=datetime.timezone.utc)
    assert abs(starts[0][0] - first.timestamp()) < 0.001


def test_api_seen_lines_carry_the_backends_own_minimum():
    log = "INFO copr-backend.frontend: Copr FE/BE API version on Frontend side: 10 (this backend needs >= 9)"
    assert API_SEEN.findall(log) == [("10", "9")]


def test_builder_lines_name_host_and_version():
    assert RUNNING_ON.findall(LOG) == [("5", "builder-1", "1.8")]


def produced(logger: str, message: str, level: int = logging.INFO,
             created: float = 1_795_000_000.25) -> str:
    """One line as the backend's log handler (copr_backend.logs.FORMAT) writes it, in UTC."""
    formatter = logging.Formatter(backend("logs").FORMAT)
    formatter.converter = lambda *args: datetime.datetime.fromtimestamp(
        created, datetime.timezone.utc).timetuple()
    record = logging.LogRecord(logger, level, "worker.py", 1, message, None, None)
    record.created, record.msecs = created, 250.0
    return formatter.format(record)


def task_event(task: str, message: str, created: float = 1_795_000_000.25) -> str:
    """A task's event line: TaskLog(log, f"task {task_id}:").event(message), worker.py."""
    return produced("copr-backend.build", f"task {task}: {message}", created=created)


def test_a_started_task_is_read_from_the_workers_line():
    # worker.py: f"starting build {job.build_id} ({job.chroot}) for {job.owner}/{job.dirname}, "
    #            f"frontend FE/BE API {self.ctx.frontend.api_seen}"
    line = task_event("7-fedora-44-x86_64", "starting build 7 (fedora-44-x86_64) for alice/q, "
                                            "frontend FE/BE API 10")
    [(when, task, api)] = task_starts(line + "\n")
    assert (task, api) == ("7-fedora-44-x86_64", 10)
    assert abs(when - 1_795_000_000.25) < 0.001
    assert backend_log.STARTED_TASK.findall(line) == ["7-fedora-44-x86_64"]


def test_the_builder_a_task_ran_on_is_read_from_the_workers_line():
    # worker.py: f"running on {host} (copr-rpmbuild {version})"
    line = task_event("7", "running on builder-2 (copr-rpmbuild 1.9)")
    assert backend_log.builders_used(line) == [("7", "builder-2", "1.9")]


def test_the_frontend_api_lines_are_read_from_the_backends_own_messages():
    frontend = backend("frontend")
    # frontend.py logs this with log.info(format, version, self.min_api) when the API changes.
    seen = produced("copr-backend.frontend",
                    "Copr FE/BE API version on Frontend side: %d (this backend needs >= %d)" % (11, 10))
    too_old = produced("copr-backend.frontend", frontend.too_old_message(9, 10), logging.WARNING)
    log = seen + "\n" + too_old + "\n"
    assert backend_log.api_changes(log) == [(11, 10)]
    assert backend_log.waited_for_frontend(log)
    assert not backend_log.waited_for_frontend(seen)


def test_a_builder_refused_by_the_version_gate_is_read_from_the_gates_reason():
    builders = backend("builders")

    class Remote:
        def run(self, host, command, timeout=60):
            return (0, "1.5\n", "") if command.startswith("rpm -q") else (0, "", "")

    reason, _ = builders.check_builder(Remote(), "builder-1", "1.6.1", "fedora-44-x86_64")
    # builders.py: say(f"builder {host} refused: {reason}")
    line = produced("copr-backend.builders", f"builder builder-1 refused: {reason}")
    assert backend_log.builder_refusals(line) == [
        "Minimum version for builder is 1.6.1 (builder-1 has 1.5)"]


def test_the_load_test_counts_starts_with_the_same_patterns():
    line = task_event("7", "starting build 7 (srpm-builds) for alice/q, frontend FE/BE API 9")
    assert load.backend_log.started_counts(line + "\n") == {"7": 1}



# -- upstream's copr-backend 2.11 ------------------------------------------------------------
# Its log drain's format (copr_backend/constants.py, default_log_format).
UPSTREAM_FORMAT = ("[%(asctime)s][%(levelname)6s][PID:%(process)d][%(name)10s]"
                   "[%(filename)s:%(funcName)s:%(lineno)d] %(message)s")


def upstream(message: str, *args, created: float = 1_795_000_000.25, level: int = logging.INFO,
             filename: str = "dispatcher.py", pid: int = 4242) -> str:
    """One line as 2.11's log drain writes it (logger.info(message, *args)), in UTC."""
    formatter = logging.Formatter(UPSTREAM_FORMAT)
    formatter.converter = lambda *a: datetime.datetime.fromtimestamp(
        created, datetime.timezone.utc).timetuple()
    record = logging.LogRecord("root", level, filename, 1, message, args, None)
    record.created, record.msecs, record.process = created, (created % 1) * 1000, pid
    return formatter.format(record)


def test_upstreams_task_starts_come_from_the_worker_managers_line():
    # copr_common/worker_manager.py: log.info("Starting worker %s, task.priority=%s", worker_id, ...)
    # with worker_id "rpm_build_worker:<task id>" (copr_backend/rpm_builds.py: worker_prefix).
    log = "\n".join([upstream("Starting worker %s, task.priority=%s", "rpm_build_worker:7", 1),
                     upstream("Starting worker %s, task.priority=%s",
                              "rpm_build_worker:7-fedora-44-x86_64", 2, created=1_795_000_002.5)])
    assert backend_log.upstream_task_starts(log) == [(1_795_000_000.25, "7"),
                                                     (1_795_000_002.5, "7-fedora-44-x86_64")]
    assert backend_log.task_starts(log) == []  # not the stand-in's line


def test_upstreams_polls_are_taken_unless_their_failure_follows():
    # copr_common/dispatcher.py: log.info("getting %ss from frontend", task_type) at each poll;
    # build_dispatcher.py: log.exception("Retrieving build jobs from %s failed with error: %s", ...)
    too_old = "Copr FE/BE API is too old on Frontend side, %s < %s" % (9, 10)
    log = "\n".join([
        upstream("getting %ss from frontend", "build", created=100.0),
        upstream("Retrieving build jobs from %s failed with error: %s", "http://frontend:5000",
                 too_old, level=logging.ERROR, created=100.1),
        "Traceback (most recent call last):",
        upstream("getting %ss from frontend", "build", created=101.0),
        upstream("Got new '%s' tasks: %s", "build", {"7"}, created=101.1),
        upstream("getting %ss from frontend", "build", created=102.0),
    ])
    # Each counts when the frontend answered: before the poll's next line.
    assert backend_log.upstream_polls(log) == [(pytest.approx(100.1, abs=0.002), False),
                                               (pytest.approx(101.1, abs=0.002), True),
                                               (102.0, True)]
    assert backend_log.waited_for_frontend(log)


def test_upstreams_builder_gate_is_read_from_the_workers_retry():
    # background_worker_build.py: BuildRetry("Minimum version for builder is {}"), then
    # log.error("Re-try request for task on '%s': %s", self.host.info, str(exc)).
    line = upstream("Re-try request for task on '%s': %s",
                    "ResallocHost, ticket_id=3, hostname=builder-1, name=builder-1, "
                    "requested_tags=['copr_builder', 'arch_x86_64']",
                    "Minimum version for builder is 1.9", filename="background_worker_build.py")
    assert backend_log.upstream_builder_refusals(line) == ["Minimum version for builder is 1.9"]


def test_upstreams_starts_are_counted_beside_the_stand_ins():
    log = "\n".join([upstream("Starting worker %s, task.priority=%s", "rpm_build_worker:7", 1),
                     upstream("Starting worker %s, task.priority=%s", "rpm_build_worker:7", 1),
                     task_event("8", "starting build 8 (srpm-builds) for a/q, frontend FE/BE API 9")])
    assert backend_log.started_counts(log) == {"7": 2, "8": 1}


def test_a_poll_retried_while_the_frontend_was_down_counts_when_it_was_answered():
    """copr_common/request.py retries ("Retry request #%s on %s: %s", then sleeps 5, 10, ...s);
    frontend.py logs "Sending %s request to frontend URL - %s" before each attempt. The answer
    came before the next line of the dispatcher's process; another process's lines between
    (a worker's) do not count."""
    url = "http://frontend:5000/backend/pending-jobs/"
    log = "\n".join([
        upstream("getting %ss from frontend", "build", created=100.0),
        upstream("Sending %s request to frontend URL - %s", "GET", url, created=100.0),
        upstream("Retry request #%s on %s: %s", 1, url, "Connection refused", created=100.2,
                 level=logging.WARNING),
        upstream("Finished build: id=%s", 3, created=101.0, pid=99),
        upstream("Got new '%s' tasks: %s", "build", {"7"}, created=105.3),
        upstream("getting %ss from frontend", "build", created=107.0),
        upstream("getting %ss from frontend", "build", created=108.0, pid=4343),
    ])
    assert backend_log.upstream_polls(log) == [(pytest.approx(105.3, abs=0.002), True), (107.0, True),
                                               (108.0, True)]


def test_a_workers_exchanges_are_answered_at_its_next_line_and_read_once():
    """The container's output repeats the worker log's lines: each counts once."""
    lines = [upstream("Marking build as starting", created=10.0, pid=7),
             upstream("Checking for cancel request", created=15.5, pid=7),
             upstream("Sending build state back to frontend: %s", {"status": 1}, created=20.0, pid=7),
             upstream("getting %ss from frontend", "build", created=16.0, pid=3)]
    log = "\n".join(lines) + "\n" + "\n".join(lines[:2])
    assert backend_log.upstream_worker_exchanges(log) == [(pytest.approx(15.5, abs=0.002), 10.0, "7")]


def test_a_poll_since_a_moment_counts_once_its_process_began_the_next():
    """What the window's settling waits for: a poll begun at or after the step came ready, and
    ended (its dispatcher began another: it polls again once it handled the answer)."""
    url = "http://frontend:5000/backend/pending-jobs/"
    log = "\n".join([
        upstream("getting %ss from frontend", "build", created=99.0),  # begun before: no
        upstream("getting %ss from frontend", "build", created=100.5),
        upstream("Sending %s request to frontend URL - %s", "GET", url, created=100.5),
        upstream("getting %ss from frontend", "build", created=101.5, pid=77),  # not ended
    ])
    assert backend_log.polls_since(log, 100.0) == []
    log += "\n" + upstream("getting %ss from frontend", "build", created=101.6)
    assert backend_log.polls_since(log, 100.0) == [(pytest.approx(100.5, abs=0.002), "4242")]
