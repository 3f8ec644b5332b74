"""The release window: each step stops a component (the services that run the upgraded code:
`upgrade_restarts`), upgrades its packages (the frontend also dumps and migrates the database),
starts it and waits until it is ready; builders are replaced.
A failed step is rolled back (packages, database) so the stack is as it was before that step."""

from __future__ import annotations

import contextlib
import functools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from harness import progress, wait
from harness.artifacts import images, packages
from harness.errors import HarnessError, InfraError, InputError, PackageError
from harness.model.components import all_components
from harness.model.scenario import PackageVersion
from harness.phases import Event, record
from harness.podman.engine import Engine
from harness.stack.bringup import Bringup
from harness.stack.probes import ServiceStopped, wait_ready
from harness.stack.registry import RunInfo
from harness.upgrade import backend_log, builders
from harness.upgrade.plan import Step
from harness.wait import WaitTimeout

DUMP = "/var/lib/postgresql/pre-upgrade.dump"
FRONTEND_DIR = "/usr/share/copr/coprs_frontend"
# copr-backend's build dispatcher logs each poll of the frontend there (harness.upgrade.backend_log).
DISPATCHER_LOG = "/var/log/copr-backend/build_dispatcher.log"
# It polls every second (copr-be.conf's sleeptime); a poll begun while the frontend was down
# retries after pauses of 5, 10, 15, ... s (copr-common's requests), so after the frontend's step
# the next poll may begin 25 s later.
SETTLE_TIMEOUT = 90.0
SERVICES = "/etc/copr-harness/services"  # where packages declare svc's services
AS_FRONTEND = ["setpriv", "--reuid=copr-fe", "--regid=copr-fe", "--init-groups", "--"]


@dataclass
class StepResult:
    component: str
    ok: bool = True
    failed_phase: str = ""
    error: str = ""
    rolled_back: bool = False
    serving_since: float | None = None  # when the candidate version started serving


@dataclass
class Window:
    """What happened in the window, for the rules and the report."""

    started: float = 0.0
    ended: float = 0.0
    events: list[Event] = field(default_factory=list)
    steps: list[StepResult] = field(default_factory=list)

    def phase(self, lane: str, name: str) -> contextlib.AbstractContextManager[Event]:
        return record(self.events, lane, name)

    @property
    def failed_step(self) -> StepResult | None:
        return next((s for s in self.steps if not s.ok), None)


class StepFailed(HarnessError):
    """A step of the window failed (and was rolled back)."""


