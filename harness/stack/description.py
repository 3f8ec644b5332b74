"""What a run looks like from outside: status rows, URLs, the description the suites read."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from harness import wait
from harness.naming import DEFAULT_CHROOT
from harness.artifacts import packages
from harness.errors import InfraError
from harness.model.components import Component, all_components
from harness.model.scenario import Scenario, load_scenario
from harness.model.target import Target
from harness.paths import make_state_dir
from harness.podman.engine import Engine
from harness.stack import users
from harness.stack.probes import check_ready
from harness.stack.registry import RunInfo

# The URLs a target file gives (the other components are reached only through these).
TARGET_URLS = ("frontend", "backend", "distgit")


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


def url(engine: Engine, run_id: str, component: Component) -> str:
    """The URL a client on this host uses for a component (its first published port)."""
    if not component.ports:
        return ""
    first = component.instances(run_id)[0]
    return f"http://127.0.0.1:{engine.published_port(first.name, component.ports[0])}"


def status(engine: Engine, info: RunInfo) -> list[ComponentStatus]:
    """The state, readiness, URL and installed packages of each component of a run."""
    defined = all_components()
    origins = expected_origins(info)
    rows = []
    for component in info.components:
        spec = defined[component]
        for instance in info.run.instances(component):
            state = engine.state(instance.name)
            row = ComponentStatus(component, instance.name, state, ready=False,
                                  origins=origins.get(component, {}))
            if state == "running":
                try:
                    check_ready(engine, spec, instance.name)
                    row.ready = True
                except (wait.NotYet, InfraError) as error:
                    row.detail = str(error).splitlines()[0]
                row.url = url(engine, info.run_id, spec)
                row.packages = packages.installed(engine, instance.name)
            rows.append(row)
    return rows


def scenario_of(info: RunInfo) -> Scenario | None:
    """The run's scenario: the one `up` returned it with, else (another process: `env`, a
    suite against a kept run) the file its label names, if that is still there."""
    if info.model is not None:
        return info.model
    if info.scenario and Path(info.scenario).is_file():
        return load_scenario(Path(info.scenario))[1]
    return None


def expected_origins(info: RunInfo) -> dict[str, dict[str, str]]:
    """Where each component's packages come from (spec, rpm, PyPI pin, sdist, source dir +
    patches), by the run's scenario; empty when the scenario file is gone."""
    scenario = scenario_of(info)
    if scenario is None:
        return {}
    found = {}
    for component in info.components:
        versions = scenario.component_set(info.package_set or "candidate", component)
        found[component] = {name: versions[name].origin for name in scenario.packages_of(component)}
    return found


def expected_packages(info: RunInfo, scenario: Scenario, package_set: str
                      ) -> tuple[dict[str, list[str]], dict[str, dict[str, str]]]:
    """The NVRs each container (by short name) must have installed at `package_set`, and where
    each of them came from."""
    expected: dict[str, list[str]] = {}
    origins: dict[str, dict[str, str]] = {}
    for component in info.components:
        versions = scenario.component_set(package_set, component)
        nvrs = {f"{name}-{versions[name].evr}": versions[name].origin
                for name in scenario.packages_of(component)}
        for instance in info.run.instances(component):
            expected[instance.short], origins[instance.short] = list(nvrs), dict(nvrs)
    return expected, origins


def describe(engine: Engine, info: RunInfo, package_set: str | None = None) -> dict:
    """The stack as a target file (harness.model.target): URLs, users' copr-cli configs (by
    path), testinfra hosts, NVRs (expected at `package_set`, by default the set the run was
    brought up with) and where they came from, probes.

    The suites read only this (through COPR_STACK), so they run the same against any Copr given
    by a target file.
    """
    defined = all_components()
    run = info.run
    urls = {c: url(engine, run.id, defined[c]) for c in TARGET_URLS
            if c in info.components and defined[c].ports}
    scenario = scenario_of(info)
    expected, origins = (
        expected_packages(info, scenario, package_set or info.package_set or "candidate")
        if scenario is not None else ({}, {}))
    probes: dict[str, dict] = {}
    for component in info.components:
        probe = defined[component].probe
        for instance in run.instances(component):
            if probe and probe.http:
                port = engine.published_port(instance.name, probe.http.port)
                probes[instance.short] = {"http": f"http://127.0.0.1:{port}{probe.http.path}"}
            elif probe and probe.exec:
                probes[instance.short] = {"exec": probe.exec}
    manifest = run.state_dir / "data-manifest.json"
    return {
        "run_id": run.id,
        "urls": urls,
        "users": {name: str(path) for name, path in users.configs(run.id).items()},
        "default_user": users.DEFAULT_USER,
        "owner": users.DEFAULT_USER,
        "group": "copr",
        "chroots": [DEFAULT_CHROOT],
        "hosts": {instance.short: f"podman://{instance.name}" for instance in run.instances()},
        "expected_packages": expected,
        # Where each expected package came from: spec, rpm, PyPI pin, sdist, source dir + patches.
        "package_origins": origins,
        "probes": probes,
        # Made by a rehearsal before its window: what the post-release suite checks is intact.
        "data_manifest": str(manifest) if manifest.exists() else None,
    }


def write_target(engine: Engine, info: RunInfo, path: Path, hosts: bool = False) -> Path:
    """Write a run's target file (YAML) to `path`, checked by the same model that reads it.
    Black-box unless `hosts`: URLs, copr-cli configs, owner, chroots and expected NVRs only."""
    data = describe(engine, info)
    if not hosts:
        data |= {"hosts": {}, "probes": {}}
    Target.model_validate(data)  # a run that cannot be described is a bug here, not bad input
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def write_description(engine: Engine, info: RunInfo, package_set: str | None = None) -> Path:
    """Write `describe()` to the run's state folder (stack.json, a target file in JSON, which
    YAML reads too); return its path."""
    path = make_state_dir(info.run_id) / "stack.json"
    path.write_text(json.dumps(describe(engine, info, package_set), indent=2) + "\n")
    return path


def environment(engine: Engine, info: RunInfo) -> dict[str, str]:
    """The variables that point clients (the suites, copr-cli) at a run; writes stack.json,
    which COPR_STACK names."""
    defined = all_components()
    values = {"COPR_HARNESS_RUN_ID": info.run_id}
    for component in info.components:
        spec = defined[component]
        if spec.url_variable:
            values[spec.url_variable] = url(engine, info.run_id, spec)
    found = users.configs(info.run_id)
    if users.DEFAULT_USER in found:
        values["COPR_CONFIG"] = str(found[users.DEFAULT_USER])
    for name, path in found.items():
        values[f"COPR_CONFIG_{name.upper()}"] = str(path)
    values["COPR_STACK"] = str(write_description(engine, info))
    return values


def env_lines(engine: Engine, info: RunInfo) -> list[str]:
    """`export` lines of `environment()` (what `copr-harness env` and `up` print). Values are
    quoted for the shell: `eval "$(copr-harness env)"` must set a folder named `$(...)` without
    running it."""
    return export_lines(environment(engine, info))


def export_lines(values: dict[str, str]) -> list[str]:
    """`export NAME=value` lines, each value quoted for the shell."""
    return [f"export {key}={shlex.quote(value)}" for key, value in values.items()]
