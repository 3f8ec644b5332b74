"""Stack lifecycle: bring a run's components up, describe them, and take them down."""

from __future__ import annotations

import contextlib
import json
import secrets
import subprocess
import tempfile
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests

from . import images, interrupts, owner, packages, progress, reports, users, wait
from .components import Component, all_components, start_order
from .engine import ContainerSpec, Engine, sweep_services
from .phases import Event, record
from .errors import InfraError, InputError
from .interrupts import Interrupted  # noqa: F401 - its historical home
from .naming import (
    LABEL_COMPONENT, LABEL_KEPT, LABEL_OWNER, LABEL_RUN, LABEL_SCENARIO, check_run_id, labels,
    marker_name, network_name,
)
from .scenario import Scenario, load_scenario

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


@dataclass
class ComponentStatus:
    """One row of `status`."""

    component: str
    container: str
    state: str
    ready: bool
    url: str = ""
    packages: list[str] = field(default_factory=list)
    detail: str = ""
    origins: dict[str, str] = field(default_factory=dict)  # package -> where it came from


# -- finding runs --------------------------------------------------------------------------------


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


def check_ready(engine: Engine, spec: Component, name: str, http_port: int | None = None) -> None:
    """One readiness poll of one container; NotYet while starting, InfraError when it died.
    `http_port` is the host port of an HTTP probe when the container itself publishes none
    (a played pod publishes through its infra container)."""
    state = engine.state(name)
    if state != "running":
        raise InfraError(f"{spec.name}: container {name} is {state}\n{last_log(engine, name)}")
    probe = spec.probe
    assert probe is not None
    if probe.exec:
        result = engine.exec(name, probe.exec)
        if result.ok:
            return
        reason = f"'{' '.join(probe.exec)}' exited {result.exit_code}"
    else:
        assert probe.http is not None
        port = http_port or engine.published_port(name, probe.http.port)
        url = f"http://127.0.0.1:{port}{probe.http.path}"
        try:
            response = requests.get(url, timeout=5)
        except requests.RequestException as error:
            reason = f"GET {url}: {type(error).__name__}"
        else:
            if response.ok:
                return
            reason = f"GET {url} answered {response.status_code}"
    # Not ready: fail at once if a service already died instead of waiting out the timeout.
    services = engine.exec(name, ["svc", "status"])
    if not services.ok:
        raise InfraError(f"{spec.name}: a service stopped ({services.output.strip()})\n"
                         + last_log(engine, name))
    raise wait.NotYet(reason)


def wait_ready(engine: Engine, spec: Component, name: str,
               abort: threading.Event | None = None, http_port: int | None = None) -> None:
    """Poll a container's probe until it is ready, within the component's timeout; `abort`
    ends the wait early (a sibling component of the same bring-up failed)."""
    assert spec.probe is not None

    def poll() -> None:
        if abort is not None and abort.is_set():
            raise InfraError(f"{spec.name}: bring-up aborted")
        check_ready(engine, spec, name, http_port)

    wait.until(poll, what=f"{name} to be ready", timeout=spec.probe.timeout,
               context=lambda: last_log(engine, name))


def last_log(engine: Engine, container: str) -> str:
    """A container's last log lines, for error messages."""
    text = engine.logs(container, tail=30).rstrip()
    return f"last log lines of {container}:\n{text}" if text else f"{container} logged nothing"


def new_secrets() -> dict[str, str]:
    """Passwords and keys made for one run only (never written into the project)."""
    made = {"db_password": secrets.token_urlsafe(18), "backend_password": secrets.token_urlsafe(18)}
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


