"""The one reader of a stack's memory: usage per container now, and a sampler recording peaks."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from harness.naming import LABEL_RUN
from harness.podman.engine import Engine
from harness.stack.registry import Run


def usage(engine: Engine, run_id: str) -> dict[str, int]:
    """Bytes in use by each running container of a run, by container name."""
    return engine.memory_usage(f"{LABEL_RUN}={run_id}")


@dataclass
class Peaks:
    """The highest memory seen: of the whole run at one instant, and of each container."""

    total: int = 0
    at_total: dict[str, int] = field(default_factory=dict)  # the breakdown of that instant
    per_container: dict[str, int] = field(default_factory=dict)
    samples: int = 0

    def add(self, sample: dict[str, int]) -> None:
        """Take one sample (container name -> bytes) into account."""
        self.samples += 1
        total = sum(sample.values())
        if total > self.total:
            self.total, self.at_total = total, dict(sample)
        for name, used in sample.items():
            self.per_container[name] = max(used, self.per_container.get(name, 0))

    def by_component(self, run_id: str) -> dict[str, int]:
        """`at_total` keyed by component (the run id prefix removed)."""
        return {Run(run_id).short(name): used for name, used in sorted(self.at_total.items())}


class Sampler:
    """Samples a run's memory every `period` seconds in a thread until `stop()`.

    It has its own connection to Podman, so the caller's engine stays free for other work.
    """

    def __init__(self, engine: Engine, run_id: str, period: float = 1.0) -> None:
        self.run_id = run_id
        self.period = period
        self.peaks = Peaks()
        self.errors: list[str] = []
        self._engine = engine.connection()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"memory-{run_id}", daemon=True)

    def start(self) -> "Sampler":
        self._thread.start()
        return self

    def _loop(self) -> None:
        while True:
            try:
                self.peaks.add(usage(self._engine, self.run_id))
            except Exception as error:  # noqa: BLE001 - a failed sample must not end sampling
                self.errors.append(str(error))
            if self._stop.wait(self.period):
                return

    def stop(self) -> Peaks:
        """Stop sampling (after one last sample) and return the peaks."""
        self._stop.set()
        self._thread.join(timeout=60)
        self._engine.close()  # its own connection only: the service stays
        return self.peaks
