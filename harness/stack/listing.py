"""`copr-harness list`: every run on this host with its state, age and owner."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from harness.podman.engine import Engine
from harness.stack.registry import runs


@dataclass
class RunRow:
    """One run as `list` shows it."""

    run_id: str
    scenario: str
    package_set: str
    components: list[str]
    state: str  # running, degraded, stopped, leftovers (no container: only volumes, a network...)
    running: int  # containers running
    containers: int  # containers in all
    created: float | None  # seconds since the epoch
    kept: bool
    owner: str  # kept, live (its process runs) or orphaned (gc removes it)

    def age(self, now: float | None = None) -> float | None:
        return None if self.created is None else (now or time.time()) - self.created

    def as_json(self) -> dict:
        return asdict(self) | {"age_seconds": self.age()}


def state_of(states: list[str]) -> str:
    """A run's state from its containers' states."""
    if not states:
        return "leftovers"
    running = states.count("running")
    if running == len(states):
        return "running"
    return "degraded" if running else "stopped"


def listing(engine: Engine) -> list[RunRow]:
    """Every run on this host, oldest first (runs of unknown age last)."""
    overview = engine.runs_overview()
    rows = []
    for run_id, info in runs(engine).items():
        seen = overview.get(run_id)
        states = list(seen.states.values()) if seen else []
        rows.append(RunRow(
            run_id=run_id, scenario=info.scenario, package_set=info.package_set,
            components=info.components, state=state_of(states), running=states.count("running"),
            containers=len(states), created=seen.created if seen else None, kept=info.kept,
            owner="kept" if info.kept else ("live" if info.live else "orphaned")))
    return sorted(rows, key=lambda r: (r.created is None, r.created or 0, r.run_id))
