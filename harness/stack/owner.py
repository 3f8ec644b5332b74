"""Which process owns a run, and whether it is still alive (for `gc`)."""

from __future__ import annotations

import os
from pathlib import Path


def _start_ticks(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 22 (start time); the command name in field 2 may hold spaces, so split after ')'.
    return stat.rsplit(")", 1)[1].split()[19]


def token(pid: int | None = None) -> str:
    """`<pid>:<start time>` of a process: unique even when pids are reused."""
    pid = pid or os.getpid()
    return f"{pid}:{_start_ticks(pid)}"


def alive(owner: str) -> bool:
    """Whether the process an owner token names is still running."""
    pid, _, ticks = owner.partition(":")
    if not pid.isdigit():
        return False
    return _start_ticks(int(pid)) == ticks
