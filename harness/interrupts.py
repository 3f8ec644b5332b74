"""SIGINT and SIGTERM as one exception, raised where it is safe.

`install()` makes both signals raise `Interrupted` in the main thread. Inside `deferred()` (a
Podman create call in flight, a teardown) the signal is only noted and raised when the section
ends, so nothing is created after the teardown looked for it and no teardown is cut short. Once a
signal has been taken, repeats are ignored: the harness is already stopping and cleaning up.
"""

from __future__ import annotations

import ctypes
import signal
import threading
from types import FrameType, TracebackType

from harness import progress
from harness.errors import EXIT_INTERRUPTED

SIGNALS = (signal.SIGINT, signal.SIGTERM)
PR_SET_PDEATHSIG = 1


class Interrupted(KeyboardInterrupt):
    """The user (or CI) asked the command to stop. A KeyboardInterrupt, so no `except
    Exception` on the way swallows it."""

    exit_code = EXIT_INTERRUPTED


class _State:
    """What the handler knows: how deep in deferred sections the main thread is, and whether a
    signal was taken already."""

    def __init__(self) -> None:
        self.depth = 0
        self.pending: str | None = None  # the name of a signal that arrived inside a section
        self.stopping = False


_state = _State()


def _say(message: str) -> None:
    try:
        progress.say(message)
    except RuntimeError:  # the signal came amid a write to stderr: a reentrant write fails
        pass


def _handler(signum: int, frame: FrameType | None) -> None:
    name = signal.Signals(signum).name
    if _state.stopping:
        _say(f"{name}: already stopping; cleaning up continues "
             "(SIGKILL skips it: then 'copr-harness gc' removes what is left)")
        return
    _state.stopping = True
    if _state.depth:
        _state.pending = name
        _say(f"{name}: stopping once the current Podman call or teardown is done")
        return
    raise Interrupted(f"interrupted by {name}")


def install() -> None:
    """Turn SIGINT and SIGTERM into `Interrupted` for this process (call from the main thread)."""
    reset()
    for signum in SIGNALS:
        signal.signal(signum, _handler)


def reset() -> None:
    """Forget any signal taken (a new command starts, or a test starts afresh)."""
    _state.depth, _state.pending, _state.stopping = 0, None, False


class deferred:  # noqa: N801 - used like a function: `with interrupts.deferred(): ...`
    """A section a signal must not cut: the signal is raised as `Interrupted` when it ends.
    Nestable; a no-op outside the main thread (signals are only ever handled there)."""

    def __enter__(self) -> None:
        self.active = threading.current_thread() is threading.main_thread()
        if self.active:
            _state.depth += 1

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if not self.active:
            return
        _state.depth -= 1
        if _state.depth == 0 and _state.pending is not None:
            name, _state.pending = _state.pending, None
            if not isinstance(error, KeyboardInterrupt):
                raise Interrupted(f"interrupted by {name}") from error


def die_with_parent() -> None:
    """In a child process (preexec_fn): the kernel sends it SIGTERM when its parent dies, so a
    SIGKILLed harness leaves no Podman service or pytest behind."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
