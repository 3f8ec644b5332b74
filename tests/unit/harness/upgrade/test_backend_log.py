"""What the rehearsal, the window and the load test read from copr-backend's log, fed with lines
formatted as copr-backend's log drain writes them (its logging format, the messages copied
verbatim from its code, cited beside each test)."""

import datetime
import logging

import pytest

from harness.bench import load
from harness.upgrade import backend_log

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


def test_task_starts_come_from_the_worker_managers_line():
    # copr_common/worker_manager.py: log.info("Starting worker %s, task.priority=%s", worker_id, ...)
    # with worker_id "rpm_build_worker:<task id>" (copr_backend/rpm_builds.py: worker_prefix).
    log = "\n".join([upstream("Starting worker %s, task.priority=%s", "rpm_build_worker:7", 1),
                     upstream("Starting worker %s, task.priority=%s",
                              "rpm_build_worker:7-fedora-44-x86_64", 2, created=1_795_000_002.5)])
    assert backend_log.task_starts(log) == [(1_795_000_000.25, "7"),
                                                     (1_795_000_002.5, "7-fedora-44-x86_64")]


def test_polls_are_taken_unless_their_failure_follows():
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
    assert backend_log.polls(log) == [(pytest.approx(100.1, abs=0.002), False),
                                               (pytest.approx(101.1, abs=0.002), True),
                                               (102.0, True)]
    assert backend_log.waited_for_frontend(log)


def test_builder_gate_is_read_from_the_workers_retry():
    # background_worker_build.py: BuildRetry("Minimum version for builder is {}"), then
    # log.error("Re-try request for task on '%s': %s", self.host.info, str(exc)).
    line = upstream("Re-try request for task on '%s': %s",
                    "ResallocHost, ticket_id=3, hostname=builder-1, name=builder-1, "
                    "requested_tags=['copr_builder', 'arch_x86_64']",
                    "Minimum version for builder is 1.9", filename="background_worker_build.py")
    assert backend_log.builder_refusals(line) == ["Minimum version for builder is 1.9"]


def test_the_load_test_counts_each_tasks_starts():
    log = "\n".join([upstream("Starting worker %s, task.priority=%s", "rpm_build_worker:7", 1),
                     upstream("Starting worker %s, task.priority=%s", "rpm_build_worker:7", 1),
                     upstream("Starting worker %s, task.priority=%s",
                              "rpm_build_worker:8-fedora-44-x86_64", 2),
                     upstream("getting %ss from frontend", "build")])
    assert load.backend_log.started_counts(log) == {"7": 2, "8-fedora-44-x86_64": 1}


def test_only_a_too_old_frontend_is_a_wait():
    # frontend.py: FRONTEND_TOO_OLD.format(...) in the dispatcher's failure line.
    refused = upstream("Retrieving build jobs from %s failed with error: %s", "http://frontend:5000",
                       "Copr FE/BE API is too old on Frontend side, 9 < 10", level=logging.ERROR)
    down = upstream("Retrieving build jobs from %s failed with error: %s", "http://frontend:5000",
                    "Connection refused", level=logging.ERROR)
    assert backend_log.waited_for_frontend(refused)
    assert not backend_log.waited_for_frontend(down)


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
    assert backend_log.polls(log) == [(pytest.approx(105.3, abs=0.002), True), (107.0, True),
                                               (108.0, True)]


def test_a_workers_exchanges_are_answered_at_its_next_line_and_read_once():
    """The container's output repeats the worker log's lines: each counts once."""
    lines = [upstream("Marking build as starting", created=10.0, pid=7),
             upstream("Checking for cancel request", created=15.5, pid=7),
             upstream("Sending build state back to frontend: %s", {"status": 1}, created=20.0, pid=7),
             upstream("getting %ss from frontend", "build", created=16.0, pid=3)]
    log = "\n".join(lines) + "\n" + "\n".join(lines[:2])
    assert backend_log.worker_exchanges(log) == [(pytest.approx(15.5, abs=0.002), 10.0, "7")]


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
