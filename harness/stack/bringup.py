"""Bringing a run's components up: packages, images, containers, environment, readiness."""

from __future__ import annotations

import contextlib
import json
import secrets
import subprocess
import tempfile
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from harness import progress
from harness.artifacts import images, packages
from harness.errors import HarnessError, InfraError, InputError
from harness.model.components import Component, all_components, start_order
from harness.model.scenario import Scenario
from harness.naming import LABEL_OWNER, labels
from harness.phases import Event, record
from harness.podman.engine import ContainerSpec, Engine
from harness.stack import addresses
from harness.stack.probes import wait_ready
from harness.stack.registry import Run, RunInfo, abandon, check_free, claim, settle


def new_secrets() -> dict[str, str]:
    """Passwords and keys made for one run only (never written into the project)."""
    made = {name: secrets.token_urlsafe(18)
            for name in ("db_password", "backend_password", "broker_password")}
    with tempfile.TemporaryDirectory() as tmp:
        key = Path(tmp) / "id"
        result = subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "copr-harness",
                                 "-f", str(key)], capture_output=True, text=True)
        if result.returncode != 0:
            raise InfraError(f"ssh-keygen failed: {result.stderr.strip()}",
                             hint="run 'apt-get install -y openssh-client'")
        made["builder_ssh_key"] = key.read_text()
        made["builder_ssh_pubkey"] = (key.with_suffix(".pub")).read_text().strip()
    return made


class _Absent(dict):
    """A URL table where a component that is not in this stack renders as ''."""

    def __missing__(self, key: str) -> str:
        return ""


def _env_file(values: dict[str, str]) -> bytes:
    """KEY='value' lines that bash can source (values single-quoted)."""
    lines = []
    for key, value in values.items():
        quoted = value.replace("'", "'\\''")
        lines.append(f"{key}='{quoted}'")
    return ("\n".join(lines) + "\n").encode()


def render_env(spec: Component, run_id: str, run_secrets: dict[str, str], internal: dict[str, str],
               public: dict[str, str], hosts: dict[str, str]) -> dict[str, str]:
    """A component's environment: its `environment` templates filled in for one run."""
    values = {"COPR_HARNESS_RUN_ID": run_id, "COPR_HARNESS_COMPONENT": spec.name}
    context = {name: _Absent(table) for name, table in
               (("internal", internal), ("public", public), ("hosts", hosts))}
    for key, template in spec.environment.items():
        try:
            values[key] = template.format(secrets=run_secrets, **context)
        except (KeyError, IndexError) as error:
            raise InputError(f"{spec.folder / 'component.yaml'}: environment.{key}: "
                             f"unknown placeholder {error} (is that component in the stack?)")
    return values


# -- bringing a stack up -------------------------------------------------------------------------


class Bringup:
    """One `up`: the state shared by the threads that bring components up."""

    def __init__(self, engine: Engine, run_id: str, components: list[str],
                 run_secrets: dict[str, str] | None = None) -> None:
        self.engine = engine
        self.run_id = run_id
        self.run = Run(run_id, tuple(components))
        self.components = components
        self.defined = all_components()
        self.abort = threading.Event()
        self.secrets = run_secrets or new_secrets()
        self.events: list[Event] = []  # the bring-up timeline of the report (bringup.json)
        self._addresses: tuple[dict[str, str], dict[str, str]] | None = None

    def phase(self, container: str, name: str) -> contextlib.AbstractContextManager[Event]:
        """Time a phase of a container (its lane: the name without the run id)."""
        return record(self.events, self.run.short(container), name)

    def save_events(self) -> Path:
        """Write the bring-up's phases to the run's report folder (bringup.json)."""
        path = self.run.report_dir / "bringup.json"
        path.write_text(json.dumps({"run_id": self.run_id,
                                    "events": [vars(e) for e in self.events]}, indent=1) + "\n")
        return path

    def containers(self, component: str) -> list[str]:
        return self.run.containers(component)

    def all_containers(self) -> dict[str, str]:
        """Container name -> component, for every instance of every component."""
        return {name: c for c in self.components for name in self.containers(c)}

    def addresses(self) -> tuple[dict[str, str], dict[str, str]]:
        """(container name -> its fixed address on the run's network, host name -> address for
        every container's /etc/hosts): planned once per run."""
        if self._addresses is None:
            planned = addresses.plan(self.engine.network_subnet(self.run.network), self.run.instances())
            self._addresses = planned, addresses.hosts(self.run.instances(), planned)
        return self._addresses

    def create(self, component: str, image: str, owner_token: str,
               only: str | None = None) -> None:
        """Create a component's containers (with `only`, just that one) and their volumes."""
        spec = self.defined[component]
        run_labels = labels(self.run_id, component) | {LABEL_OWNER: owner_token}
        planned, hosts = self.addresses()
        for instance in self.run.instances(component):
            if only and instance.name != only:
                continue
            with self.phase(instance.name, "create"):
                volumes = {}
                for volume, mount in spec.volumes.items():
                    volume_name = f"{instance.name}-{volume}"
                    self.engine.create_volume(volume_name, run_labels)
                    volumes[volume_name] = mount
                self.engine.create_container(ContainerSpec(
                    name=instance.name, image=image, labels=run_labels, network=self.run.network,
                    aliases=instance.aliases, volumes=volumes, ports=spec.ports,
                    memory_mb=spec.memory_mb, address=planned[instance.name], hosts=hosts,
                ))

    def write_env(self, only: str | None = None, container: str | None = None) -> None:
        """Render each component's environment into its containers' stack.env (before start);
        with `only`, just that component's, with `container` just that container's."""
        internal, public, hosts = {}, {}, {}
        for component in self.components:
            spec = self.defined[component]
            instances = self.run.instances(component)
            hosts[component] = " ".join(i.aliases[0] for i in instances)
            if spec.ports:
                first = instances[0]
                internal[component] = f"http://{first.aliases[0]}:{spec.ports[0]}"
                port = self.engine.published_port(first.name, spec.ports[0])
                public[component] = f"http://127.0.0.1:{port}"
        for component in [only] if only else self.components:
            spec = self.defined[component]
            values = render_env(spec, self.run_id, self.secrets, internal, public, hosts)
            for name in self.containers(component):
                if container and name != container:
                    continue
                self.engine.put_files(name, "/etc/copr-harness", {"stack.env": _env_file(values)},
                                      mode=0o600)

    def bring_up(self, component: str, rpms: list[Path], deps: list[Future]) -> None:
        """Install a component's packages, wait for its dependencies, start it, wait ready."""
        names = self.containers(component)
        if rpms:
            for name in names:
                with self.phase(name, "install"):
                    packages.install(self.engine, name, rpms)
        with contextlib.ExitStack() as waiting:
            for name in names if deps else []:
                waiting.enter_context(self.phase(name, "wait for deps"))
            for dep in deps:
                dep.result()  # a failed dependency fails this component too
        if self.abort.is_set():
            return
        for name in names:
            if rpms:
                with self.phase(name, "start services"):
                    result = self.engine.exec(name, ["svc", "start"])
                    if not result.ok:
                        raise InfraError(f"{name}: 'svc start' failed: {result.output.strip()}")
        for name in names:
            with self.phase(name, "ready"):
                wait_ready(self.engine, self.defined[component], name, self.abort)
        progress.say(f"{component} ready" + (f" ({len(names)} instances)" if len(names) > 1 else ""))


