"""The window's steps without Podman: what a refused rpm, a failed migration and a harness fault
each do to the stack (rollback order) and to the verdict."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from harness.errors import InfraError, InputError
from harness.model.scenario import load_scenario
from harness.paths import ROOT
from harness.podman.engine import ExecResult
from harness.stack.registry import RunInfo
from harness.upgrade import plan, rules, window
from harness.upgrade.backend_gates import Gates
from harness.stack.probes import ServiceStopped
from harness.wait import WaitTimeout
from tests.support.fake_engine import FakeEngine

COMPONENTS = ["database", "frontend", "backend", "keygen", "distgit", "builder"]
REFUSED = ("error: Failed dependencies:\n"
           "\tpython3-copr-common >= 1.9 is needed by copr-backend-2.14-1.noarch\n")


@pytest.fixture
def scenario():
    return load_scenario(ROOT / "scenarios" / "release-good.yaml")[1]


@pytest.fixture(autouse=True)
def no_builds_no_waits(monkeypatch, tmp_path):
    """RPM files stand in for built packages; readiness is immediate."""
    def build_set(names: list[str], package_set: dict, component: str | None = None
                  ) -> dict[str, Path]:
        made = {}
        for name in names:
            path = tmp_path / f"{name}-{package_set[name].evr}.noarch.rpm"
            path.write_bytes(b"rpm")
            made[name] = path
        return made

    monkeypatch.setattr(window.packages, "build_set", build_set)
    monkeypatch.setattr(window, "wait_ready", lambda engine, component, name: None)


def run_window(engine: FakeEngine, scenario, only: str) -> window.Window:
    """The window with just the step of component `only`."""
    steps = [s for s in plan.make(scenario).steps if s.component == only]
    runner = window.Runner(engine, RunInfo("r1", COMPONENTS), scenario.package_set("production"),
                           scenario.candidate)
    return runner.run(steps)


def judge(scenario, result: window.Window) -> dict[str, rules.Rule]:
    """The rules with no build queued, the backend's gates unknown."""
    unknown = Gates(None, None, "unknown")
    judged = rules.evaluate(scenario, result, [], {}, "", {}, {}, [],
                            gates={"production": unknown, "candidate": unknown}, builders=[])
    return {rule.name: rule for rule in judged}


def rpm_rule(scenario, result: window.Window) -> rules.Rule:
    return judge(scenario, result)["rpm-transactions"]


def execs(engine: FakeEngine, container: str) -> list[str]:
    return [call[2] for call in engine.calls if call[0] == "exec" and call[1] == container]


RESTARTED = ["copr-backend-build", "copr-backend-action", "copr-backend-log"]
GLUE_SERVICES = RESTARTED + ["copr-backend-redis", "copr-backend-allocator", "copr-backend-results"]


def dispatcher_polls(*offsets: float) -> str:
    """The build dispatcher's poll lines, `offsets` seconds from now (its log's format)."""
    return "\n".join(time.strftime("[%Y-%m-%d %H:%M:%S", time.gmtime(time.time() + offset))
                     + ",000][  INFO][PID:430][backend.build_dispatcher][dispatcher.py:run:105] "
                     "getting builds from frontend" for offset in offsets)


def stack_engine() -> FakeEngine:
    """A fake engine whose backend has the glue's services and a dispatcher that polls (its
    polls logged a minute ahead: each step's settling finds one begun after the step)."""
    engine = FakeEngine()
    engine.answer("ls -1 /etc/copr-harness/services", ExecResult(0, "\n".join(GLUE_SERVICES)))
    engine.answer("build_dispatcher.log", ExecResult(0, dispatcher_polls(60, 61)))
    return engine


