"""pytest plugin `copr_harness`: fixtures for tests against a copr-harness stack (or any Copr
described in the same shape).

The stack comes from `--copr-stack FILE` (or COPR_STACK), the JSON description that
`copr-harness env` writes, or is brought up for the session by `--copr-up` and removed at its
end (also on Ctrl-C and SIGTERM). Under pytest-xdist the controller brings up the one stack and
hands its description to every worker.

The plugin is inert otherwise: without `--copr-up` nothing imports the Podman engine, and the
fixtures read the description only when a test asks for them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from harness.gates import project_ledger as ledger
from harness.gates import target_logs
from harness.errors import InputError
from harness.model.config import load_model
from harness.model.target import CAPABILITIES, Target

if TYPE_CHECKING:
    import testinfra.host
    from copr.v3 import Client

# Set on the controller (or the only process) by --copr-up; handed to xdist workers.
_DESCRIPTION = pytest.StashKey[str]()
_RUN_ID = pytest.StashKey[str]()
_FAILED = pytest.StashKey[bool]()
_OLD_SIGTERM = pytest.StashKey[Any]()
_TEST_FAILED = pytest.StashKey[bool]()  # on a test item: its call phase failed
_CAPABILITIES = pytest.StashKey[set]()
# Fixtures only some targets give, and the capability a test using them needs.
NEEDED_BY_FIXTURE = {"stack_host": "hosts", "other_client": "second_user"}
NEEDS_FILE_VARIABLE = "COPR_HARNESS_NEEDS_FILE"
_EXITS = pytest.StashKey[contextlib.ExitStack]()  # the session's engine and running stack
WORKER_KEY = "copr_stack"  # the key of the description path in xdist's workerinput


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("copr-harness", "tests against a copr-harness stack")
    group.addoption("--copr-stack", metavar="FILE",
                    help="the stack description to test against (default: $COPR_STACK)")
    group.addoption("--copr-up", action="store_true",
                    help="bring a stack up for this session (one for all xdist workers) and "
                         "remove it at the end")
    group.addoption("--copr-scenario", metavar="FILE", type=Path,
                    help="the scenario --copr-up brings up (implies --copr-up; "
                         "default: the harness's scenarios/default.yaml)")


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _brings_up(config: pytest.Config) -> bool:
    """Whether this process owns a stack of its own (never an xdist worker)."""
    wanted = config.getoption("copr_up") or config.getoption("copr_scenario") is not None
    return wanted and not _is_worker(config)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs(*capabilities): skip unless the target gives them "
                            f"({', '.join(sorted(CAPABILITIES))})")
    if os.environ.get(ledger.VARIABLE) and _OLD_SIGTERM not in config.stash:
        # A run against a target is stopped by SIGTERM to its process group: turn it into an
        # interruption, so the created projects' finalizers run (xdist workers too).
        config.stash[_OLD_SIGTERM] = signal.signal(signal.SIGTERM, _interrupt)
    if _is_worker(config):
        path = config.workerinput.get(WORKER_KEY)  # type: ignore[attr-defined]
        if path:
            config.stash[_DESCRIPTION] = path
        return
    if not _brings_up(config):
        return
    if config.getoption("copr_stack"):
        raise pytest.UsageError("--copr-stack and --copr-up exclude each other: test against a "
                                "described stack, or bring one up")
    # SIGTERM (CI cancelling a job) interrupts like Ctrl-C, so the stack is torn down.
    if _OLD_SIGTERM not in config.stash:
        config.stash[_OLD_SIGTERM] = signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"stopped by signal {signal.Signals(signum).name}")


@pytest.hookimpl(tryfirst=True)  # before xdist starts its workers: they need the description
def pytest_sessionstart(session: pytest.Session) -> None:
    if _brings_up(session.config):
        _bring_up(session.config)


def _bring_up(config: pytest.Config) -> None:
    """Bring a stack up for the session (`stack.running`, entered here and left at
    pytest_unconfigure) and write its description."""
    from harness import naming, stack
    from harness.errors import HarnessError
    from harness.model.scenario import load_scenario
    from harness.podman.engine import Engine

    exits = config.stash[_EXITS] = contextlib.ExitStack()
    try:
        _, scenario = load_scenario(config.getoption("copr_scenario"))
        run_id = naming.new_run_id()
        # Recorded first: an interruption right after `up` returns must still tear it down.
        config.stash[_RUN_ID] = run_id
        with _uncaptured(config):
            engine = exits.enter_context(Engine.connect())
            info = exits.enter_context(stack.running(
                engine, scenario, run_id, logs=lambda: config.stash.get(_FAILED, True)))
            config.stash[_DESCRIPTION] = str(stack.write_description(engine, info))
    except HarnessError as error:
        pytest.exit(f"copr-harness: {error}", returncode=error.exit_code)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist (controller): every worker tests against the controller's stack."""
    path = node.config.stash.get(_DESCRIPTION, None)
    if path:
        node.workerinput[WORKER_KEY] = path


