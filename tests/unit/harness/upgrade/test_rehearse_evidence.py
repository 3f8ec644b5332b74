"""What the rehearsal reads besides its window: copr-backend's log files beside the container's
output, and each build's builder from the builder's live log."""

from __future__ import annotations

import pytest

from harness.errors import InfraError
from harness.podman.engine import ExecResult
from harness.upgrade import backend_log, rehearse
from tests.support.fake_engine import FakeEngine

# The first lines of a live log as the builder writes them (containers/builder/src/copr_rpmbuild/
# main.py: f"copr-rpmbuild version {VERSION} (...)", then f"Task {task.task_id} ({KIND} build of
# {owner}/{project}, chroot {chroot})").
LIVE = ("copr-rpmbuild version 1.9 (copr-harness mock builder: rpmbuild, no mock)\n"
        "Command: /usr/bin/copr-rpmbuild --verbose --drop-resultdir --task-url x --chroot c\n"
        "Task 7-fedora-44-x86_64 (RPM build of alice/q, chroot fedora-44-x86_64)\n")


def test_a_live_log_names_its_task_and_builder_version():
    assert rehearse.live_log_builder(LIVE) == ("7-fedora-44-x86_64", "1.9")
    assert rehearse.live_log_builder("Task 7 (SRPM build of alice/q)\n") is None


def test_the_backends_log_files_are_read_beside_the_containers_output():
    engine = FakeEngine()
    engine.logs_text["r1-backend"] = "container output\n"
    engine.answer("cat /var/log/copr-backend/build_dispatcher.log /var/log/copr-backend/worker.log",
                  ExecResult(0, "dispatcher\n"))
    assert backend_log.collect(engine, "r1-backend") == "container output\n\ndispatcher\n"


def test_unreadable_log_files_are_the_harnesss_failure_not_a_verdict():
    engine = FakeEngine()
    engine.answer("cat /var/log/copr-backend", ExecResult(1, "cat: No such file or directory"))
    with pytest.raises(InfraError, match="r1-backend: reading"):
        backend_log.collect(engine, "r1-backend")
