"""Scenario files (`scenarios/*.yaml`): which package versions a stack runs."""

from __future__ import annotations

from pathlib import Path

from typing import Literal

from pydantic import (
    BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo, field_validator, model_validator,
)

from harness.artifacts import pysource
from harness.errors import InputError
from harness.model.rules import RULES
from harness.model import rpmfile
from harness.model.components import all_components, check_services, services, spec_path
from harness.model.config import FieldError, load_model
from harness.model.versions import check_version
from harness.paths import ROOT

DEFAULT_SCENARIO = ROOT / "scenarios" / "default.yaml"


def _no_float(value: object, what: str) -> object:
    if isinstance(value, float):
        raise ValueError(
            f"{what} {value!r} was read by YAML as a number: write it in quotes (e.g. '2.10')"
        )
    return value


class PackageVersion(BaseModel):
    """One package of a set: its version, release, and the build-time macros of its spec; or a
    prebuilt RPM file (`rpm`, relative to the scenario file) whose header gives the version; or
    Python code wrapped into an RPM (harness.artifacts.pyrpm): a PyPI pin (`pypi`), an sdist
    file (`sdist`) or a source directory (`source`), with `patches` applied on top, `requires`
    for the RPM, and the version of the code unless `version`/`release` override it.
    `by_component` gives other versions of the package to some components (mixed versions)."""

    model_config = ConfigDict(extra="forbid")
    version: str = ""
    release: str = "1"
    macros: dict[str, str | int] = {}
    rpm: Path | None = None
    pypi: str | None = None
    sdist: Path | None = None
    source: Path | None = None
    patches: list[Path] = []
    requires: list[str] | None = None
    by_component: dict[str, "PackageVersion"] = {}
    _header: rpmfile.RpmHeader | None = PrivateAttr(None)
    _python: pysource.Source | None = PrivateAttr(None)

    @field_validator("version", "release", mode="before")
    @classmethod
    def _version_text(cls, value: object) -> object:
        return _no_float(value, "version")

    @field_validator("version", "release")
    @classmethod
    def _rpm_version(cls, value: str) -> str:
        return check_version(value)

    @field_validator("macros", mode="before")
    @classmethod
    def _macro_values(cls, value: object) -> object:
        if isinstance(value, dict):
            for key, item in value.items():
                _no_float(item, f"macro {key}")
        return value

    @field_validator("macros")
    @classmethod
    def _macro_names(cls, value: dict[str, str | int]) -> dict[str, str | int]:
        for key, item in value.items():
            if not key.replace("_", "").isalnum() or key[0].isdigit():
                raise ValueError(f"'{key}' is not a valid RPM macro name")
            # rpmbuild runs on the host as the harness's user: rpm expands a '%' in a --define
            # value ('%(cmd)' runs a shell, '%{lua:...}' Lua, '%{expand:...}' builds either), and
            # a newline would end the definition.
            if isinstance(item, str) and ("%" in item or any(ord(c) < 32 or ord(c) == 127 for c in item)):
                raise FieldError((key,), "may not contain '%' or a control character (rpm would "
                                 "expand it on the host: '%(...)' runs a shell)")
        return value

    @model_validator(mode="after")
    def _version_or_rpm(self, info: ValidationInfo) -> "PackageVersion":
        if self._header is not None or self._python is not None:
            return self  # checked already (pydantic may run this twice on a nested model)
        scenario_file = (info.context or {}).get("file")
        base = Path(scenario_file).parent if scenario_file is not None else Path.cwd()
        kinds = [kind for kind in ("rpm", "pypi", "sdist", "source") if getattr(self, kind) is not None]
        if len(kinds) > 1:
            raise FieldError((kinds[1],), f"give one of rpm, pypi, sdist or source, not {' and '.join(kinds)}")
        for nested, package in self.by_component.items():
            if package.by_component:
                raise FieldError(("by_component", nested, "by_component"), "is not allowed here")
        if kinds and kinds[0] != "rpm":
            self._python = _python_source(self, kinds[0], base)
            return self
        for field in ("patches", "requires"):
            if field in self.model_fields_set:
                raise FieldError((field,), f"'{field}' goes with a Python source (pypi, sdist or source)")
        if self.rpm is None:
            if not self.version:
                raise ValueError("give 'version' (built from the spec), 'rpm' (a prebuilt file), or Python code: "
                                 "'pypi', 'sdist' or 'source'")
            return self
        given = [f for f in ("version", "release", "macros") if f in self.model_fields_set]
        if given:
            raise FieldError((given[0],), f"'{given[0]}' comes from the prebuilt RPM file: "
                             "give either 'rpm' or version/release/macros")
        self.rpm = (base / self.rpm).absolute()
        try:
            self._header = rpmfile.read(self.rpm)
        except ValueError as error:
            raise FieldError(("rpm",), str(error)) from None
        self.version, self.release = self._header.version, self._header.release
        return self

    @property
    def evr(self) -> str:
        return f"{self.version}-{self.release}"

    @property
    def header(self) -> rpmfile.RpmHeader | None:
        """The header of a prebuilt RPM (None for a package built from its spec)."""
        return self._header

    @property
    def python_source(self) -> pysource.Source | None:
        """Where the Python code of a wrapped package comes from (None otherwise)."""
        return self._python

    @property
    def origin(self) -> str:
        """Where the package comes from, for status, plan and reports."""
        if self._python is not None:
            return self._python.describe()
        if self.rpm is not None:
            return f"prebuilt rpm {self.rpm.name}"
        return "spec"

    def for_component(self, component: str | None) -> "PackageVersion":
        """This package as `component` gets it (its `by_component` entry, if any)."""
        return self.by_component.get(component, self) if component else self


