"""Builders: the pool of hosts, the copr-rpmbuild version gate, and SSH to run builds there."""

from __future__ import annotations

import shlex
import subprocess
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Protocol

from .errors import Canceled
from .fetch import extract_regular
from .rpmver import version_at_least

MAX_HOST_ATTEMPTS = 3
REMOTE_RESULTS = "/var/lib/copr-rpmbuild/results"
# Our own record of the build's session id (copr-rpmbuild's pid files belong to --detached runs).
REMOTE_PID = "/var/lib/copr-rpmbuild/copr-backend.pid"
VERSION_QUERY = "rpm -q copr-rpmbuild --qf '%{VERSION}\\n'"
# A build that outlived its backend (the backend was killed before it could stop it) holds
# copr-rpmbuild's lock, so the next task there would wait for it (the lock blocks, as upstream's). The
# backend runs one task per builder: whatever build still runs on a builder it acquired is such a
# leftover. End it (TERM, KILL after 30 s) before starting a new one; the recorded session must
# still be a copr-rpmbuild (after a builder restart the pid may belong to anything).
END_LEFTOVER = (
    f'pid=$(cat {REMOTE_PID} 2>/dev/null) && [ -n "$pid" ] || exit 0; '
    'grep -qs copr-rpmbuild "/proc/$pid/cmdline" || exit 0; '
    'echo "ending a leftover copr-rpmbuild (session $pid)"; kill -TERM -- "-$pid" 2>/dev/null; '
    'for i in $(seq 150); do kill -0 -- "-$pid" 2>/dev/null || exit 0; sleep 0.2; done; '
    'kill -KILL -- "-$pid" 2>/dev/null; echo "it did not end within 30 s: killed"'
)
SSH_FAILED = 255
# Timeouts (seconds) of the commands run on builders: the version query, copr-builder-ready
# (it may wait for a chroot's cache), stopping a build, downloading a result directory.
QUERY_TIMEOUT = 60
READY_TIMEOUT = 660
STOP_TIMEOUT = 30
FETCH_TIMEOUT = 600


class BuilderLost(Exception):
    """The SSH connection to a builder failed in the middle of a task (the builder went away)."""


class NoBuilder(Exception):
    """No builder accepted the task."""


class BuilderPool:
    """The configured builder hosts; each runs at most one task at a time."""

    def __init__(self, hosts: Sequence[str]) -> None:
        self.hosts = list(dict.fromkeys(hosts))
        self._busy: set[str] = set()
        self._last_used: dict[str, float] = {}
        self._cond = threading.Condition()

    @property
    def size(self) -> int:
        return len(self.hosts)

    def free_count(self) -> int:
        with self._cond:
            return len(self.hosts) - len(self._busy)

    def acquire(self, exclude: Sequence[str] = (), cancel: threading.Event | None = None,
                poll: float = 0.5) -> str | None:
        """A free host not in `exclude`, waiting while all such hosts are busy; None if none exists."""
        with self._cond:
            while True:
                candidates = [h for h in self.hosts if h not in exclude]
                if not candidates:
                    return None
                free = [h for h in candidates if h not in self._busy]
                if free:
                    # Least recently used first, so work spreads over the builders.
                    host = min(free, key=lambda h: (self._last_used.get(h, 0.0), self.hosts.index(h)))
                    self._busy.add(host)
                    self._last_used[host] = time.monotonic()
                    return host
                if cancel is not None and cancel.is_set():
                    raise Canceled("canceled while waiting for a builder")
                self._cond.wait(poll)

    def release(self, host: str) -> None:
        with self._cond:
            self._busy.discard(host)
            self._cond.notify_all()


class Remote(Protocol):
    """What a worker needs of a builder connection (SSH in production, a fake in tests)."""

    def run(self, host: str, command: str, timeout: float = 60) -> tuple[int, str, str]: ...

    def stream(self, host: str, command: str, output: IO[bytes], cancel: threading.Event,
               timeout: float | None) -> int: ...

    def fetch_dir(self, host: str, remote_dir: str, local_dir: Path) -> list[str]: ...


def check_builder(remote: Remote, host: str, min_version: str, chroot: str) -> tuple[str | None, str]:
    """(why the host cannot build `chroot`, or None; the copr-rpmbuild version found)."""
    try:
        code, out, err = remote.run(host, VERSION_QUERY, timeout=QUERY_TIMEOUT)
    except subprocess.TimeoutExpired:
        return f"SSH to {host} timed out", ""
    if code == SSH_FAILED:
        return f"SSH connection to {host} failed: {_last_line(err)}", ""
    # Debian's rpm adds notices starting with "rpm: "; the version is the last other line.
    lines = [ln.strip() for ln in out.splitlines() if ln.strip() and not ln.startswith("rpm: ")]
    if code != 0 or not lines:
        return f"The copr-rpmbuild package was not found: {_last_line(out or err)}", ""
    version = lines[-1]
    if not version_at_least(version, min_version):
        return f"Minimum version for builder is {min_version} ({host} has {version})", version
    try:
        code, out, err = remote.run(host, f"copr-builder-ready {shlex.quote(chroot)}", timeout=READY_TIMEOUT)
    except subprocess.TimeoutExpired:
        return "Builder wasn't ready, trying a new one (copr-builder-ready timed out)", version
    if code != 0:
        return f"Builder wasn't ready, trying a new one: {_last_line(out or err)}", version
    return None, version


