"""The helper commands the backend runs over SSH (upstream: rpmbuild/bin/).

copr-rpmbuild-log follows the live log of a detached build, copr-rpmbuild-cancel stops it,
copr-builder-ready says whether this builder can take a task for a chroot.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import time
from pathlib import Path

from .config import DEFAULT_CONFIG, Config, load_config
from .errors import TaskError
from .helpers import split_chroot


# How often the live log's follower checks that the build's logger is still there: the backend
# downloads the results only once it ends, so each check saved is a builder idle for less.
LOGGER_CHECK_SECONDS = 0.1


def tail_command(config: Config, pid: str) -> list[str]:
    """The `tail` that prints the whole live log and ends once the logger `pid` is gone."""
    return ["tail", "-F", "-n", "+0", "-s", str(LOGGER_CHECK_SECONDS), f"--pid={pid}",
            str(config.logfile)]


def tail_log(config: Config, wait: float = 120.0) -> int:
    """copr-rpmbuild-log: print the live log, following it until the background build ends."""
    deadline = time.monotonic() + wait
    while not (config.logger_pidfile.is_file() and config.logfile.is_file()):
        if time.monotonic() > deadline:
            print("Unable to wait for copr-rpmbuild process, exit.")
            return 1
        time.sleep(0.1)
    pid = config.logger_pidfile.read_text().strip()
    os.execv("/usr/bin/tail", tail_command(config, pid))
    return 1  # not reached


def session_members(sid: int) -> list[int]:
    """The processes of a session (a detached copr-rpmbuild and every build it started)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the parenthesised command: state, ppid, pgrp, session, ...
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[3]) == sid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def cancel(config: Config, patience: float = 30.0) -> int:
    """copr-rpmbuild-cancel: interrupt the background build, kill what is left after `patience`."""
    try:
        sid = int(config.pidfile.read_text().strip())
    except (OSError, ValueError):
        print(f"no background build: {config.pidfile} is missing or empty")
        return 0
    if not session_members(sid):
        print(f"PID {sid} not found")
        return 0
    # copr-rpmbuild passes the INT on to the build's own process group and records the cancel.
    try:
        os.killpg(sid, signal.SIGINT)
    except OSError:
        pass
    deadline = time.monotonic() + patience
    while members := session_members(sid):
        if time.monotonic() > deadline:
            for pid in members:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        time.sleep(0.2)
    print("success")
    return 0


def builder_ready(chroot: str) -> int:
    """copr-builder-ready: can this builder take a task for `chroot`?"""
    if chroot != "srpm-builds":
        try:
            split_chroot(chroot)
        except TaskError as error:
            print(error)
            return 1
    for tool in ("rpmbuild", "rpmspec", "git"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed")
            return 1
    return 0


def log_main() -> int:
    """Entry point of copr-rpmbuild-log."""
    return tail_log(load_config(DEFAULT_CONFIG))


def cancel_main() -> int:
    """Entry point of copr-rpmbuild-cancel."""
    return cancel(load_config(DEFAULT_CONFIG))


def ready_main() -> int:
    """Entry point of copr-builder-ready [chroot]."""
    return builder_ready(sys.argv[1] if len(sys.argv) > 1 else "srpm-builds")