def pytest_report_header(config: pytest.Config) -> str | None:
    if _RUN_ID in config.stash and _DESCRIPTION in config.stash:
        return f"copr-harness: run {config.stash[_RUN_ID]}, stack {config.stash[_DESCRIPTION]}"
    given = config.getoption("copr_stack") or os.environ.get("COPR_STACK")
    if given and Path(given).is_file():
        with contextlib.suppress(InputError):
            frontend = load_model(Path(given), Target).urls.frontend
            return f"copr-harness: testing the Copr at {frontend}"
    return None


@pytest.hookimpl(trylast=True)  # after -k/-m deselected: the needs of the tests that will run
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that use a fixture only some targets give need that capability. With
    COPR_HARNESS_NEEDS_FILE set, write each test's needs there (a dry run's plan reads them)."""
    needs: dict[str, list[str]] = {}
    for item in items:
        for fixture, capability in NEEDED_BY_FIXTURE.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(pytest.mark.needs(capability))
        needs[item.nodeid] = sorted({n for mark in item.iter_markers("needs") for n in mark.args})
    if os.environ.get(NEEDS_FILE_VARIABLE):
        Path(os.environ[NEEDS_FILE_VARIABLE]).write_text(json.dumps(needs))


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip (never fail) a test that needs what the target does not give, saying what."""
    wanted = [name for mark in item.iter_markers("needs") for name in mark.args]
    if not wanted:
        return
    given = _capabilities(item.config)
    for name in wanted:
        if name not in CAPABILITIES:
            pytest.fail(f"unknown capability in @pytest.mark.needs: {name!r} (known: "
                        f"{', '.join(sorted(CAPABILITIES))})", pytrace=False)
        if name not in given:
            pytest.skip(f"needs {CAPABILITIES[name]}: the target does not give it")


def _capabilities(config: pytest.Config) -> set[str]:
    if _CAPABILITIES not in config.stash:
        config.stash[_CAPABILITIES] = Target.model_validate(_load(_description_path(config)),
                                                            ).capabilities()
    return config.stash[_CAPABILITIES]


