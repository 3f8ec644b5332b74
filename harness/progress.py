"""Progress lines on stderr through Python logging: one line per step, with elapsed seconds.

Every module logs under the `harness` logger (`progress.say` is its INFO level; a module's
`logging.getLogger(__name__)` debug lines come out with -v). The level comes from
COPR_HARNESS_LOG_LEVEL (warning, info or debug; default info), which `copr-harness -q/-v` sets,
so the processes the harness starts (pytest and its plugin) follow the same choice.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from collections.abc import Iterator

LEVEL_VARIABLE = "COPR_HARNESS_LOG_LEVEL"
LEVELS = {"warning": logging.WARNING, "info": logging.INFO, "debug": logging.DEBUG}

_START = time.time()  # log records carry wall-clock times
log = logging.getLogger("harness")


class _Stderr(logging.Handler):
    """Writes to the sys.stderr of the moment (a test's capture included), flushed per line.
    Errors propagate: a reentrant write from a signal handler is the caller's to ignore."""

    def emit(self, record: logging.LogRecord) -> None:
        stream = sys.stderr
        stream.write(self.format(record) + "\n")
        stream.flush()


class _Format(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        kind = "" if record.levelno == logging.INFO else f"{record.levelname.lower()}: "
        return f"[{record.created - _START:6.1f}s] {kind}{record.getMessage()}"


def level_from(text: str | None) -> int:
    """The logging level a COPR_HARNESS_LOG_LEVEL value names (ValueError if none)."""
    if not text:
        return logging.INFO
    try:
        return LEVELS[text.strip().lower()]
    except KeyError:
        raise ValueError(f"{LEVEL_VARIABLE}={text!r}: use one of {', '.join(LEVELS)}") from None


def configure(level: int) -> None:
    """Set the harness's level, here and (through the environment) in the processes it starts."""
    log.setLevel(level)
    os.environ[LEVEL_VARIABLE] = logging.getLevelName(level).lower()


def _install() -> None:
    handler = _Stderr()
    handler.setFormatter(_Format())
    log.addHandler(handler)
    log.propagate = False  # one line per message, whatever handlers the root logger has
    try:
        log.setLevel(level_from(os.environ.get(LEVEL_VARIABLE)))
    except ValueError:
        log.setLevel(logging.INFO)  # the CLI reports a bad value; a library user gets progress


_install()


def say(message: str) -> None:
    """Log one progress line (INFO), prefixed with seconds since the command started."""
    log.info(message)


@contextlib.contextmanager
def step(message: str) -> Iterator[None]:
    """Announce a long step, then report how long it took (or that it failed)."""
    say(f"{message} ...")
    began = time.monotonic()
    try:
        yield
    except BaseException:
        say(f"{message}: failed after {time.monotonic() - began:.1f}s")
        raise
    say(f"{message}: done in {time.monotonic() - began:.1f}s")
