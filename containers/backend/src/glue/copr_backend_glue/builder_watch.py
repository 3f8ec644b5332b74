"""The allocator's watch over its builders and tickets, what resalloc and production's tools do
around the real backend:

- resalloc checks that its machines are alive; a dead one is handed to no ticket and the ticket
  holding it fails. Here: a builder whose sshd stops answering (killed, its address gone).
- A build worker killed mid-build never closes its ticket. Production lists such tickets with
  copr-backend-unknown-resalloc-tickets: the open tickets that no copr-backend-process-build
  names in its process title (2.11's worker puts `ticket_id=N` there once it has a ticket). Here
  a ticket is the worker's from the moment a process names it until that process ends (2.11's
  title drops the id while it cancels a build, ticket still open); a ticket that no process
  ever named, or whose process ended, is closed once older than a grace period.
- resalloc deletes the machine of a closed ticket, leftovers and all. The builders here are not
  recreated, so the dead worker's leftover build is ended (copr-rpmbuild-cancel) before the
  builder serves another ticket.
"""

from __future__ import annotations

import logging
import re
import socket
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

from .allocator import Pool

log = logging.getLogger("copr-backend-allocator")

# A ticket younger than this is not closed: its worker takes it a moment before naming it.
GRACE = 20.0
# Rounds of the watch; a builder is dead after this many failed checks in a row.
PERIOD = 2.0
FAILED_CHECKS = 2
SSH_PORT = 22
CHECK_TIMEOUT = 3.0
# copr-rpmbuild-cancel waits up to 30 s for the build to end before it kills it.
CANCEL_TIMEOUT = 90
SSH_CONFIG = Path("/var/lib/copr/.ssh/builder_config")

_TICKET_IN_TITLE = re.compile(rb"ticket_id=(\d+)")


def held_tickets(proc: Path = Path("/proc")) -> dict[int, str]:
    """The ticket ids that running processes name in their titles (command lines), each with
    its process (`pid:start time`: a pid alone may be reused)."""
    held: dict[int, str] = {}
    for cmdline in proc.glob("[0-9]*/cmdline"):
        try:
            ids = _TICKET_IN_TITLE.findall(cmdline.read_bytes())
            if ids:
                holder = f"{cmdline.parent.name}:{_start_time(cmdline.parent)}"
                held.update((int(i), holder) for i in ids)
        except OSError:  # the process ended meanwhile
            continue
    return held


def _start_time(process: Path) -> str:
    """The start time of a /proc/PID (field 22 of its stat, after the parenthesised name)."""
    return (process / "stat").read_text().rsplit(")", 1)[1].split()[19]


def lives(holder: str, proc: Path = Path("/proc")) -> bool:
    """Does the process `pid:start time` (from held_tickets) still run?"""
    pid, start = holder.split(":")
    try:
        return _start_time(proc / pid) == start
    except (OSError, IndexError):
        return False


def answers(host: str, port: int = SSH_PORT, timeout: float = CHECK_TIMEOUT) -> bool:
    """Does `host`'s sshd accept a connection?"""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def end_leftover(host: str, config: Path = SSH_CONFIG) -> bool:
    """End whatever build a dead worker left running on `host`; True once none runs."""
    try:
        done = subprocess.run(["ssh", "-F", str(config), f"root@{host}", "copr-rpmbuild-cancel"],
                              capture_output=True, text=True, timeout=CANCEL_TIMEOUT)
    except subprocess.TimeoutExpired:
        log.warning("%s: copr-rpmbuild-cancel did not end within %ss", host, CANCEL_TIMEOUT)
        return False
    if done.returncode != 0:
        log.warning("%s: copr-rpmbuild-cancel failed (exit %s): %s", host, done.returncode,
                    (done.stderr or done.stdout).strip())
        return False
    log.info("%s: copr-rpmbuild-cancel: %s", host, done.stdout.strip())
    return True


class Watch:
    """One round (`tick`) checks every builder, closes the tickets of dead workers and cleans
    their builders; `start` runs rounds every PERIOD seconds in a daemon thread."""

    def __init__(self, pool: Pool, check: Callable[[str], bool] = answers,
                 held: Callable[[], dict[int, str]] = held_tickets,
                 clean: Callable[[str], bool] = end_leftover, grace: float = GRACE,
                 alive: Callable[[str], bool] = lives) -> None:
        self.pool = pool
        self.check = check
        self.held = held
        self.clean = clean
        self.grace = grace
        self.alive = alive
        self.failures = {host: 0 for host in pool.hosts}
        self.holders: dict[int, str] = {}  # ticket -> the process that named it

    def _held(self) -> set[int]:
        """The open tickets a live process holds: it names them now, or named them and runs."""
        named = self.held()
        open_tickets = self.pool.open_tickets()
        self.holders = {t: h for t, h in {**self.holders, **named}.items() if t in open_tickets}
        return {t for t, h in self.holders.items() if t in named or self.alive(h)}

    def tick(self) -> None:
        for host in self.pool.hosts:
            if self.check(host):
                self.failures[host] = 0
                self.pool.set_alive(host, True)
            else:
                self.failures[host] += 1
                if self.failures[host] >= FAILED_CHECKS:
                    self.pool.set_alive(host, False)
        self.pool.reap(self._held(), self.grace)
        for host in self.pool.to_clean():
            if self.clean(host):
                self.pool.cleaned(host)

    def _loop(self, stop: threading.Event) -> None:
        while not stop.wait(PERIOD):
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - the watch must outlive one bad round
                log.exception("builder watch round failed")

    def start(self) -> threading.Event:
        """Run the rounds in the background; set the returned event to stop them."""
        stop = threading.Event()
        threading.Thread(target=self._loop, args=(stop,), daemon=True, name="builder-watch").start()
        return stop