def test_a_refused_rpm_transaction_fails_the_step_and_rolls_back(scenario):
    engine = stack_engine()
    engine.answer("rpm -Uvh", ExecResult(1, REFUSED))
    result = run_window(engine, scenario, "backend")
    failed = result.failed_step
    assert failed is not None and failed.component == "backend"
    assert failed.failed_phase == "upgrade" and failed.rolled_back
    assert failed.error.startswith("rpm -Uvh refused the candidate packages: r1-backend: rpm -Uvh")
    assert "python3-copr-common >= 1.9 is needed by copr-backend-2.14-1.noarch" in failed.error
    svc = [c for c in execs(engine, "r1-backend") if c.startswith("svc ")]
    assert svc == ["svc stop " + " ".join(RESTARTED), "svc start " + " ".join(RESTARTED)]
    rule = rpm_rule(scenario, result)
    assert not rule.ok and rule.message == failed.error


def test_a_harness_fault_in_the_upgrade_step_is_no_rpm_verdict(scenario):
    """A put_files timeout (Podman's archive endpoint) is the harness's failure: it ends the
    window as an InfraError (exit 3), never as "rpm -Uvh refused" failing rpm-transactions."""
    engine = stack_engine()
    engine.fail("put_files", WaitTimeout("timed out after 30s waiting for Podman to copy files"))
    with pytest.raises(InfraError, match="copy files") as raised:
        run_window(engine, scenario, "backend")
    assert raised.value.exit_code == 3
    assert "rpm -Uvh" not in str(raised.value)


def test_the_rpm_transactions_rule_passes_a_window_without_refusals(scenario):
    result = run_window(stack_engine(), scenario, "backend")
    assert result.failed_step is None
    assert rpm_rule(scenario, result).ok


def test_a_failed_migration_restores_then_downgrades_then_restarts(scenario):
    """The frontend's rollback order: dump, migrate (fails), restore the dump, put the production
    packages back, start the production frontend."""
    engine = stack_engine()
    engine.answer("alembic", ExecResult(1, "alembic: error\nKeyError: 'x'\nboom"))
    result = run_window(engine, scenario, "frontend")
    failed = result.failed_step
    assert failed is not None and failed.failed_phase == "migrate" and failed.rolled_back
    assert failed.error.startswith("alembic upgrade head failed:")
    database = execs(engine, "r1-database")
    assert [c.split()[4] for c in database] == ["pg_dump", "pg_restore"]
    frontend = [c.split()[0:2] for c in execs(engine, "r1-frontend")]
    order = [c for c in frontend if c[0] in ("svc", "rpm")]
    assert order == [["svc", "stop"], ["rpm", "-Uvh"], ["svc", "exec"], ["rpm", "-Uvh"], ["svc", "start"]]
    downgrade = [c for c in execs(engine, "r1-frontend") if c.startswith("rpm -Uvh")][1]
    assert "--oldpackage" in downgrade and "copr-frontend-2.7-1" in downgrade
    assert rpm_rule(scenario, result).ok  # rpm did not refuse anything


@pytest.mark.parametrize("stopped", [
    WaitTimeout("timed out after 60s waiting for r1-backend to be ready"),
    ServiceStopped("backend: a service stopped (copr-backend-action stopped)")])
def test_a_component_that_does_not_come_ready_is_rolled_back_with_its_error(scenario, monkeypatch,
                                                                             stopped):
    """rpm installs the candidates, but the services die on them (an ImportError between two
    packages): the step fails components-start, naming the error, and is rolled back."""
    engine = stack_engine()
    engine.logs_text["r1-backend"] = (
        "Traceback (most recent call last):\n  File \"/usr/bin/copr-run-dispatcher-backend\"\n"
        "ImportError: cannot import name 'lock' from 'copr_common.lock' "
        "(/usr/lib/python3/dist-packages/copr_common/lock.py)\nsvc: copr-backend-build exited 1\n")
    tries = []

    def ready(engine_, component, name):
        tries.append(name)
        if len(tries) == 1:  # the candidate; the restarted production one is ready
            raise stopped

    monkeypatch.setattr(window, "wait_ready", ready)
    result = run_window(engine, scenario, "backend")
    failed = result.failed_step
    assert failed is not None and failed.failed_phase == "ready" and failed.rolled_back
    assert failed.error == ("backend did not come ready on the candidate packages: r1-backend: "
                            "ImportError: cannot import name 'lock' from 'copr_common.lock'")
    order = [c.split()[0:2] for c in execs(engine, "r1-backend") if c.split()[0] in ("svc", "rpm")]
    assert order == [["svc", "stop"], ["rpm", "-Uvh"], ["svc", "start"], ["svc", "stop"],
                     ["rpm", "-Uvh"], ["svc", "start"]]
    assert "--oldpackage" in [c for c in execs(engine, "r1-backend") if c.startswith("rpm -Uvh")][1]
    judged = judge(scenario, result)
    assert not judged["components-start"].ok and judged["components-start"].message == failed.error
    assert judged["rpm-transactions"].ok