class _Up:
    """One `up`: the state shared by the threads that bring components up."""

    def __init__(self, engine: Engine, run_id: str, components: list[str],
                 run_secrets: dict[str, str] | None = None) -> None:
        self.engine = engine
        self.run_id = run_id
        self.components = components
        self.defined = all_components()
        self.abort = threading.Event()
        self.secrets = run_secrets or new_secrets()
        self.events: list[Event] = []  # the bring-up timeline of the report (bringup.json)

    def phase(self, container: str, name: str) -> contextlib.AbstractContextManager[Event]:
        """Time a phase of a container (its lane: the name without the run id)."""
        return record(self.events, container.removeprefix(f"{self.run_id}-"), name)

    def save_events(self) -> Path:
        """Write the bring-up's phases to the run's report folder (bringup.json)."""
        path = reports.run_dir(self.run_id) / "bringup.json"
        path.write_text(json.dumps({"run_id": self.run_id,
                                    "events": [vars(e) for e in self.events]}, indent=1) + "\n")
        return path

    def containers(self, component: str) -> list[str]:
        return [name for name, _ in self.defined[component].instances(self.run_id)]

    def all_containers(self) -> dict[str, str]:
        """Container name -> component, for every instance of every component."""
        return {name: c for c in self.components for name in self.containers(c)}

    def create(self, component: str, image: str, owner_token: str,
               only: str | None = None) -> None:
        """Create a component's containers (with `only`, just that one) and their volumes."""
        spec = self.defined[component]
        run_labels = labels(self.run_id, component) | {LABEL_OWNER: owner_token}
        for name, aliases in spec.instances(self.run_id):
            if only and name != only:
                continue
            with self.phase(name, "create"):
                volumes = {}
                for volume, mount in spec.volumes.items():
                    volume_name = f"{name}-{volume}"
                    self.engine.create_volume(volume_name, run_labels)
                    volumes[volume_name] = mount
                self.engine.create_container(ContainerSpec(
                    name=name, image=image, labels=run_labels, network=network_name(self.run_id),
                    aliases=aliases, volumes=volumes, ports=spec.ports, memory_mb=spec.memory_mb,
                ))

    def write_env(self, only: str | None = None, container: str | None = None) -> None:
        """Render each component's environment into its containers' stack.env (before start);
        with `only`, just that component's, with `container` just that container's."""
        internal, public, hosts = {}, {}, {}
        for component in self.components:
            spec = self.defined[component]
            instances = spec.instances(self.run_id)
            hosts[component] = " ".join(aliases[0] for _, aliases in instances)
            if spec.ports:
                internal[component] = f"http://{instances[0][1][0]}:{spec.ports[0]}"
                port = self.engine.published_port(instances[0][0], spec.ports[0])
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
    scenario_path: Path,
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
    """
    check_run_id(run_id)
    if run_id in engine.run_ids():
        raise InputError(f"run id '{run_id}' is already in use: choose another, "
                         f"or remove it with 'copr-harness down --run-id {run_id}'")
    components = scenario.components
    package_versions = scenario.package_set(package_set)
    state = _Up(engine, run_id, components)
    defined = state.defined

    with progress.step(f"building packages ({package_set} set)"), state.phase("harness", "packages"):
        rpms = {c: list(packages.build_set(defined[c].packages, package_versions, c).values())
                for c in components}
    # An inconsistent set is refused here, before anything is created.
    packages.check_installable(rpms, f"{scenario_path} ({package_set} set)")
    with state.phase("harness", "images"):
        image_tags = {name: result.tag for name, result in images.ensure(engine, components).items()}

    owner_token = owner.token()
    marker = labels(run_id) | {
        LABEL_OWNER: owner_token, LABEL_SCENARIO: str(scenario_path),
        LABEL_COMPONENTS: ",".join(components), LABEL_PACKAGE_SET: package_set,
    }
    progress.say(f"run {run_id}: bringing up {', '.join(components)}")
    try:
        engine.create_volume(marker_name(run_id), marker)
        engine.create_network(network_name(run_id), labels(run_id) | {LABEL_OWNER: owner_token})
        with progress.step("starting containers"):
            for component in components:
                state.create(component, image_tags[component], owner_token)
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
        if "frontend" in components:
            with progress.step("creating users and their copr-cli configs"), \
                    state.phase("harness", "users"):
                users.create(engine, run_id, state.containers("frontend")[0])
        if keep:
            # Mark the run as kept: gc leaves it alone after this process ends.
            engine.remove_volume(marker_name(run_id))
            engine.create_volume(marker_name(run_id), marker | {LABEL_KEPT: "yes"})
    except BaseException as error:
        with contextlib.suppress(OSError):  # the timeline must not hide the failure
            state.save_events()
        _fail(engine, state, error, keep_on_failure)
        raise
    state.save_events()
    return RunInfo(run_id, components, str(scenario_path), package_set, owner_token, keep,
                   secrets=dict(state.secrets))


def replace_instances(engine: Engine, info: RunInfo, component: str, rpms: list[Path]) -> None:
    """Replace a component's containers, one at a time, with new ones running `rpms` (as
    resalloc replaces builders: the others keep serving meanwhile). Same names and aliases, the
    run's own secrets; each new one is ready before the next is replaced."""
    if not info.secrets:
        raise InfraError(f"replacing {component} needs the run's secrets: only the process that "
                         "brought the run up has them")
    state = _Up(engine, info.run_id, info.components, run_secrets=info.secrets)
    image = images.component_tag(component)
    spec = state.defined[component]
    for name in state.containers(component):
        engine.remove_container(name)
        state.create(component, image, info.owner, only=name)
        # Started before its stack.env is written: its services come with its packages,
        # installed below, and copying into a just-created container intermittently failed.
        engine.start(name)
        state.write_env(only=component, container=name)
        packages.install(engine, name, rpms)
        result = engine.exec(name, ["svc", "start"])
        if not result.ok:
            raise InfraError(f"{name}: 'svc start' failed: {result.output.strip()}")
        wait_ready(engine, spec, name)


