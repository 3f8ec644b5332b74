"""Progress lines on stderr: one line per step, with elapsed seconds."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator

_START = time.monotonic()


def say(message: str) -> None:
    """Print one progress line, prefixed with seconds since the command started."""
    print(f"[{time.monotonic() - _START:6.1f}s] {message}", file=sys.stderr, flush=True)


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
