"""What a run looks like from outside: status rows, URLs, the description the suites read."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from harness import wait
from harness.artifacts import packages
from harness.errors import InfraError
from harness.model.components import Component, all_components
from harness.model.scenario import load_scenario
from harness.model.target import Target
from harness.paths import make_state_dir, state_dir
from harness.podman.engine import Engine
from harness.stack import users
from harness.stack.probes import check_ready
from harness.stack.registry import RunInfo, containers_of

# The URLs a target file gives (the other components are reached only through these).
TARGET_URLS = ("frontend", "backend", "distgit")
CHROOT = "fedora-44-x86_64"  # the one chroot the stack's builders serve


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
    found = {}
    for component in info.components:
        versions = scenario.component_set(info.package_set or "candidate", component)
        found[component] = {name: versions[name].origin for name in scenario.packages_of(component)}
    return found


def describe(engine: Engine, info: RunInfo) -> dict:
    """The stack as a target file (harness.model.target): URLs, users' copr-cli configs (by
    path), testinfra hosts, expected NVRs, probes.

    The suites read only this (through COPR_STACK), so they run the same against any Copr given
    by a target file.
    """
    defined = all_components()
    urls = {c: url(engine, info.run_id, defined[c]) for c in TARGET_URLS
            if c in info.components and defined[c].ports}
    expected: dict[str, list[str]] = {}
    origins: dict[str, dict[str, str]] = {}
    if info.scenario and Path(info.scenario).is_file():
        _, scenario = load_scenario(Path(info.scenario))
        for component in info.components:
            package_set = scenario.component_set(info.package_set or "candidate", component)
            nvrs = [f"{name}-{package_set[name].evr}" for name in scenario.packages_of(component)]
            where = {f"{name}-{package_set[name].evr}": package_set[name].origin
                     for name in scenario.packages_of(component)}
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
    manifest = state_dir(info.run_id) / "data-manifest.json"
    return {
        "run_id": info.run_id,
        "urls": urls,
        "users": {name: str(path) for name, path in users.configs(info.run_id).items()},
        "default_user": users.DEFAULT_USER,
        "owner": users.DEFAULT_USER,
        "group": "copr",
        "chroots": [CHROOT],
        "hosts": {name.removeprefix(f"{info.run_id}-"): f"podman://{name}"
                  for name in containers_of(info)},
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


def write_description(engine: Engine, info: RunInfo) -> Path:
    """Write `describe()` to the run's state folder (stack.json, a target file in JSON, which
    YAML reads too); return its path."""
    path = make_state_dir(info.run_id) / "stack.json"
    path.write_text(json.dumps(describe(engine, info), indent=2) + "\n")
    return path


def env_lines(engine: Engine, info: RunInfo) -> list[str]:
    """`export` lines that point clients at a run. Values are quoted for the shell:
    `eval "$(copr-harness env)"` must set a folder named `$(...)` without running it."""
    return [f"export {key}={shlex.quote(value)}" for key, value in env_values(engine, info).items()]


def env_values(engine: Engine, info: RunInfo) -> dict[str, str]:
    """The variables that point clients (the suites, copr-cli) at a run."""
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