def _load(path: Path) -> dict:
    """A target file (YAML, or the JSON a stack's description is written in), validated."""
    try:
        return load_model(path, Target).description()
    except InputError as error:
        pytest.fail(f"the target file is not usable: {error}", pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    """Note on the item whether its test failed (copr_project's teardown reads it)."""
    report = yield
    if report.when == "call" and report.failed:
        item.stash[_TEST_FAILED] = True
    return report


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config.stash[_FAILED] = exitstatus != 0


def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave the stack --copr-up brought up: its logs saved when the session failed, then removed."""
    if _OLD_SIGTERM in config.stash:
        signal.signal(signal.SIGTERM, config.stash[_OLD_SIGTERM])
    exits = config.stash.get(_EXITS, None)
    if exits is None or _is_worker(config):
        return
    from harness import stack
    from harness.podman.engine import Engine

    # pytest owns SIGINT, so this plugin handles signals itself (harness.interrupts serves the
    # CLI): a second Ctrl-C or SIGTERM must not cut the teardown short.
    old = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with _uncaptured(config):
            exits.close()
            run_id = config.stash.get(_RUN_ID, None)
            if run_id is not None and _DESCRIPTION not in config.stash:
                # Interrupted just as the bring-up ended, before `running` held the run.
                with Engine.connect() as engine:
                    if run_id in stack.runs(engine):
                        stack.down(engine, run_id)
    finally:
        for signum, handler in old.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def _uncaptured(config: pytest.Config) -> Iterator[None]:
    """Let the harness's progress lines through pytest's output capture."""
    capture = config.pluginmanager.getplugin("capturemanager")
    if capture is None:
        yield
        return
    with capture.global_and_fixture_disabled():
        yield


def _description_path(config: pytest.Config) -> Path:
    given = (config.stash.get(_DESCRIPTION, None) or config.getoption("copr_stack")
             or os.environ.get("COPR_STACK"))
    if not given:
        pytest.fail("no copr-harness stack: pass --copr-stack FILE (or export COPR_STACK, as "
                    "'copr-harness env' prints), or bring one up with --copr-up", pytrace=False)
    path = Path(given)
    if not path.is_file():
        pytest.fail(f"the stack description {path} does not exist (is the run still up?)",
                    pytrace=False)
    return path


# -- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def copr_stack(pytestconfig: pytest.Config) -> dict:
    """The target (harness.model.target) as a dict: urls, users (copr-cli config paths),
    default_user, owner, chroots, hosts (testinfra URIs), probes, expected_packages, run_id."""
    return _load(_description_path(pytestconfig))


@pytest.fixture(scope="session")
def copr_client_for(copr_stack: dict) -> Callable[[str | None], Client]:
    """python-copr's Client of a user of the stack: `copr_client_for("bob")` (None: the default
    user)."""
    from copr.v3 import Client

    made: dict[str, Client] = {}

    def get(user: str | None = None) -> Client:
        name = user or copr_stack["default_user"]
        if name not in made:
            made[name] = Client.create_from_config_file(_config_of(copr_stack, name))
        return made[name]

    return get


@pytest.fixture(scope="session")
def copr_client(copr_client_for: Callable[[str | None], Client]) -> Client:
    """python-copr's Client of the stack's default user."""
    return copr_client_for(None)


@pytest.fixture(scope="session")
def copr_cli(copr_stack: dict) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the real copr-cli as a user of the stack (default: the default user), or with
    another config file; returns the finished process (output as text)."""
    command = _copr_cli_command()

    def run(*args: str, user: str | None = None, config: str | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
        config = config or _config_of(copr_stack, user or copr_stack["default_user"])
        return subprocess.run([command, "--config", config, *args], capture_output=True,
                              text=True, timeout=timeout)

    return run


@pytest.fixture(scope="session")
def stack_host(copr_stack: dict) -> Callable[[str], testinfra.host.Host]:
    """A pytest-testinfra host inside one of the stack's hosts: `stack_host("builder-1")`."""
    import testinfra

    made: dict[str, testinfra.host.Host] = {}

    def get(name: str) -> testinfra.host.Host:
        if name not in copr_stack["hosts"]:
            pytest.fail(f"the stack has no host '{name}' (it has: "
                        f"{', '.join(copr_stack['hosts'])})", pytrace=False)
        if name not in made:
            made[name] = testinfra.get_host(copr_stack["hosts"][name])
        return made[name]

    return get


@pytest.fixture(scope="session")
def copr_created(copr_stack: dict, copr_client_for: Callable[[str | None], Client]
                 ) -> Iterator[ledger.Registry]:
    """The session's registry of projects it created: `copr_created.add(owner, name, user)`
    before creating one. At the session's end (also after a failure, Ctrl-C or SIGTERM) each is
    deleted unless COPR_HARNESS_KEEP_PROJECTS is set; nothing else is ever deleted."""
    registry = ledger.Registry(os.environ.get(ledger.VARIABLE))
    yield registry
    if not os.environ.get(ledger.KEEP_VARIABLE):
        registry.delete_all(lambda user: copr_client_for(user))


@pytest.fixture
def copr_project(request: pytest.FixtureRequest, copr_stack: dict,
                 copr_client_for: Callable[[str | None], Client],
                 copr_created: ledger.Registry) -> Iterator[Callable[..., str]]:
    """Make uniquely named projects (safe under xdist), named after the test that makes them:
    `copr_project("fedora-44-x86_64", user="bob", **options)` returns the name (default: the
    target's chroots, in the default user's namespace); each is deleted after the test, once its
    builds finished. After a failed test its unfinished builds are canceled first: on a broken
    stack they may never finish, and waiting for them only delays the report."""
    from harness.gates import project_names
    from harness.gates.copr_waits import cancel_unfinished, wait_all_finished

    made: list[tuple[str, str, str]] = []

    def create(*chroots: str, user: str | None = None, **options: Any) -> str:
        owner = actor = user or copr_stack["default_user"]
        name = project_names.for_test(request.node.name)
        copr_created.add(owner, name, actor)  # recorded first: a signal amid `add` still finds it
        try:
            copr_client_for(actor).project_proxy.add(
                owner, name, chroots=list(chroots or copr_stack["chroots"]), **options)
        except Exception:
            copr_created.forget(owner, name)  # refused (a name taken?): not ours to delete
            raise
        made.append((owner, name, actor))
        return name

    yield create
    if os.environ.get(ledger.KEEP_VARIABLE):
        return
    for owner, name, actor in made:
        with contextlib.suppress(Exception):  # the test may have deleted it already
            client = copr_client_for(actor)
            if request.node.stash.get(_TEST_FAILED, False):
                cancel_unfinished(client, owner, name)
            wait_all_finished(client, owner, name)
            target_logs.save_build_logs(client, owner, name)
            client.project_proxy.delete(owner, name)
            copr_created.forget(owner, name)


def _config_of(description: dict, user: str) -> str:
    if user not in description["users"]:
        pytest.fail(f"the stack has no user '{user}' (it has: {', '.join(description['users'])})",
                    pytrace=False)
    return description["users"][user]


def _copr_cli_command() -> str:
    """copr-cli next to this Python (a virtualenv), else the one on PATH."""
    beside = Path(sys.executable).with_name("copr-cli")
    found = str(beside) if beside.exists() else shutil.which("copr-cli")
    if not found:
        pytest.fail("copr-cli is not installed (pip install copr-cli)", pytrace=False)
    return found
