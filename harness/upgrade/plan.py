"""The release window's steps, and the problems an upgrade order will cause, predicted from the
scenario alone (no containers): unmet Requires, API gates that make the backend wait or let it
process jobs it does not understand, a builder version gate no candidate builder meets, and
(predict) packages whose code cannot import each other."""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.artifacts.pyrpm import UPSTREAM_REQUIRES
from harness.model.components import all_components
from harness.model.rules import RuleName
from harness.model.scenario import PackageVersion, Scenario
from harness.model.versions import rpmvercmp
from harness.upgrade import backend_gates, imports
from harness.upgrade.backend_gates import Gates

COMMON = "python3-copr-common"


@dataclass
class Step:
    """One step of the window: a component stopped, upgraded (or replaced), started."""

    component: str
    upgrades: dict[str, tuple[str, str]]  # package -> (production EVR, candidate EVR)
    migrate: bool = False
    replace: bool = False  # builders are replaced by new ones, not upgraded in place
    origins: dict[str, str] = field(default_factory=dict)  # package -> candidate's origin if not a spec
    services: list[str] | None = None  # the services it stops and starts (None: all of them)
    services_field: str = ""  # where `services` is declared (file: field), for messages

    def describe(self) -> str:
        packages = ", ".join(
            f"{name} {old} -> {new}" + (f" [{self.origins[name]}]" if name in self.origins else "")
            for name, (old, new) in self.upgrades.items())
        if not self.upgrades:
            return f"{self.component}: nothing to upgrade"
        if self.replace:
            return f"{self.component}: replace with new builders ({packages})"
        extra = "; dump the database, then alembic upgrade head" if self.migrate else ""
        which = f" {' '.join(self.services)}" if self.services else ""
        return f"{self.component}: stop{which}, rpm -Uvh ({packages}){extra}, start, wait ready"


@dataclass
class Problem:
    """A predicted problem, tied to the rule it would break and the step where it starts."""

    rule: str
    step: str
    message: str


@dataclass
class Plan:
    steps: list[Step]
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # The backend's MIN_FE_BE_API and MIN_BUILDER_VERSION, by set ("production", "candidate").
    gates: dict[str, Gates] = field(default_factory=dict)


def _macro(package: PackageVersion | None, name: str) -> str | None:
    if package is None or name not in package.macros:
        return None
    return str(package.macros[name])


def _common_floor(package: PackageVersion | None) -> str | None:
    """The X of `python3-copr-common >= X`: the spec's macro, or a prebuilt RPM's Requires."""
    prefix = f"{COMMON} >= "
    if package is not None and package.header is not None:
        return next((r.removeprefix(prefix) for r in package.header.requires
                     if r.startswith(prefix)), None)
    if package is not None and package.python_source is not None:
        return None  # its Requires are known only with its name: see _python_floor
    return _macro(package, "copr_common_version")


def _python_floor(name: str, package: PackageVersion | None) -> str | None:
    """The X of `python3-copr-common >= X` of a wrapped Python package (scenario or upstream)."""
    if package is None or package.python_source is None:
        return _common_floor(package)
    prefix = f"{COMMON} >= "
    requires = UPSTREAM_REQUIRES.get(name, []) if package.requires is None else package.requires
    return next((r.removeprefix(prefix).strip() for r in requires if r.startswith(prefix)), None)


def _requires_common(packages: dict[str, PackageVersion], names: list[str]) -> list[str]:
    """The unmet `python3-copr-common >= X` of `names`, given the common version in `packages`."""
    common = packages.get(COMMON)
    problems = []
    for name in names:
        needed = _python_floor(name, packages.get(name))
        if name == COMMON or needed is None:
            continue
        if common is None or rpmvercmp(common.version, needed) < 0:
            have = common.version if common else "none"
            problems.append(f"{name}-{packages[name].evr} requires {COMMON} >= {needed}, "
                            f"the set has {have}")
    return problems


def _changes(old: PackageVersion, new: PackageVersion) -> bool:
    """Whether a step installs `new` over `old`: another EVR, or other macros of the same spec
    (a prebuilt RPM has no macros: only its EVR says whether it changes anything)."""
    if old.evr != new.evr:
        return True
    if old.python_source is not None or new.python_source is not None:
        # Same EVR from another source, or the same pin/path whose code or patches changed.
        return (old.python_source is None or new.python_source is None
                or old.python_source.identity() != new.python_source.identity())
    return old.rpm is None and new.rpm is None and old.macros != new.macros