def _fail(engine: Engine, state: _Up, error: BaseException, keep: bool) -> None:
    """Save logs, then remove the run unless asked to keep it for inspection."""
    with interrupts.deferred():
        _save_and_remove(engine, state, error, keep)


def _save_and_remove(engine: Engine, state: _Up, error: BaseException, keep: bool) -> None:
    why = "interrupted" if isinstance(error, KeyboardInterrupt) else "failed"
    try:
        containers = [name for name in state.all_containers() if engine.exists(name)]
        folder = reports.save_logs(engine, state.run_id, containers)
        progress.say(f"run {state.run_id} {why}: container logs saved in {folder}")
    except Exception as log_error:  # noqa: BLE001 - teardown must go on
        progress.say(f"could not save logs: {log_error}")
    if keep:
        progress.say(f"keeping run {state.run_id} for inspection; remove it with "
                     f"'copr-harness down --run-id {state.run_id}'")
        return
    down(engine, state.run_id)


# -- describing and removing a stack -------------------------------------------------------------


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


def url(engine: Engine, run_id: str, component: Component) -> str:
    """The URL a client on this host uses for a component (its first published port)."""
    if not component.ports:
        return ""
    first = component.instances(run_id)[0][0]
    return f"http://127.0.0.1:{engine.published_port(first, component.ports[0])}"


def status(engine: Engine, info: RunInfo) -> list[ComponentStatus]:
    """The state, readiness, URL and installed packages of each component of a run."""
    defined = all_components()
    origins = expected_origins(info)
    rows = []
    for component in info.components:
        spec = defined[component]
        for name, _ in spec.instances(info.run_id):
            state = engine.state(name)
            row = ComponentStatus(component, name, state, ready=False,
                                  origins=origins.get(component, {}))
            if state == "running":
                try:
                    check_ready(engine, spec, name)
                    row.ready = True
                except (wait.NotYet, InfraError) as error:
                    row.detail = str(error).splitlines()[0]
                row.url = url(engine, info.run_id, spec)
                row.packages = packages.installed(engine, name)
            rows.append(row)
    return rows