def _python_source(package: PackageVersion, kind: str, base: Path) -> pysource.Source:
    """Check a Python source's fields (files exist, pin syntax), fill in its version."""
    if package.macros:
        raise FieldError(("macros",), "macros apply to packages built from a spec, not to "
                         f"'{kind}'")
    given = getattr(package, kind)
    try:
        if kind == "pypi":
            where, version = package.pypi.strip(), pysource.check_pin(package.pypi)[1]
        elif kind == "sdist":
            path = (base / given).absolute()
            pysource.check_sdist(path)
            where, version = str(path), pysource.sdist_version(path)
        else:
            path = (base / given).absolute()
            pysource.check_source_dir(path)
            where, version = str(path), pysource.source_version(path)
    except ValueError as error:
        raise FieldError((kind,), str(error)) from None
    patches = []
    for index, patch in enumerate(package.patches):
        path = (base / patch).absolute()
        try:
            pysource.check_patch(path)
        except ValueError as error:
            raise FieldError(("patches", index), str(error)) from None
        patches.append(path)
    if "version" not in package.model_fields_set:
        if not version:
            raise FieldError((kind,), f"cannot tell the version of {given}: give 'version'")
        try:
            package.version = check_version(version)
        except ValueError as error:
            raise FieldError((kind,), f"{error}; give 'version' (an RPM version)") from None
    return pysource.Source(kind, where, tuple(patches))


PRODUCTION_ORDER = ["backend", "keygen", "frontend", "distgit", "builder"]


class Upgrade(BaseModel):
    """How the release window runs: the order of the steps and the time it may take."""

    model_config = ConfigDict(extra="forbid")
    order: list[str] = PRODUCTION_ORDER
    budget_seconds: float = Field(600, gt=0, le=86400, allow_inf_nan=False)
    queued_builds: int = Field(2, ge=0, le=20)
    # How long the queued builds may take after the window before builds-completed fails.
    queued_builds_seconds: float = Field(90, gt=0, le=86400, allow_inf_nan=False)

    @field_validator("order")
    @classmethod
    def _known_steps(cls, value: list[str]) -> list[str]:
        known = services()
        for name in value:
            if name not in known or known[name].upgrade == "none":
                raise ValueError(f"unknown upgrade step '{name}' "
                                 f"(steps: {', '.join(n for n in known if known[n].upgrade != 'none')})")
        if len(set(value)) != len(value):
            raise ValueError("a component appears twice in the order")
        return value


class Expect(BaseModel):
    """The verdict a scenario should give: a test of the harness itself."""

    model_config = ConfigDict(extra="forbid")
    verdict: Literal["pass", "fail"] = "pass"
    failed_rules: list[str] = []
    failed_step: str | None = None

    @field_validator("failed_rules")
    @classmethod
    def _known_rules(cls, value: list[str]) -> list[str]:
        for rule in value:
            if rule not in RULES:
                raise ValueError(f"unknown rule '{rule}' (rules: {', '.join(RULES)})")
        return value


def _known_component(name: str, known: dict) -> None:
    """Refuse a component name the scenario's components do not define."""
    if name not in known:
        raise ValueError(f"unknown component '{name}' (known: {', '.join(sorted(known))})")


def _check_spec(package: str, installed: bool, loc: tuple[str, ...]) -> None:
    """Refuse a package given by `version` (built from its spec) that no spec builds: e.g.
    copr-backend, which is upstream's code (pypi, sdist or source)."""
    try:
        spec_path(package)
    except InputError as error:
        if not installed:
            raise FieldError(loc, error.message) from None
        raise FieldError(loc, f"no spec builds '{package}' (containers/*/{package}.spec): give "
                         "its code with pypi, sdist or source, or a prebuilt rpm") from None