def up(
    engine: Engine,
    scenario: Scenario,
    run_id: str,
    package_set: str = "candidate",
    keep: bool = True,
    keep_on_failure: bool = False,
) -> RunInfo:
    """Bring every component of `scenario` up at `package_set`'s versions.

    With `keep` the run outlives this process (plain `copr-harness up`); without it the run
    belongs to this process and `gc` removes it once the process is gone. On any failure or
    interruption, logs go to build/reports/<run-id>/logs and everything started is removed.
    (`stack.running` wraps this for a run that lives as long as a `with` block.)
    """
    check_free(engine, run_id)  # before the packages are built: nothing is asked of Podman
    components = scenario.components
    package_versions = scenario.package_set(package_set)
    state = Bringup(engine, run_id, components)
    if scenario.memory_mb:  # a copy: all_components() is shared
        state.defined = {name: spec.model_copy(update={"memory_mb": scenario.memory_mb[name]})
                         if name in scenario.memory_mb else spec
                         for name, spec in state.defined.items()}
    defined = state.defined

    with progress.step(f"building packages ({package_set} set)"), state.phase("harness", "packages"):
        rpms = {c: list(packages.build_set(scenario.packages_of(c), package_versions, c).values())
                for c in components}
    # An inconsistent set is refused here, before anything is created.
    packages.check_installable(rpms, f"{scenario.path} ({package_set} set)")
    with state.phase("harness", "images"):
        image_tags = {name: result.tag for name, result in images.ensure(engine, components).items()}

    made = claim(engine, state.run, scenario.path, package_set)
    progress.say(f"run {run_id}: bringing up {', '.join(components)}")
    try:
        with progress.step("starting containers"):
            for component in components:
                state.create(component, image_tags[component], made.owner)
            state.write_env()
            for name in state.all_containers():
                with state.phase(name, "start"):
                    engine.start(name)
        futures: dict[str, Future] = {}
        with ThreadPoolExecutor(max_workers=len(components)) as pool:
            try:  # abort before the pool's exit waits for the threads (an interrupt comes any time)
                for wave in start_order(components):
                    for component in wave:
                        deps = [futures[d] for d in defined[component].depends_on if d in futures]
                        futures[component] = pool.submit(state.bring_up, component, rpms[component], deps)
                for component, future in futures.items():
                    future.result()
            except BaseException:
                state.abort.set()
                raise
        state.save_events()  # before the run is kept: if this fails, the run is removed
        with state.phase("harness", "users"):
            settle(engine, made, keep)
        with contextlib.suppress(OSError, HarnessError):  # again, with the users phase
            state.save_events()
    except BaseException as error:
        with contextlib.suppress(OSError, HarnessError):  # the timeline must not hide the failure
            state.save_events()
        abandon(engine, state.run, list(state.all_containers()), error, keep_on_failure)
        raise
    return RunInfo(run_id, components, str(scenario.path), package_set, made.owner, keep,
                   secrets=dict(state.secrets), model=scenario)
