"""The runs on this host, read from their resources' labels; removing a run and its logs."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from harness import interrupts, progress
from harness.errors import InputError
from harness.model.components import Instance, all_components
from harness.naming import (
    LABEL_COMPONENT, LABEL_KEPT, LABEL_OWNER, LABEL_RUN, LABEL_SCENARIO, check_run_id, labels,
    marker_name, network_name,
)
from harness.paths import run_dir, state_dir
from harness.podman.engine import Engine
from harness.podman.service import sweep_services
from harness.stack import owner, users

if TYPE_CHECKING:
    from harness.model.scenario import Scenario

log = logging.getLogger(__name__)

LABEL_COMPONENTS = "copr-harness.components"
LABEL_PACKAGE_SET = "copr-harness.package-set"


@dataclass(frozen=True)
class Run:
    """A run's names, every one derived from its id: nothing else splits or builds them."""

    id: str
    components: tuple[str, ...] = ()

    @property
    def network(self) -> str:
        return network_name(self.id)

    @property
    def marker(self) -> str:
        """The volume whose labels say what the run is (scenario, components, owner, kept)."""
        return marker_name(self.id)

    @property
    def report_dir(self) -> Path:
        """build/reports/<run-id> (created when needed)."""
        return run_dir(self.id)

    @property
    def state_dir(self) -> Path:
        """Where the run's copr-cli configs and description live on this host."""
        return state_dir(self.id)

    def instances(self, component: str | None = None) -> list[Instance]:
        """The containers of one component, or of every component of the run."""
        defined = all_components()
        return [instance for c in ([component] if component else self.components)
                for instance in defined[c].instances(self.id)]

    def containers(self, component: str | None = None) -> list[str]:
        """The container names of one component, or of every component of the run."""
        return [instance.name for instance in self.instances(component)]

    def first(self, component: str) -> Instance:
        """A component's first (for most, only) instance."""
        return self.instances(component)[0]

    def short(self, container: str) -> str:
        """A container's name within the run (`<run-id>-backend` -> `backend`)."""
        return container.removeprefix(f"{self.id}-")


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
    # The scenario itself, on the RunInfo that `up` returns; other processes have its path only.
    model: Scenario | None = field(default=None, repr=False, compare=False)

    @property
    def run(self) -> Run:
        return Run(self.run_id, tuple(self.components))

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
    log.debug("runs on this host: %s", ", ".join(sorted(known)) or "none")
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
    engine.remove_network_leftovers()  # also those of runs removed before (a killed service's)
    return removed


def containers_of(info: RunInfo) -> list[str]:
    """The container names of every instance of every component of a run."""
    return info.run.containers()


def save_logs(engine: Engine, run: Run, containers: list[str]) -> Path:
    """Write each container's whole log to logs/<instance>.log (its name without the run id),
    and the files of its component's `log_dir` to logs/<instance>/."""
    folder = run_dir(run.id) / "logs"
    folder.mkdir(exist_ok=True)
    defined = all_components()
    log_dirs = {name: defined[c].log_dir for c in run.components for name in run.containers(c)}
    for container in containers:
        short = run.short(container)
        (folder / f"{short}.log").write_text(engine.logs(container))
        if log_dirs.get(container):
            for name, data in engine.read_files(container, log_dirs[container]).items():
                target = folder / short / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
    return folder


# -- bring-up bookkeeping shared by `stack.up` and `kube.play` ------------------------------------


@dataclass
class Claim:
    """A run id taken by this process: its owner token and marker labels."""

    run: Run
    owner: str
    marker: dict[str, str]


def check_free(engine: Engine, run_id: str) -> None:
    """Refuse a malformed run id, or one that names a run on this host."""
    check_run_id(run_id)
    if run_id in engine.run_ids():
        raise InputError(f"run id '{run_id}' is already in use: choose another, "
                         f"or remove it with 'copr-harness down --run-id {run_id}'")


def claim(engine: Engine, run: Run, scenario_path: Path, package_set: str) -> Claim:
    """Take a run id for a new run: refuse one in use; create its marker volume and network."""
    check_free(engine, run.id)
    token = owner.token()
    marker = labels(run.id) | {
        LABEL_OWNER: token, LABEL_SCENARIO: str(scenario_path),
        LABEL_COMPONENTS: ",".join(run.components), LABEL_PACKAGE_SET: package_set,
    }
    engine.create_volume(run.marker, marker)
    engine.create_network(run.network, labels(run.id) | {LABEL_OWNER: token})
    return Claim(run, token, marker)


def settle(engine: Engine, made: Claim, keep: bool, frontend: str | None = None) -> None:
    """The last steps of a bring-up, every component ready: the users, in the component whose
    component.yaml says `users: true` (its first container, or the container `frontend` names),
    and the kept mark (gc leaves a kept run alone after this process ends)."""
    run = made.run
    defined = all_components()
    home = next((c for c in run.components if defined[c].users), None)
    if home is not None:
        with progress.step("creating users and their copr-cli configs"):
            users.create(engine, run.id, frontend or run.containers(home)[0])
    if keep:
        engine.remove_volume(run.marker)
        engine.create_volume(run.marker, made.marker | {LABEL_KEPT: "yes"})


def abandon(engine: Engine, run: Run, containers: list[str], error: BaseException,
            keep: bool = False) -> None:
    """After a failed or interrupted bring-up: save the logs of the containers that exist, then
    remove the run unless `keep` (for inspection). A signal waits until this is done. It reports
    its own troubles as progress lines and never raises: the error the user sees is the one that
    failed the bring-up."""
    why = "interrupted" if isinstance(error, KeyboardInterrupt) else "failed"
    with interrupts.deferred():
        try:
            engine.restart_service()  # killed under the bring-up: the teardown needs one
        except Exception as service_error:  # noqa: BLE001 - reported; down below says what is left
            progress.say(f"could not start another Podman service: {_first_line(service_error)}")
        try:
            present = [name for name in containers if engine.exists(name)]
            folder = save_logs(engine, run, present)
            progress.say(f"run {run.id} {why}: container logs saved in {folder}")
        except Exception as log_error:  # noqa: BLE001 - teardown must go on
            progress.say(f"could not save logs: {_first_line(log_error)}")
        if keep:
            progress.say(f"keeping run {run.id} for inspection; remove it with "
                         f"'copr-harness down --run-id {run.id}'")
            return
        try:
            down(engine, run.id)
        except Exception as down_error:  # noqa: BLE001 - the bring-up's error is the one to show
            progress.say(f"could not remove run {run.id}: {_first_line(down_error)}; remove it "
                         f"with 'copr-harness down --run-id {run.id}'")


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return (text.splitlines()[0] if text else type(error).__name__)[:300]