class Scenario(BaseModel):
    """A scenario: the stack's components and the package sets it runs."""

    model_config = ConfigDict(extra="forbid")
    description: str = ""
    components: list[str] = []
    candidate: dict[str, PackageVersion]
    production: dict[str, PackageVersion] | None = None
    upgrade: Upgrade = Upgrade()
    expect: Expect = Expect()
    # Replaces a component's package list (component.yaml) in this scenario only: e.g. a
    # backend with a package of the scenario's own beside copr-backend and its glue.
    component_packages: dict[str, list[str]] = {}
    # Replaces a component's container memory limit (MiB, component.yaml's memory_mb) in this
    # scenario only: e.g. a backend with more build workers (each task is a daemon of its own).
    memory_mb: dict[str, int] = {}
    # Replaces a component's upgrade_restarts (component.yaml) in this scenario only: the
    # services its window step restarts, e.g. a backend step that restarts its redis too (by
    # default only copr-backend's dispatchers and log drain restart).
    upgrade_restarts: dict[str, list[str]] = {}
    _path: Path | None = PrivateAttr(None)

    @property
    def path(self) -> Path:
        """The file it was loaded from (what messages and the run's labels name)."""
        return self._path or Path("<scenario>")

    @field_validator("components")
    @classmethod
    def _known_components(cls, value: list[str]) -> list[str]:
        known = services()
        for name in value:
            _known_component(name, known)
        for name in value:
            if value.count(name) > 1:
                raise ValueError(f"component '{name}' is listed twice")
        return value

    @field_validator("component_packages")
    @classmethod
    def _known_overrides(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        known = services()
        for name, names in value.items():
            _known_component(name, known)
            if not names:
                raise ValueError(f"component '{name}' would install no package")
        return value

    @field_validator("memory_mb")
    @classmethod
    def _known_memory(cls, value: dict[str, int]) -> dict[str, int]:
        known = services()
        for name, megabytes in value.items():
            _known_component(name, known)
            if megabytes < 64:
                raise ValueError(f"component '{name}': {megabytes} MiB is below the 64 MiB a container needs")
        return value

    @field_validator("upgrade_restarts")
    @classmethod
    def _known_restarts(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        known = services()
        for name, names in value.items():
            _known_component(name, known)
            try:
                check_services(names, known[name].upgrade)
            except ValueError as error:
                raise FieldError((name,), str(error)) from None
        return value

    def restarts_of(self, component: str) -> list[str] | None:
        """The services `component`'s window step restarts in this scenario (None: all)."""
        if component in self.upgrade_restarts:
            return self.upgrade_restarts[component]
        return all_components()[component].upgrade_restarts

    def restarts_field(self, component: str) -> str:
        """Where restarts_of(component) is declared: the file and field a message names."""
        if component in self.upgrade_restarts:
            return f"{self.path}: upgrade_restarts.{component}"
        return f"{all_components()[component].folder / 'component.yaml'}: upgrade_restarts"

    def packages_of(self, component: str) -> list[str]:
        """The packages `component` installs in this scenario."""
        if component in self.component_packages:
            return self.component_packages[component]
        return all_components()[component].packages

    @model_validator(mode="after")
    def _packages_complete(self) -> "Scenario":
        if not self.components:
            self.components = [name for name, spec in services().items() if not spec.opt_in]
        for set_name in ("candidate", "production"):
            packages = getattr(self, set_name)
            if packages is None:
                continue
            installed_by = {name: self.packages_of(name) for name in all_components()}
            for package, version in packages.items():
                installed = any(package in p for p in installed_by.values())
                if version.python_source is None and (version.rpm is None or not installed):
                    _check_spec(package, installed, (set_name, package))
                elif not installed:
                    raise FieldError((set_name, package), f"no component installs '{package}' "
                                     "(containers/*/component.yaml: packages)")
                for component, other in version.by_component.items():
                    if package not in installed_by.get(component, []):
                        raise FieldError((set_name, package, "by_component", component),
                                         f"component '{component}' does not install '{package}'")
                    if other.python_source is None and other.rpm is None:
                        _check_spec(package, True, (set_name, package, "by_component", component))
                header = version.header
                if header is not None and header.name != package:
                    raise FieldError((set_name, package, "rpm"),
                                     f"{version.rpm} is the package '{header.name}', not '{package}'")
            for name in self.components:
                for package in self.packages_of(name):
                    if package not in packages:
                        raise FieldError(
                            (set_name,), f"component '{name}' installs '{package}', "
                            "which this set does not list"
                        )
        return self

    def component_set(self, which: str, component: str) -> dict[str, PackageVersion]:
        """The packages of a set as `component` gets them (`by_component` applied)."""
        return {name: package.for_component(component)
                for name, package in self.package_set(which).items()}

    def package_set(self, which: str) -> dict[str, PackageVersion]:
        """The 'candidate' or 'production' package set."""
        packages = getattr(self, which, None)
        if packages is None:
            where = f"{self._path}: " if self._path else ""
            raise InputError(f"{where}{which}: this scenario has no '{which}' package set")
        return packages


def load_scenario(path: Path | None) -> tuple[Path, Scenario]:
    """Load and validate a scenario file (the default one when `path` is None)."""
    path = path or DEFAULT_SCENARIO
    try:
        path = path.resolve()
    except (RuntimeError, OSError):  # a symlink loop: reading it names the problem
        path = path.absolute()
    scenario = load_model(path, Scenario)
    scenario._path = path
    return path, scenario
