"""Stopping a child process together with its whole process group (pytest and its xdist workers)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from harness import interrupts, wait


def stop_group(process: subprocess.Popen, grace: float = 30) -> None:
    """Stop a process and everything in its process group: SIGTERM, then SIGKILL after `grace`."""
    with interrupts.deferred():
        _signal_group(process.pid, signal.SIGTERM)
        try:
            wait.until(lambda: _group_gone(process), what=f"process group {process.pid} to exit",
                       timeout=grace)
        except wait.WaitTimeout:
            _signal_group(process.pid, signal.SIGKILL)
            wait.until(lambda: _group_gone(process),
                       what=f"process group {process.pid} to exit after SIGKILL", timeout=grace)
        process.wait()


def group_members(pgid: int) -> list[int]:
    """The live (not zombie) processes of a process group, from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        pass


def _group_gone(process: subprocess.Popen) -> None:
    process.poll()  # reap the leader
    # Orphaned members turn into zombies their new parent reaps when it will: those count as gone.
    members = group_members(process.pid)
    if members:
        raise wait.NotYet(f"process group {process.pid} still has processes {members}")


def drop_stdout() -> None:
    """Point stdout at /dev/null: the interpreter's last flush must not fail on a closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is no file descriptor (a test's capture)
        pass
    finally:
        os.close(devnull)
