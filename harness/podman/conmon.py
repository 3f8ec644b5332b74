"""The `conmon` processes Podman leaves after an API exec, found and ended.

Podman's API keeps an exec session for `exit_command_delay` seconds after its command ended
(300 by default, so a Docker client can still inspect the exit code): the session's two conmon
processes (`conmon ... --exec-attach ... --exit-delay 300`) sleep that long before their clean-up
command runs. The harness's own service is configured with a short delay (quirks), and `down`
ends (SIGKILL) what is left of its removed containers' sessions at once (a service the harness did not start
keeps its own delay)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from harness import wait

PROC = Path("/proc")


def exec_conmons(container_ids: set[str], proc: Path = PROC) -> list[int]:
    """The pids of live `conmon --exec-attach` processes that watch one of these containers
    (`-c <full container id>` on their command line)."""
    found = []
    for cmdline in proc.glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue  # gone meanwhile
        if not args or os.path.basename(args[0]) != b"conmon" or b"--exec-attach" not in args:
            continue
        watched = {value.decode(errors="replace") for flag, value in zip(args, args[1:]) if flag == b"-c"}
        if watched & container_ids and not _zombie(cmdline.parent):
            found.append(int(cmdline.parent.name))
    return found


def end_exec_conmons(container_ids: set[str], timeout: float = 10) -> list[int]:
    """End the exec conmons of these (removed) containers; return the pids it signalled.
    SIGKILL: a conmon sleeping out its exit delay does not end on SIGTERM (seen with Podman 4.3),
    and the clean-up it would run after the delay has nothing left to clean once the container
    is removed."""
    pids = exec_conmons(container_ids)
    for pid in pids:
        _signal(pid, signal.SIGKILL)

    def gone() -> None:
        left = exec_conmons(container_ids)
        if left:
            raise wait.NotYet(f"still running: {left}")

    if pids:
        wait.until(gone, what="exec conmon processes to end after SIGKILL", timeout=timeout)
    return pids


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _zombie(proc: Path) -> bool:
    try:
        return (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True
