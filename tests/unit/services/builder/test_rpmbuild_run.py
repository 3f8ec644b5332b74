"""copr-rpmbuild (containers/builder/src/copr_rpmbuild): timeouts and cancels of a build (local processes)."""

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from copr_rpmbuild.errors import BuildError, Canceled
from copr_rpmbuild.process import LiveLog, TIMEOUT_LINE, _Current, _on_cancel, run


@pytest.fixture
def log(tmp_path: Path):
    live = LiveLog(tmp_path / "main.log", echo=None)
    yield live
    live.close()


def test_output_goes_to_the_live_log(log: LiveLog) -> None:
    assert run(["sh", "-c", "echo out; echo err >&2; exit 3"], log) == 3
    lines = log.path.read_text().splitlines()
    assert lines[0].startswith("Running: sh -c")
    assert lines[1:] == ["out", "err"]


def test_timeout_interrupts_the_whole_group_once(log: LiveLog) -> None:
    start = time.monotonic()
    with pytest.raises(BuildError, match="timed out after 0.5 s"):
        # The grandchild sleep is in the group too; a SIGINT ends both.
        run(["sh", "-c", "sleep 30; echo never"], log, timeout=0.5, grace=5)
    assert time.monotonic() - start < 4
    lines = log.path.read_text().splitlines()
    assert lines[1:] == [TIMEOUT_LINE]  # nothing ran after the interrupt, no KILL was needed


def test_timeout_kills_what_ignores_the_interrupt(log: LiveLog) -> None:
    start = time.monotonic()
    with pytest.raises(BuildError, match="timed out"):
        run(["sh", "-c", "trap '' INT; sleep 30"], log, timeout=0.3, grace=0.5)
    assert time.monotonic() - start < 4
    lines = log.path.read_text().splitlines()
    assert lines.count(TIMEOUT_LINE) == 1
    assert lines.count("Copr timeout => sending KILL") == 1


def test_cancel_signal_stops_the_build(log: LiveLog, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_Current, "canceled", False)
    previous = signal.signal(signal.SIGTERM, _on_cancel)
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGTERM))
    try:
        timer.start()
        start = time.monotonic()
        with pytest.raises(Canceled):
            run(["sh", "-c", "trap '' INT; sleep 30"], log, timeout=60, grace=0.5)
        assert time.monotonic() - start < 4
    finally:
        timer.cancel()
        signal.signal(signal.SIGTERM, previous)
    lines = log.path.read_text().splitlines()
    assert TIMEOUT_LINE not in lines
    assert lines[-1] == "Copr cancel => sending KILL"


class _GoneTerminal:
    """stdout of an SSH session that has closed."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


def test_live_log_outlives_a_closed_terminal(tmp_path: Path) -> None:
    live = LiveLog(tmp_path / "main.log", echo=_GoneTerminal())  # type: ignore[arg-type]
    live.write("first")
    live.write("second\n")
    live.close()
    assert (tmp_path / "main.log").read_text() == "first\nsecond\n"