class Runner:
    """Runs the steps of a plan against a live run."""

    def __init__(self, engine: Engine, info: RunInfo, production: dict[str, PackageVersion],
                 candidate: dict[str, PackageVersion]) -> None:
        self.engine = engine
        self.info = info
        self.defined = all_components()
        self.production = production
        self.candidate = candidate
        self.window = Window()

    def containers(self, component: str) -> list[str]:
        return self.info.run.containers(component)

    def prepare(self, steps: list[Step]) -> None:
        """Build (or take from the cache) every RPM the steps install, before the window opens:
        a release's packages exist before its window, so the window times the upgrade alone,
        and a cold package cache gives the same verdict as a warm one."""
        for step in steps:
            if step.upgrades and step.replace:
                self._rpms_all(step.component)
            elif step.upgrades:
                self._rpms(step, self.candidate)

    def run(self, steps: list[Step]) -> Window:
        """Run every step in order; stop at the first that fails."""
        self.window.started = time.time()
        try:
            for step in steps:
                result = StepResult(step.component)
                self.window.steps.append(result)
                if not step.upgrades:
                    progress.say(f"window step: {step.describe()}")
                    continue
                with progress.step(f"window step: {step.describe()}"):
                    try:
                        if step.replace:
                            self._replace(step, result)
                        else:
                            self._upgrade(step, result)
                    except StepFailed as error:
                        result.ok, result.error = False, str(error)
                        progress.say(f"step {step.component} failed: {error}")
                        break
                    self._settle(step)
        finally:
            self.window.ended = time.time()
        return self.window

    def _settle(self, step: Step) -> None:
        """Wait until the backend's build dispatcher (the new one after a backend step) has
        polled the frontend once since the step came ready: what it does with the stack as the
        step left it is then in its log before the next step starts, whatever the timing."""
        if "backend" not in self.info.components:
            return
        with self.window.phase(step.component, "settle"):
            wait_polled(self.engine, self.containers("backend")[0], time.time(),
                        f"the {step.component} step", SETTLE_TIMEOUT)

    # -- a normal step ----------------------------------------------------------------------

    def _svc(self, container: str, action: str, step: Step) -> None:
        """`svc stop` or `svc start` of the services the step restarts (all by default)."""
        command = ["svc", action] + (step.services or [])
        result = self.engine.exec(container, command)
        if not result.ok:
            raise StepFailed(f"{container}: {' '.join(command)} failed: {result.output.strip()}")

    def _check_services(self, step: Step, names: list[str]) -> None:
        """Every service the step names exists in its containers: `svc stop` of an unknown
        service does nothing, and the step would upgrade code it never restarts."""
        if step.services is None:
            return
        for name in names:
            listed = self.engine.exec(name, ["ls", "-1", SERVICES])
            have = listed.output.split() if listed.ok else []
            missing = [s for s in step.services if s not in have]
            if missing:
                raise InputError(f"{step.services_field or step.component}: names "
                                 f"{', '.join(missing)}, which {name} does not have (its "
                                 f"services: {', '.join(have) or 'none'})")

    def _rpms(self, step: Step, package_set: dict[str, PackageVersion]) -> list[Path]:
        return list(packages.build_set(list(step.upgrades), package_set, step.component).values())

    def _upgrade(self, step: Step, result: StepResult) -> None:
        lane, names = step.component, self.containers(step.component)
        self._check_services(step, names)
        with self.window.phase(lane, "stop"):
            for name in names:
                self._svc(name, "stop", step)
        try:
            with self.window.phase(lane, "upgrade"):
                if step.upgrades:
                    for name in names:
                        packages.install(self.engine, name, self._rpms(step, self.candidate))
        except PackageError as error:  # rpm said no; a harness or Podman failure is no verdict
            result.failed_phase = "upgrade"
            self._restart_as_before(step, names, result)
            raise StepFailed(f"rpm -Uvh refused the candidate packages: {error}") from None
        if step.migrate:
            self._migrate(step, names, result)
        phase = "start"
        try:
            with self.window.phase(lane, "start"):
                for name in names:
                    self._svc(name, "start", step)
            phase = "ready"
            with self.window.phase(lane, "ready"):
                for name in names:
                    self._wait_ready(step.component, name)
        except (StepFailed, WaitTimeout, ServiceStopped) as error:
            # Installed, but its services do not run on the candidate packages (an ImportError
            # between two of them, say): the step's verdict, rolled back like a refused rpm. A
            # wait that ran out with no exception logged is no evidence: the harness's failure.
            why = _service_error(self.engine, names)
            if not why and isinstance(error, (WaitTimeout, ServiceStopped)):
                raise
            result.failed_phase = phase
            why = why or str(error).splitlines()[0]
            with self.window.phase(lane, "downgrade"):
                for name in names:
                    self._svc(name, "stop", step)
                if step.migrate:
                    self._restore(step)
                self._downgrade(step, names)
            self._restart_as_before(step, names, result)
            raise StepFailed(f"{step.component} did not come ready on the candidate packages: "
                             f"{why}") from None
        result.serving_since = time.time()

    def _migrate(self, step: Step, names: list[str], result: StepResult) -> None:
        database = self.containers(self.defined[step.component].database or "")[0]
        with self.window.phase(step.component, "dump"):
            dumped = self.engine.exec(database, ["runuser", "-u", "postgres", "--", "pg_dump",
                                                 "-Fc", "-f", DUMP, "coprdb"])
            if not dumped.ok:
                result.failed_phase = "dump"
                self._downgrade(step, names)
                self._restart_as_before(step, names, result)
                raise StepFailed(f"pg_dump failed: {dumped.output.strip()}")
        try:
            with self.window.phase(step.component, "migrate"):
                migrated = self.engine.exec(names[0], ["svc", "exec", "bash", "-c",
                                                       f"cd {FRONTEND_DIR} && exec {' '.join(AS_FRONTEND)} "
                                                       "python3 -m alembic -c alembic.ini upgrade head"])
                if not migrated.ok:
                    raise StepFailed("alembic upgrade head failed: "
                                     + _last_lines(migrated.output, 3))
        except StepFailed:
            result.failed_phase = "migrate"
            with self.window.phase(step.component, "restore"):
                self._restore(step, "the migration failed")
                self._downgrade(step, names)
                self._restart_as_before(step, names, result)
            raise

    def _restore(self, step: Step, why: str = "the step failed") -> None:
        """Put the database dumped before the step's migration back."""
        database = self.containers(self.defined[step.component].database or "")[0]
        restored = self.engine.exec(database, ["runuser", "-u", "postgres", "--", "pg_restore",
                                               "--clean", "--if-exists", "-d", "coprdb", DUMP])
        if not restored.ok:
            raise StepFailed(f"{why} AND restoring {DUMP} failed: "
                             f"{restored.output.strip()}; the database is in an unknown state")

    def _downgrade(self, step: Step, names: list[str]) -> None:
        """Put the production packages back (rpm -Uvh --oldpackage)."""
        rpms = self._rpms(step, self.production)
        for name in names:
            packages.install(self.engine, name, rpms, downgrade=True)

    def _restart_as_before(self, step: Step, names: list[str], result: StepResult) -> None:
        """Start the (still production) component again so the stack is as before the step."""
        with self.window.phase(step.component, "rollback"):
            for name in names:
                self._svc(name, "start", step)
            for name in names:
                self._wait_ready(step.component, name)
        result.rolled_back = True

    def _wait_ready(self, component: str, name: str) -> None:
        wait_ready(self.engine, self.defined[component], name)

    # -- builders are replaced ----------------------------------------------------------------

    def _replace(self, step: Step, result: StepResult) -> None:
        hold = None
        if "backend" in self.info.components:
            backend = self.containers("backend")[0]
            hold = functools.partial(builders.held_out, self.engine, backend)
        with self.window.phase(step.component, "replace"):
            replace_instances(self.engine, self.info, step.component,
                              self._rpms_all(step.component), hold)
        result.serving_since = time.time()

    def _rpms_all(self, component: str) -> list[Path]:
        names = self.defined[component].packages
        return list(packages.build_set(names, self.candidate, component).values())


