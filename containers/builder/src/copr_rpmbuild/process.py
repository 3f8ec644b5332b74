"""Child processes of a build and the live log they write to (upstream: GentlyTimeoutedPopen)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, TextIO

from .errors import BuildError, Canceled
from .sandbox import BuildUser, kill_processes

TIMEOUT_LINE = "Copr timeout => sending INT"


class LiveLog:
    """main.log, written line by line (copr-rpmbuild-log tails it), echoed to stdout if attached."""

    def __init__(self, path: Path, echo: TextIO | None) -> None:
        self.path = path
        self.echo = echo
        self.lock = threading.Lock()
        self.handle = path.open("w", encoding="utf-8", errors="replace")
        self.copies: list[TextIO] = []

    def write(self, text: str) -> None:
        """Append text (one or more whole lines) to the log."""
        if not text.endswith("\n"):
            text += "\n"
        with self.lock:
            self.handle.write(text)
            self.handle.flush()
            for copy in self.copies:
                copy.write(text)
            if self.echo is not None:
                try:
                    self.echo.write(text)
                    self.echo.flush()
                except (OSError, ValueError):
                    # The caller's SSH session is gone: build on, the results stay for collection.
                    self.echo = None

    @contextmanager
    def copy_to(self, path: Path) -> Iterator[None]:
        """Also write what is logged meanwhile to `path` (mock's build.log and root.log)."""
        with path.open("a", encoding="utf-8", errors="replace") as copy:
            with self.lock:
                self.copies.append(copy)
            try:
                yield
            finally:
                with self.lock:
                    self.copies.remove(copy)

    def close(self) -> None:
        with self.lock:
            self.handle.close()


class _Current:
    """The child process running now and how to stop it, for the cancel signal handler."""

    stop: Callable[[], None] | None = None
    canceled = False


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except OSError:
        return False
    return True


def _on_cancel(signum: int, frame: object) -> None:
    """Signal handler: stop the running child, or the task itself when none runs."""
    _Current.canceled = True
    if _Current.stop is not None:
        _Current.stop()  # run() raises Canceled once the child has ended
        return
    raise Canceled(f"canceled by signal {signal.Signals(signum).name}")


def run(command: list[str], log: LiveLog, *, cwd: Path | None = None, timeout: float | None = None,
        grace: float = 10.0, env: dict[str, str] | None = None,
        user: BuildUser | None = None) -> int:
    """Run a command with its output in the live log; return its exit code.

    The command leads its own process group (as `user` when given). When `timeout` runs out the
    group gets SIGINT (and the log one line saying so), then SIGKILL if anything of it still runs
    `grace` seconds later; a cancel signal does the same without the timeout line. Raises
    BuildError on timeout and Canceled when the task was canceled meanwhile. Whatever the build
    user still runs when the command ends (a daemon it forked) is killed.
    """
    log.write("Running: " + " ".join(quote(part) for part in command))
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, errors="replace", process_group=0, **_as(user),
    )
    timed_out, finished = threading.Event(), threading.Event()
    timers: list[threading.Timer] = []

    def later(delay: float, action: Callable[[], None]) -> None:
        timer = threading.Timer(delay, action)
        timer.daemon = True
        timers.append(timer)
        timer.start()

    def kill() -> None:
        # `finished`: once reaped, the PGID may belong to someone else.
        if not finished.is_set() and _group_alive(process.pid):
            log.write(f"Copr {'timeout' if timed_out.is_set() else 'cancel'} => sending KILL")
            os.killpg(process.pid, signal.SIGKILL)

    def stop() -> None:
        # No logging here: this also runs in the signal handler, maybe while the log is locked.
        if finished.is_set():
            return
        try:
            os.killpg(process.pid, signal.SIGINT)
        except OSError:
            return
        later(grace, kill)

    def expire() -> None:
        if finished.is_set():
            return
        timed_out.set()
        log.write(TIMEOUT_LINE)
        stop()

    _Current.stop = stop
    if timeout:
        later(timeout, expire)
    try:
        assert process.stdout is not None
        for line in process.stdout:
            log.write(line)
        code = process.wait()
    finally:
        _Current.stop = None
        if process.poll() is None:  # left by an exception: nothing may outlive the task
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        finished.set()
        for timer in list(timers):
            timer.cancel()
        if user is not None and kill_processes(user):
            log.write(f"Killed the processes {command[0]} left running as {user.name}")
    if timed_out.is_set():
        raise BuildError(f"build timed out after {timeout:g} s")
    if _Current.canceled:
        raise Canceled("build canceled")
    return code


def quote(part: str) -> str:
    """A command-line word as a shell would need it (for the log only)."""
    return part if re.fullmatch(r"[\w@%+=:,./-]+", part) else "'" + part.replace("'", "'\\''") + "'"


def _as(user: BuildUser | None) -> dict:
    """Popen arguments that run a child as `user` with no supplementary groups."""
    if user is None:
        return {}
    return {"user": user.uid, "group": user.gid, "extra_groups": []}


def capture(command: list[str], what: str, user: BuildUser | None = None,
            env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    """Run a short query (rpm -qp, rpmspec -q) and return its stdout; BuildError if it fails."""
    try:
        result = subprocess.run(command, capture_output=True, text=True, errors="replace", timeout=600,
                                stdin=subprocess.DEVNULL, env=env, cwd=cwd, **_as(user))
    except subprocess.TimeoutExpired:
        raise BuildError(f"{what} did not end within 600 s") from None
    finally:
        kill_processes(user)
    if result.returncode != 0:
        detail = "; ".join(line for line in result.stderr.splitlines()
                           if line.strip() and not line.startswith("rpm: "))
        raise BuildError(f"{what} failed: {detail or 'exit code %d' % result.returncode}")
    return result.stdout
