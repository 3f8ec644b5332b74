"""What the rehearsal reads from the backend's log to judge the FE-BE API rules."""

import datetime

from harness.upgrade.rehearse import API_SEEN, RUNNING_ON, task_starts

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