def test_components_start_passes_a_window_whose_components_came_ready(scenario):
    result = run_window(stack_engine(), scenario, "backend")
    judged = judge(scenario, result)
    assert judged["components-start"].ok


def test_a_readiness_timeout_without_a_logged_exception_is_the_harnesss_failure(scenario, monkeypatch):
    """No exception in the component's log: no evidence against the candidates, so the wait's
    timeout ends the window as an InfraError (exit 3), never as a components-start verdict."""
    def never(engine_, component, name):
        raise WaitTimeout("timed out after 60s waiting for r1-backend to be ready")

    monkeypatch.setattr(window, "wait_ready", never)
    with pytest.raises(WaitTimeout):
        run_window(stack_engine(), scenario, "backend")


@pytest.mark.parametrize("line", [
    "ImportError: cannot import name 'lock' from 'copr_common.lock' (/usr/lib/x/lock.py)",
    "    ^^^^^^^^^^^ImportError: cannot import name 'lock' from 'copr_common.lock' (/usr/lib/x/lock.py)",
    "cannot import name 'lock' from 'copr_common.lock' (/usr/lib/x/lock.py): ImportError",
    "    from copr_common.lock import lockImportError: \n"
    "cannot import name 'lock' from 'copr_common.lock' (/usr/lib/x/lock.py)"])
def test_the_services_exception_is_found_as_the_log_api_gives_it(line):
    engine = FakeEngine()
    engine.logs_text["r1-backend"] = f"Traceback (most recent call last):\n{line}\nsvc: done\n"
    assert window._service_error(engine, ["r1-backend"]) == (
        "r1-backend: ImportError: cannot import name 'lock' from 'copr_common.lock'")
    engine.logs_text["r1-backend"] = "copr-backend-allocator: ticket 1 gets builder-1\n"
    assert window._service_error(engine, ["r1-backend"]) == ""


def test_prepare_builds_every_upgraded_components_packages_before_the_window_opens(scenario, monkeypatch):
    built: list[tuple[tuple[str, ...], str | None]] = []
    real = window.packages.build_set

    def recording(names, package_set, component=None):
        built.append((tuple(names), component))
        return real(names, package_set, component)

    monkeypatch.setattr(window.packages, "build_set", recording)
    steps = plan.make(scenario).steps
    runner = window.Runner(FakeEngine(), RunInfo("r1", COMPONENTS),
                           scenario.package_set("production"), scenario.candidate)
    runner.prepare(steps)
    upgraded = {s.component for s in steps if s.upgrades}
    assert upgraded and {component for _, component in built} == upgraded
    assert runner.window.started == 0.0  # the window has not opened


def restarting(scenario, services: list[str]):
    """`scenario` whose backend step restarts only `services` (its upgrade_restarts)."""
    scenario.upgrade_restarts = {"backend": services}
    return scenario


def test_a_step_stops_and_starts_only_the_services_it_restarts(scenario):
    """The real backend's step restarts its dispatchers and log drain; redis (whose state is in
    memory only), the allocator and the results server keep running through it."""
    engine = stack_engine()
    result = run_window(engine, restarting(scenario, RESTARTED), "backend")
    assert result.failed_step is None
    svc = [c for c in execs(engine, "r1-backend") if c.startswith("svc ")]
    assert svc == ["svc stop " + " ".join(RESTARTED), "svc start " + " ".join(RESTARTED)]


