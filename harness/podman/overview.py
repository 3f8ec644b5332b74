"""What `copr-harness list` learns of a run from Podman: its age and its containers' states."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class RunOverview:
    """A run's age and its containers' states."""

    created: float | None = None  # seconds since the epoch
    states: dict[str, str] = field(default_factory=dict)  # container -> running, exited, ...

    def seen(self, created: float | None) -> None:
        """Note a resource's creation time: the run's is its oldest resource's."""
        if created is not None and (self.created is None or created < self.created):
            self.created = created


def epoch(value: object) -> float | None:
    """A creation time as Podman gives it (epoch seconds, or RFC 3339 with nanoseconds)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str) or not value:
        return None
    text = re.sub(r"(\.\d{1,6})\d*", r"\1", value.replace("Z", "+00:00"))  # Python takes 6 digits
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None