def make(scenario: Scenario, read_code: bool = False) -> Plan:
    """The steps of `scenario`'s window and the problems its order will cause. The gates of a
    backend wrapped from Python code are known only with `read_code` (it builds its RPM)."""
    production, candidate = scenario.package_set("production"), scenario.candidate
    defined = all_components()
    order = [c for c in scenario.upgrade.order if c in scenario.components]
    steps = []
    for component in order:
        upgrades, origins = {}, {}
        old_set = scenario.component_set("production", component)
        new_set = scenario.component_set("candidate", component)
        for name in scenario.packages_of(component):
            old, new = old_set.get(name), new_set.get(name)
            if old and new and _changes(old, new):
                upgrades[name] = (old.evr, new.evr)
                if new.origin != "spec":
                    origins[name] = new.origin
        role = defined[component].upgrade
        steps.append(Step(component, upgrades, migrate=role == "migrate" and bool(upgrades),
                          replace=role == "replace", origins=origins,
                          services=scenario.restarts_of(component),
                          services_field=scenario.restarts_field(component)))
    plan = Plan(steps, gates={which: backend_gates.of(scenario, which, read_code)
                              for which in ("production", "candidate")})

    for step in steps:
        for message in _requires_common(scenario.component_set("candidate", step.component),
                                        scenario.packages_of(step.component)):
            plan.problems.append(Problem(RuleName.RPM_TRANSACTIONS, step.component, message))

    for which, gates in plan.gates.items():
        if gates.origin == "code":
            plan.notes.append(f"{which} copr-backend's code sets MIN_FE_BE_API "
                              f"{gates.min_fe_be_api}, MIN_BUILDER_VERSION {gates.min_builder_version}")
    _api_gate(plan, scenario, order)
    _builder_gate(plan, scenario, order)
    for set_name, packages in (("production", production), ("candidate", candidate)):
        for name, package in packages.items():
            if package.rpm is not None and name in ("copr-frontend", "copr-backend"):
                plan.notes.append(f"{set_name} {name} is a prebuilt RPM ({package.rpm.name}): its "
                                  "API constants are unknown, so the API and builder gates are not predicted")
    return plan


def predict(scenario: Scenario) -> Plan:
    """make(), plus what only the code shows: an upgraded component whose candidate packages
    cannot import each other (harness.upgrade.imports; this builds their RPMs on the host)."""
    made = make(scenario, read_code=True)
    upgraded = [step.component for step in made.steps if step.upgrades]
    for problem in imports.check(scenario, upgraded):
        made.problems.append(Problem(RuleName.COMPONENTS_START, problem.component, problem.describe()))
    return made


def _api_at(set_: dict[str, PackageVersion], package: str, macro: str) -> int | None:
    value = _macro(set_.get(package), macro)
    return int(value) if value is not None else None


def _api_gate(plan: Plan, scenario: Scenario, order: list[str]) -> None:
    """Walk the steps: while the frontend's API is older than the backend's MIN_FE_BE_API the
    backend waits; while it is newer, the backend processes jobs it does not understand."""
    if "frontend" not in scenario.components or "backend" not in scenario.components:
        return
    assert scenario.production is not None
    sets = {"frontend": "production", "backend": "production"}  # which set each one runs
    moments = [("before the window", None)] + [(f"after the {c} step", c) for c in order]
    for label, upgraded in moments:
        if upgraded in sets:
            sets[upgraded] = "candidate"
        frontend_api = _api_at(scenario.package_set(sets["frontend"]), "copr-frontend",
                               "fe_be_api_version")
        backend_needs = plan.gates[sets["backend"]].min_fe_be_api
        if frontend_api is None or backend_needs is None:
            return
        step = upgraded or "start"
        if frontend_api < backend_needs:
            last = moments[-1][0] == label
            if last:
                plan.problems.append(Problem(
                    RuleName.BUILDS_COMPLETED, step,
                    f"at the end the frontend offers FE-BE API {frontend_api} but the backend "
                    f"requires {backend_needs}: builds never start"))
            else:
                plan.notes.append(f"{label}: the backend waits (frontend API {frontend_api} < "
                                  f"its MIN_FE_BE_API {backend_needs}); queued builds stay pending")
        elif frontend_api > backend_needs:
            plan.problems.append(Problem(
                RuleName.NO_NEWER_FRONTEND_JOBS, step,
                f"{label}: the frontend offers FE-BE API {frontend_api}, newer than the running "
                f"backend understands ({backend_needs}): upgrade the backend first"))


def _builder_gate(plan: Plan, scenario: Scenario, order: list[str]) -> None:
    if "backend" not in scenario.components or "builder" not in scenario.components:
        return
    minimum = plan.gates["candidate"].min_builder_version
    builder = scenario.candidate.get("copr-rpmbuild")
    if minimum and builder and rpmvercmp(builder.version, minimum) < 0:
        plan.problems.append(Problem(
            RuleName.BUILDS_COMPLETED, "builder",
            f"the candidate backend requires copr-rpmbuild >= {minimum} (MIN_BUILDER_VERSION) but "
            f"the candidate builders have {builder.version}: every builder is refused, builds wait"))
    production_builder = scenario.production.get("copr-rpmbuild") if scenario.production else None
    if (minimum and production_builder and rpmvercmp(production_builder.version, minimum) < 0
            and "builder" in order and order.index("builder") > order.index("backend")):
        plan.notes.append(f"between the backend and builder steps the production builders "
                          f"({production_builder.version}) are below MIN_BUILDER_VERSION "
                          f"{minimum}: builds wait until the builders are replaced")