# A Python exception in a service's output: "ImportError: cannot import name ...". Podman's log
# API interleaves stdout and stderr chunks, so it also comes as "...lockImportError: " + the
# message on the next line, or as "<message>: ImportError".
EXCEPTION = re.compile(r"((?:[\w]+\.)*[A-Z][a-z]\w*(?:Error|Exception)): (\S.*)$")
EXCEPTION_LAST = re.compile(r"^\s*(\S.*?): ((?:[\w]+\.)*[A-Z]\w*(?:Error|Exception))\s*$")


def _service_error(engine: Engine, names: list[str]) -> str:
    """The last Python exception a component's services logged ("" if none), its file path
    left out; e.g. the ImportError of a dispatcher that could not start."""
    for name in names:
        lines = engine.logs(name, tail=200).splitlines()
        for index in range(len(lines) - 1, -1, -1):
            line = lines[index]
            if re.search(r"(?:Error|Exception): ?$", line) and index + 1 < len(lines):
                line = line.rstrip() + " " + lines[index + 1]
            found = EXCEPTION.search(line)
            kind, text = found.groups() if found else (None, None)
            if found is None:
                last = EXCEPTION_LAST.match(line)
                if last is None:
                    continue
                text, kind = last.groups()
            text = re.sub(r" \(/[^()]*\)", "", text.strip())
            return f"{name}: {kind}: {text}"
    return ""


def wait_polled(engine: Engine, container: str, since: float, after: str,
                timeout: float) -> tuple[float, str]:
    """(when it began, PID) of the first poll of the frontend by the build dispatcher in
    `container` begun at `since` or later and ended; a bounded wait."""
    def polled() -> tuple[float, str]:
        read = engine.exec(container, ["tail", "-n", "400", DISPATCHER_LOG])
        if not read.ok:
            raise wait.NotYet(f"reading {DISPATCHER_LOG} failed: {read.output.strip()}")
        polls = backend_log.polls_since(read.output, since)
        if not polls:
            raise wait.NotYet(f"no poll begun and ended in {DISPATCHER_LOG} since "
                              f"{time.strftime('%H:%M:%S', time.gmtime(since))} UTC")
        return polls[0]

    return wait.until(polled, timeout=timeout,
                      what=f"the backend's build dispatcher to poll the frontend once after {after}")


def _last_lines(text: str, count: int) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return " | ".join(lines[-count:])


def replace_instances(engine: Engine, info: RunInfo, component: str, rpms: list[Path],
                      hold: Callable[[str], contextlib.AbstractContextManager[None]] | None = None
                      ) -> None:
    """Replace a component's containers, one at a time, with new ones running `rpms` (as
    resalloc replaces builders: the others keep serving meanwhile). Same names and aliases, the
    run's own secrets; each new one is ready before the next is replaced. `hold(host)`, if
    given, is entered around each replacement (e.g. the builder holds no job meanwhile)."""
    if not info.secrets:
        raise InfraError(f"replacing {component} needs the run's secrets: only the process that "
                         "brought the run up has them")
    state = Bringup(engine, info.run_id, info.components, run_secrets=info.secrets)
    image = images.component_tag(component)
    spec = state.defined[component]
    for instance in info.run.instances(component):
        name = instance.name
        with hold(instance.aliases[0]) if hold else contextlib.nullcontext():
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
