"""Component definitions: `containers/<component>/component.yaml`, one folder per component."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from harness.errors import InputError
from harness.model.config import FieldError, load_model
from harness.paths import CONTAINERS

# An RPM name as a spec file name: no glob characters (spec_path globs) and no path.
_PACKAGE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")
# A service of `svc` (containers/base/image/svc): a file name under /etc/copr-harness/services.
_SERVICE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def check_services(names: list[str] | None, upgrade: str) -> list[str] | None:
    """`names` as an `upgrade_restarts` value: svc service names, at least one, each once, and
    only for a component upgraded in place (ValueError says which rule is broken)."""
    if names is None:
        return None
    if upgrade not in ("restart", "migrate"):
        raise ValueError(f"only a component upgraded in place (upgrade: restart or migrate) "
                         f"restarts services; this one's upgrade is '{upgrade}'")
    if not names:
        raise ValueError("lists no service: leave it out to restart every service")
    for name in names:
        if not _SERVICE_RE.fullmatch(name):
            raise ValueError(f"'{name}' is not a service name (letters, digits and . _ -)")
        if names.count(name) > 1:
            raise ValueError(f"service '{name}' is listed twice")
    return names


class HttpProbe(BaseModel):
    """Ready when GET of `path` on the published `port` answers 2xx."""

    model_config = ConfigDict(extra="forbid")
    port: int
    path: str = "/"


class Probe(BaseModel):
    """How to tell a component is ready: an HTTP GET or a command run inside it."""

    model_config = ConfigDict(extra="forbid")
    http: HttpProbe | None = None
    exec: list[str] | None = None
    timeout: float = Field(60, gt=0, le=3600)

    @model_validator(mode="after")
    def _one_kind(self) -> "Probe":
        if (self.http is None) == (self.exec is None):
            raise ValueError("give exactly one of 'http' or 'exec'")
        return self


@dataclass(frozen=True)
class Instance:
    """One container of a component in a run."""

    name: str  # the container's name: <run-id>-<short>
    short: str  # its name within the run (the component, or builder-1, builder-2, ...)
    aliases: list[str]  # its host names on the run's network; the first is the canonical one


class Component(BaseModel):
    """One service of the stack (or, with `library`, a package without a container)."""

    model_config = ConfigDict(extra="forbid")
    name: str = ""
    description: str = ""
    library: bool = False
    packages: list[str] = []
    aliases: list[str] = []
    depends_on: list[str] = []
    ports: list[int] = []
    url_variable: str | None = None
    volumes: dict[str, str] = {}
    # Rendered per run into /etc/copr-harness/stack.env (mode 0600), which `svc` exports to the
    # services: placeholders {secrets[...]}, {internal[component]}, {public[component]} and
    # {hosts[component]} (the aliases of a component's instances, space-separated).
    environment: dict[str, str] = {}
    probe: Probe | None = None
    memory_mb: int | None = None
    replicas: int = Field(1, ge=1, le=8)
    # Its step in the release window: restart (stop, rpm -Uvh, start), migrate (the same, plus a
    # dump of `database` and `alembic upgrade head` before the start), replace (new containers,
    # one at a time, as resalloc replaces builders), or none (not upgraded in the window).
    upgrade: Literal["restart", "migrate", "replace", "none"] = "restart"
    database: str | None = None  # with upgrade: migrate, the component that holds its schema
    # The services (svc names) its step stops and starts around the rpm transaction, and its
    # rollback restarts: those that run the upgraded code. None: every service it has. Those
    # left out keep running through the step (state kept in memory, work in progress).
    upgrade_restarts: list[str] | None = None
    # A folder of log files its services write (beside what they print): saved with its
    # container log, into logs/<instance>/, when a run's logs are saved.
    log_dir: str | None = None
    # The port it serves the stack on when it publishes none (what dependants wait for).
    service_port: int | None = None
    users: bool = False  # the stack's users (and their copr-cli configs) are created in it
    # In a stack only when its scenario lists it (a scenario without `components` leaves it out).
    opt_in: bool = False

    def instances(self, run_id: str) -> list[Instance]:
        """The containers of this component in one run: one, or `replicas` numbered ones."""
        if self.replicas == 1:
            return [Instance(f"{run_id}-{self.name}", self.name, self.aliases or [self.name])]
        return [Instance(f"{run_id}-{self.name}-{i}", f"{self.name}-{i}", [f"{self.name}-{i}"])
                for i in range(1, self.replicas + 1)]

    @property
    def folder(self) -> Path:
        return CONTAINERS / self.name

    @model_validator(mode="after")
    def _consistent(self) -> "Component":
        if not self.library and self.probe is None:
            raise ValueError("a component with a container needs a 'probe'")
        if self.probe and self.probe.http and self.probe.http.port not in self.ports:
            raise ValueError(f"probe port {self.probe.http.port} is not among 'ports'")
        if (self.upgrade == "migrate") != (self.database is not None):
            raise ValueError("'upgrade: migrate' and 'database' go together")
        try:
            check_services(self.upgrade_restarts, self.upgrade)
        except ValueError as error:
            raise FieldError(("upgrade_restarts",), str(error)) from None
        return self


@cache
def all_components() -> dict[str, Component]:
    """Every component defined under containers/, by name."""
    found = {}
    for path in sorted(CONTAINERS.glob("*/component.yaml")):
        component = load_model(path, Component)
        component.name = path.parent.name
        found[component.name] = component
    for component in found.values():
        for dep in component.depends_on:
            if dep not in found:
                raise InputError(
                    f"{component.folder / 'component.yaml'}: depends_on: unknown component '{dep}'"
                )
        if component.database is not None and component.database not in found:
            raise InputError(f"{component.folder / 'component.yaml'}: database: unknown component "
                             f"'{component.database}'")
    return found


def services() -> dict[str, Component]:
    """The components that run as containers."""
    return {name: c for name, c in all_components().items() if not c.library}


def start_order(names: list[str]) -> list[list[str]]:
    """Group components into waves: each wave depends only on earlier ones."""
    defined = all_components()
    remaining, done, waves = list(names), set(), []
    while remaining:
        wave = [n for n in remaining if all(d in done or d not in names for d in defined[n].depends_on)]
        if not wave:
            raise InputError(f"components depend on each other in a cycle: {', '.join(remaining)}")
        waves.append(wave)
        done.update(wave)
        remaining = [n for n in remaining if n not in done]
    return waves


def spec_path(package: str) -> Path:
    """The spec file that builds `package`: `containers/<component>/<package>.spec`."""
    if not _PACKAGE_RE.fullmatch(package) or ".." in package:
        raise InputError(f"'{package}' is not a package name (letters, digits and . _ + -)")
    matches = sorted(CONTAINERS.glob(f"*/{package}.spec"))
    if not matches:
        raise InputError(f"unknown package '{package}': no containers/*/{package}.spec")
    return matches[0]