def test_a_rollback_restarts_the_same_services(scenario):
    engine = stack_engine()
    engine.answer("rpm -Uvh", ExecResult(1, REFUSED))
    result = run_window(engine, restarting(scenario, RESTARTED), "backend")
    assert result.failed_step is not None and result.failed_step.rolled_back
    svc = [c for c in execs(engine, "r1-backend") if c.startswith("svc ")]
    assert svc == ["svc stop " + " ".join(RESTARTED), "svc start " + " ".join(RESTARTED)]


def test_a_step_without_upgrade_restarts_restarts_every_service(scenario):
    assert scenario.restarts_of("keygen") is None
    engine = stack_engine()
    run_window(engine, scenario, "keygen")
    assert [c for c in execs(engine, "r1-keygen") if c.startswith("svc ")] == ["svc stop", "svc start"]


def test_a_service_the_container_lacks_is_bad_input_before_anything_stops(scenario):
    engine = stack_engine()
    with pytest.raises(InputError) as error:
        run_window(engine, restarting(scenario, ["copr-backend-build", "copr-backend-logs"]), "backend")
    assert str(error.value).startswith(f"{scenario.path}: upgrade_restarts.backend: names "
                                       "copr-backend-logs, which r1-backend does not have (its "
                                       "services: copr-backend-build, ")
    assert not [c for c in execs(engine, "r1-backend") if c.startswith(("svc ", "rpm "))]


def test_each_step_settles_until_its_dispatcher_polled(scenario):
    """Each step is followed by a poll of the frontend by the backend's dispatcher begun after
    the step came ready, so what the backend does with the stack the step left is in its log
    before the next step, whatever the timing."""
    engine = FakeEngine()
    engine.answer("build_dispatcher.log", ExecResult(0, dispatcher_polls(-3, 1, 2)))
    steps = [s for s in plan.make(scenario).steps if s.component in ("frontend", "keygen")]
    runner = window.Runner(engine, RunInfo("r1", COMPONENTS), scenario.package_set("production"),
                           scenario.candidate)
    result = runner.run(steps)
    assert [(e.lane, e.phase) for e in result.events if e.phase == "settle"] == [
        ("keygen", "settle"), ("frontend", "settle")]
    backend = execs(engine, "r1-backend")
    assert backend == ["tail -n 400 /var/log/copr-backend/build_dispatcher.log"] * 2
    frontend_start = next(e for e in result.events if (e.lane, e.phase) == ("frontend", "start"))
    settled = next(e for e in result.events if (e.lane, e.phase) == ("frontend", "settle"))
    assert settled.start >= frontend_start.end


def test_a_dispatcher_that_never_polls_after_a_step_ends_the_window_naming_what_it_waited_for(
        scenario, monkeypatch):
    monkeypatch.setattr(window, "SETTLE_TIMEOUT", 0.5)
    engine = FakeEngine()
    engine.answer("build_dispatcher.log", ExecResult(0, dispatcher_polls(-3, -2)))  # old polls
    engine.answer("ls -1 /etc/copr-harness/services", ExecResult(0, "\n".join(GLUE_SERVICES)))
    steps = [s for s in plan.make(scenario).steps if s.component == "backend"]
    runner = window.Runner(engine, RunInfo("r1", COMPONENTS), scenario.package_set("production"),
                           scenario.candidate)
    with pytest.raises(WaitTimeout, match="waiting for the backend's build dispatcher to poll the "
                                          "frontend once after the backend step .last: no poll"):
        runner.run(steps)


def test_a_stack_without_a_backend_does_not_settle(scenario):
    """Nothing polls the frontend there: a step is done once its component is ready."""
    engine = FakeEngine()
    steps = [s for s in plan.make(scenario).steps if s.component == "keygen"]
    without = [c for c in COMPONENTS if c != "backend"]
    runner = window.Runner(engine, RunInfo("r1", without), scenario.package_set("production"),
                           scenario.candidate)
    result = runner.run(steps)
    assert result.failed_step is None
    assert [e.phase for e in result.events] == ["stop", "upgrade", "start", "ready"]
    assert not execs(engine, "r1-backend")
