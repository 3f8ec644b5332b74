"""Timed phases (the bars of the report's timelines): the bring-up's and the release window's."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass
class Event:
    """One bar of a timeline: a phase of a lane (a component, a container), times in epoch seconds."""

    lane: str
    phase: str
    start: float
    end: float = 0.0
    ok: bool = True
    detail: str = ""


@contextlib.contextmanager
def record(events: list[Event], lane: str, phase: str) -> Iterator[Event]:
    """Time the block as one event appended to `events` (failed if the block raises).
    list.append is atomic, so threads bringing components up may share one list."""
    event = Event(lane, phase, time.time())
    events.append(event)
    try:
        yield event
    except BaseException as error:
        event.ok = False
        event.detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise
    finally:
        event.end = time.time()
