"""harness.interrupts: SIGINT/SIGTERM become Interrupted, deferred in critical sections,
repeats ignored once stopping; the pytest subprocess group is stopped as a whole."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import cli, errors, interrupts, processes


@pytest.fixture(autouse=True)
def installed() -> Iterator[None]:
    previous = {signum: signal.getsignal(signum) for signum in interrupts.SIGNALS}
    interrupts.install()
    yield
    interrupts.reset()
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def send(signum: int) -> None:
    """Deliver a signal to this process; Python runs its handler before the next bytecode."""
    os.kill(os.getpid(), signum)
    signal.pthread_sigmask(signal.SIG_BLOCK, [])  # a C call: the pending handler runs now at latest


@pytest.mark.parametrize("signum", interrupts.SIGNALS)
def test_a_signal_raises_interrupted_naming_it(signum):
    with pytest.raises(interrupts.Interrupted, match=signal.Signals(signum).name) as raised:
        send(signum)
    assert isinstance(raised.value, KeyboardInterrupt)  # no `except Exception` swallows it
    assert raised.value.exit_code == 130


def test_a_signal_inside_a_deferred_section_is_raised_when_it_ends():
    done = []
    with pytest.raises(interrupts.Interrupted, match="SIGTERM"):
        with interrupts.deferred():
            send(signal.SIGTERM)
            done.append("rest of the section")
        done.append("after the section")
    assert done == ["rest of the section"]


def test_nested_sections_raise_only_when_the_outermost_ends():
    done = []
    with pytest.raises(interrupts.Interrupted):
        with interrupts.deferred():
            with interrupts.deferred():
                send(signal.SIGINT)
            done.append("outer section goes on")
    assert done == ["outer section goes on"]


def test_repeats_are_ignored_once_stopping(capsys):
    with pytest.raises(interrupts.Interrupted):
        send(signal.SIGINT)
    done = []
    for _ in range(3):  # a teardown after the first Ctrl-C: more Ctrl-Cs must not cut it short
        send(signal.SIGINT)
        done.append("teardown step")
    assert done == ["teardown step"] * 3
    assert "already stopping" in capsys.readouterr().err


def test_a_section_ended_by_another_error_still_reports_the_interrupt():
    with pytest.raises(interrupts.Interrupted) as raised:
        with interrupts.deferred():
            send(signal.SIGTERM)
            raise RuntimeError("the create failed too")
    assert isinstance(raised.value.__cause__, RuntimeError)


def test_a_section_without_signal_raises_nothing():
    with interrupts.deferred():
        pass
    with pytest.raises(ValueError):
        with interrupts.deferred():
            raise ValueError("its own error passes through")


def test_sections_in_other_threads_do_not_defer_the_main_thread():
    entered, release = threading.Event(), threading.Event()

    def worker() -> None:
        with interrupts.deferred():
            entered.set()
            release.wait(10)

    thread = threading.Thread(target=worker)
    thread.start()
    entered.wait(10)
    try:
        with pytest.raises(interrupts.Interrupted):
            send(signal.SIGINT)
    finally:
        release.set()
        thread.join()


def test_die_with_parent_sets_the_parent_death_signal(tmp_path: Path):
    # /proc does not show PDEATHSIG; the child reads it back with prctl(PR_GET_PDEATHSIG).
    code = ("import ctypes; v = ctypes.c_int(); "
            "ctypes.CDLL(None).prctl(2, ctypes.byref(v)); print(v.value)")
    out = subprocess.run([sys.executable, "-c", code], preexec_fn=interrupts.die_with_parent,
                         capture_output=True, text=True, check=True).stdout
    assert int(out) == signal.SIGTERM


def test_stop_group_stops_the_leader_and_its_children():
    # A leader that ignores SIGTERM (as a busy pytest might not die at once) with a child.
    script = ("import signal, subprocess, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
              "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']); "
              "print(child.pid, flush=True); time.sleep(600)")
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                               start_new_session=True)
    child = int(process.stdout.readline())
    processes.stop_group(process, grace=1)
    assert process.returncode == -signal.SIGKILL
    assert processes.group_members(process.pid) == []
    state = Path(f"/proc/{child}/stat")
    assert not state.exists() or state.read_text().rsplit(")", 1)[1].split()[0] == "Z"


# -- the CLI's exit codes --------------------------------------------------------------------


def _raising(error: BaseException):
    def command(args) -> int:
        """A command that fails the given way."""
        raise error
    return command


@pytest.mark.parametrize("error, code", [
    (interrupts.Interrupted("interrupted by SIGTERM"), 130),
    (KeyboardInterrupt(), 130),
    (errors.InputError("scenarios/x.yaml: candidate: no such field"), 2),
    (errors.InputError("run id 'X' is not valid"), 2),
    (ValueError("invalid literal for int() with base 10: 'x'"), 3),  # a bug, not bad usage
    (errors.InfraError("Podman is not installed"), 3),
    (errors.PackageError("rpm -Uvh refused"), 1),
    (RuntimeError("an unforeseen error"), 3),
], ids=["Interrupted", "KeyboardInterrupt", "InputError", "bad run id", "ValueError", "InfraError",
        "PackageError", "unexpected"])
def test_cli_exit_codes(monkeypatch, capsys, error, code):
    monkeypatch.setattr(cli.gates, "cmd_plan", _raising(error))
    assert cli.main(["plan", "scenarios/release-good.yaml"]) == code
    if code == 130:
        assert "interrupted" in capsys.readouterr().err


def test_cli_bad_usage_exits_2():
    with pytest.raises(SystemExit) as exited:
        cli.main(["no-such-command"])
    assert exited.value.code == 2
