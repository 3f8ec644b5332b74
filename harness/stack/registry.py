"""The runs on this host, read from their resources' labels; removing a run and its logs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from harness import interrupts, progress
from harness.errors import InputError
from harness.model.components import all_components
from harness.naming import LABEL_COMPONENT, LABEL_KEPT, LABEL_OWNER, LABEL_RUN, LABEL_SCENARIO
from harness.paths import run_dir
from harness.podman.engine import Engine
from harness.podman.service import sweep_services
from harness.stack import owner, users

LABEL_COMPONENTS = "copr-harness.components"
LABEL_PACKAGE_SET = "copr-harness.package-set"


@dataclass
class RunInfo:
    """What the labels of a run's resources say about it."""

    run_id: str
    components: list[str]
    scenario: str = ""
    package_set: str = ""
    owner: str = ""
    kept: bool = False
    # Only on the RunInfo that `up` returns (never stored): tests that act as a service need them.
    secrets: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def live(self) -> bool:
        """A kept run, or one whose owning process still runs (gc must not touch it)."""
        return self.kept or (bool(self.owner) and owner.alive(self.owner))


def runs(engine: Engine) -> dict[str, RunInfo]:
    """Every run with resources on this host."""
    found = {}
    for run_id, marks in engine.run_ids().items():
        found[run_id] = RunInfo(
            run_id=run_id,
            components=[c for c in marks.get(LABEL_COMPONENTS, "").split(",") if c],
            scenario=marks.get(LABEL_SCENARIO, ""),
            package_set=marks.get(LABEL_PACKAGE_SET, ""),
            owner=marks.get(LABEL_OWNER, ""),
            kept=marks.get(LABEL_KEPT) == "yes",
        )
        if not found[run_id].components:  # no marker volume: take the containers' labels
            rows = engine.container_labels(f"{LABEL_RUN}={run_id}")
            found[run_id].components = sorted(r[LABEL_COMPONENT] for r in rows if LABEL_COMPONENT in r)
            found[run_id].owner = next((r[LABEL_OWNER] for r in rows if LABEL_OWNER in r), "")
    return found


def resolve_run(engine: Engine, run_id: str | None) -> RunInfo:
    """The run `run_id` names, or the only run on this host when none is named."""
    known = runs(engine)
    if run_id:
        if run_id not in known:
            raise InputError(f"no run '{run_id}' on this host"
                             + (f" (runs: {', '.join(sorted(known))})" if known else ""))
        return known[run_id]
    if len(known) == 1:
        return next(iter(known.values()))
    if not known:
        raise InputError("no harness run on this host: start one with 'copr-harness up'")
    raise InputError(f"{len(known)} runs on this host; name one with --run-id: {', '.join(sorted(known))}")


def down(engine: Engine, run_id: str) -> None:
    """Remove every pod, container, network, volume and secret of a run (a signal waits until
    it is done)."""
    with interrupts.deferred(), progress.step(f"removing run {run_id}"):
        removed = engine.remove_run(run_id)
        users.forget(run_id)
    pods = f"{len(removed.pods)} pods, " if removed.pods else ""
    played = f", {len(removed.secrets)} secrets" if removed.secrets else ""
    progress.say(f"removed {pods}{len(removed.containers)} containers, {len(removed.networks)} "
                 f"networks, {len(removed.volumes)} volumes{played}")


def gc(engine: Engine, everything: bool = False) -> list[str]:
    """Remove the runs whose owner is gone and that were not kept (all runs with `everything`)."""
    sweep_services()
    removed = []
    for info in runs(engine).values():
        if everything or not info.live:
            engine.remove_run(info.run_id)
            users.forget(info.run_id)
            removed.append(info.run_id)
    return removed




def containers_of(info: RunInfo) -> list[str]:
    """The container names of every instance of every component of a run."""
    defined = all_components()
    return [name for c in info.components for name, _ in defined[c].instances(info.run_id)]


def save_logs(engine: Engine, run_id: str, containers: list[str]) -> Path:
    """Write each container's whole log to logs/<component>.log (name without the run id)."""
    folder = run_dir(run_id) / "logs"
    folder.mkdir(exist_ok=True)
    for container in containers:
        short = container.removeprefix(f"{run_id}-")
        (folder / f"{short}.log").write_text(engine.logs(container))
    return folder