def expected_origins(info: RunInfo) -> dict[str, dict[str, str]]:
    """Where each component's packages come from (spec, rpm, PyPI pin, sdist, source dir +
    patches), by the run's scenario; empty when the scenario file is gone."""
    if not info.scenario or not Path(info.scenario).is_file():
        return {}
    _, scenario = load_scenario(Path(info.scenario))
    defined = all_components()
    found = {}
    for component in info.components:
        versions = scenario.component_set(info.package_set or "candidate", component)
        found[component] = {name: versions[name].origin for name in defined[component].packages}
    return found


def containers_of(info: RunInfo) -> list[str]:
    """The container names of every instance of every component of a run."""
    defined = all_components()
    return [name for c in info.components for name, _ in defined[c].instances(info.run_id)]


def describe(engine: Engine, info: RunInfo) -> dict:
    """The stack as the suites see it: URLs, users' copr-cli configs, testinfra hosts, NVRs.

    The suites read only this (through COPR_STACK), so they can run against any Copr whose
    description is written in the same shape.
    """
    defined = all_components()
    urls = {c: url(engine, info.run_id, defined[c]) for c in info.components if defined[c].ports}
    expected: dict[str, list[str]] = {}
    origins: dict[str, dict[str, str]] = {}
    if info.scenario and Path(info.scenario).is_file():
        _, scenario = load_scenario(Path(info.scenario))
        for component in info.components:
            package_set = scenario.component_set(info.package_set or "candidate", component)
            nvrs = [f"{name}-{package_set[name].evr}" for name in defined[component].packages]
            where = {f"{name}-{package_set[name].evr}": package_set[name].origin
                     for name in defined[component].packages}
            for name, _ in defined[component].instances(info.run_id):
                expected[name.removeprefix(f"{info.run_id}-")] = nvrs
                origins[name.removeprefix(f"{info.run_id}-")] = where
    probes: dict[str, dict] = {}
    for component in info.components:
        probe = defined[component].probe
        for name, _ in defined[component].instances(info.run_id):
            short = name.removeprefix(f"{info.run_id}-")
            if probe and probe.http:
                port = engine.published_port(name, probe.http.port)
                probes[short] = {"http": f"http://127.0.0.1:{port}{probe.http.path}"}
            elif probe and probe.exec:
                probes[short] = {"exec": probe.exec}
    manifest = users.state_dir(info.run_id) / "data-manifest.json"
    return {
        "run_id": info.run_id,
        "urls": urls,
        "probes": probes,
        # Made by a rehearsal before its window: what the post-release suite checks is intact.
        "data_manifest": str(manifest) if manifest.exists() else None,
        "users": {name: str(path) for name, path in users.configs(info.run_id).items()},
        "default_user": users.DEFAULT_USER,
        "group": "copr",
        "hosts": {name.removeprefix(f"{info.run_id}-"): f"podman://{name}"
                  for name in containers_of(info)},
        "expected_packages": expected,
        # Where each expected package came from: spec, rpm, PyPI pin, sdist, source dir + patches.
        "package_origins": origins,
    }


def write_description(engine: Engine, info: RunInfo) -> Path:
    """Write `describe()` to the run's state folder (stack.json); return its path."""
    path = users.state_dir(info.run_id) / "stack.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(describe(engine, info), indent=2) + "\n")
    return path


def env_lines(engine: Engine, info: RunInfo) -> list[str]:
    """`export` lines that point clients (the suites, copr-cli) at a run."""
    defined = all_components()
    lines = [f"export COPR_HARNESS_RUN_ID={info.run_id}"]
    for component in info.components:
        spec = defined[component]
        if spec.url_variable:
            lines.append(f"export {spec.url_variable}={url(engine, info.run_id, spec)}")
    found = users.configs(info.run_id)
    if users.DEFAULT_USER in found:
        lines.append(f"export COPR_CONFIG={found[users.DEFAULT_USER]}")
    for name, path in found.items():
        lines.append(f"export COPR_CONFIG_{name.upper()}={path}")
    lines.append(f"export COPR_STACK={write_description(engine, info)}")
    return lines