def pick_builder(pool: BuilderPool, remote: Remote, min_version: str, chroot: str,
                 say: Callable[[str], None], cancel: threading.Event | None = None) -> tuple[str, str]:
    """Acquire a builder that passes the version gate: (host, version); NoBuilder after
    MAX_HOST_ATTEMPTS distinct hosts refused (or every configured host did). The host stays
    acquired: the caller releases it."""
    tried: list[str] = []
    while len(tried) < MAX_HOST_ATTEMPTS:
        host = pool.acquire(exclude=tried, cancel=cancel)
        if host is None:
            break
        try:
            reason, version = check_builder(remote, host, min_version, chroot)
        except BaseException:
            pool.release(host)
            raise
        if reason is None:
            return host, version
        say(f"builder {host} refused: {reason}")
        tried.append(host)
        pool.release(host)
    raise NoBuilder(f"{len(tried)} builder(s) tried without success: {', '.join(tried) or 'none configured'}")


def _last_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "(no output)"


class SSH:
    """Commands on builders as root over SSH with the run's key.

    Each ssh runs in its own session: `svc stop` signals the service's process group, and the
    backend, not that signal, decides what happens to a build in flight.
    """

    def __init__(self, key_path: Path, user: str = "root", connect_timeout: int = 10) -> None:
        self.key_path = key_path
        self.user = user
        self.connect_timeout = connect_timeout

    def argv(self, host: str, command: str) -> list[str]:
        return [
            "ssh", "-i", str(self.key_path),
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "BatchMode=yes", "-o", "LogLevel=ERROR",
            "-o", f"ConnectTimeout={self.connect_timeout}", "-o", "ServerAliveInterval=30",
            f"{self.user}@{host}", command,
        ]

    def run(self, host: str, command: str, timeout: float = QUERY_TIMEOUT) -> tuple[int, str, str]:
        result = subprocess.run(self.argv(host, command), capture_output=True, text=True,
                                timeout=timeout, stdin=subprocess.DEVNULL, start_new_session=True)
        return result.returncode, result.stdout, result.stderr

    def stream(self, host: str, command: str, output: IO[bytes], cancel: threading.Event,
               timeout: float | None) -> int:
        """Run `command`, its output appended to `output` as it comes; stop it on cancel/timeout."""
        process = subprocess.Popen(self.argv(host, command), stdout=output, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                return process.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                pass
            expired = deadline is not None and time.monotonic() > deadline
            if cancel.is_set() or expired:
                self.stop_build(host)
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
                if cancel.is_set():
                    raise Canceled("canceled while building")
                raise TimeoutError(f"the build ran longer than {timeout:.0f}s")

    def stop_build(self, host: str) -> None:
        """End the build's process group on the builder (it outlives a killed SSH session)."""
        command = f'pid=$(cat {REMOTE_PID} 2>/dev/null) && kill -TERM -- "-$pid" 2>/dev/null; true'
        try:
            self.run(host, command, timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pass

    def fetch_dir(self, host: str, remote_dir: str, local_dir: Path,
                  timeout: float = FETCH_TIMEOUT) -> list[str]:
        """Copy a builder's directory into `local_dir` (tar over SSH), regular files and
        directories only; return what was dropped (`name (why)`). Killed after `timeout` s."""
        with tempfile.TemporaryFile() as errors:
            sender = subprocess.Popen(self.argv(host, f"tar -C {shlex.quote(remote_dir)} -cf - ."),
                                      stdout=subprocess.PIPE, stderr=errors,
                                      stdin=subprocess.DEVNULL, start_new_session=True)
            assert sender.stdout is not None
            expired = threading.Event()
            # A hung builder would block the read for ever: the timer ends the SSH session.
            timer = threading.Timer(timeout, lambda: (expired.set(), sender.kill()))
            timer.start()
            try:
                with sender.stdout:
                    dropped = extract_regular(sender.stdout, local_dir)
            except tarfile.TarError as error:
                sender.kill()
                failure: str | None = str(error)
            else:
                failure = None
            finally:
                timer.cancel()
                sender.wait()
            errors.seek(0)
            why = _last_line(errors.read().decode(errors="replace"))
        where = f"downloading {host}:{remote_dir}"
        if expired.is_set():
            raise TimeoutError(f"{where} took longer than {timeout:.0f}s: stopped")
        if sender.returncode == SSH_FAILED:
            raise BuilderLost(f"{where} failed: {why}")
        if failure is not None:  # (the sender was killed after it: its exit code says nothing)
            raise OSError(f"{where} failed: {failure}")
        if sender.returncode != 0:
            raise OSError(f"{where} failed: {why}")
        return dropped


def build_command(task_url: str, chroot: str | None) -> str:
    """The shell command run on the builder: copr-rpmbuild, attached, its log on stdout.

    sshd gives the command its own session; the shell records its PID (that session's id) and
    becomes copr-rpmbuild, so a cancel can signal the whole build even if this SSH session is gone.
    """
    rpmbuild = ["copr-rpmbuild", "--verbose", "--drop-resultdir"]
    rpmbuild += ["--rpm", "--task-url", task_url, "--chroot", chroot] if chroot else ["--srpm", "--task-url", task_url]
    return f"mkdir -p {Path(REMOTE_PID).parent} && echo $$ > {REMOTE_PID} && exec {shlex.join(rpmbuild)}"
