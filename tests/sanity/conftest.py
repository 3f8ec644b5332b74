"""Fixtures of the sanity and post-release suites, on the copr_harness pytest plugin's.

The plugin (harness/gates/pytest_plugin.py) gives the stack (`copr_stack`, from COPR_STACK or
--copr-stack, or brought up with --copr-up), `copr_cli`, `stack_host`, python-copr clients and
projects; the names below are the ones the suites use. Nothing here depends on how the stack was
made, so the suites can run against any Copr described in the same shape.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
import requests
from copr.v3 import Client

from ._builds import CHROOT

# The suites import their waits from here.
from harness.gates.copr_waits import (  # noqa: F401
    BUILD_TIMEOUT, FINISHED, wait_all_finished, wait_build, wait_url,
)


@pytest.fixture(scope="session")
def frontend_url(copr_stack) -> str:
    return copr_stack["urls"]["frontend"].rstrip("/")


@pytest.fixture(scope="session")
def backend_url(copr_stack) -> str:
    return copr_stack["urls"]["backend"].rstrip("/")


@pytest.fixture(scope="session")
def owner(copr_stack) -> str:
    """The default user's name (projects are made under it unless a test says otherwise). The
    sanity suite works in its users' own namespaces, whatever the target's `owner:`."""
    return copr_stack["default_user"]


@pytest.fixture(scope="session")
def client(copr_client) -> Client:
    """python-copr's client for the default user."""
    return copr_client


@pytest.fixture(scope="session")
def other_client(copr_stack, copr_client_for) -> Client:
    """python-copr's client for a second user (not the owner of the default user's projects)."""
    return copr_client_for(next(u for u in copr_stack["users"] if u != copr_stack["default_user"]))


# Modules whose tests hardly build (a second or two each, mostly frontend calls): they run last,
# filling the workers' gaps instead of starting a long test near the end.
QUICK_MODULES = ("test_packages.py", "test_projects.py", "test_smoke.py")
# The suite's tests spend most of their time waiting for the stack's builds and actions, not on
# the CPU: `-n auto` runs this many workers per core so those waits overlap.
WORKERS_PER_CORE = 2


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"chroots(*names): chroots a test needs besides {CHROOT}")
    config.addinivalue_line("markers", "slow: a long test (a chain of builds, copr-cli's 30 s "
                            "wait); it starts first so it does not end the run alone")


@pytest.hookimpl(optionalhook=True)  # the gate collects with -p no:xdist
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: WORKERS_PER_CORE workers per core."""
    return WORKERS_PER_CORE * (os.cpu_count() or 1)


def run_order(item: pytest.Item) -> int:
    """0: slow tests, 1: the others, 2: tests of QUICK_MODULES."""
    if item.get_closest_marker("slow"):
        return 0
    return 2 if item.path.name in QUICK_MODULES else 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest first: xdist hands tests out in this order, so the run ends on short ones."""
    items.sort(key=run_order)  # stable: collection order within each group


@pytest.fixture(scope="session")
def offered_chroots(frontend_url) -> set[str]:
    """The chroots the target's Copr offers (anonymous GET /api_3/mock-chroots/list)."""
    url = f"{frontend_url}/api_3/mock-chroots/list"
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    return set(response.json())


@pytest.fixture(autouse=True)
def _chroots_offered(request: pytest.FixtureRequest) -> None:
    """Skip a test whose chroots the target does not offer, naming them."""
    marker = request.node.get_closest_marker("chroots")
    wanted = [CHROOT, *(marker.args if marker else ())]
    missing = [name for name in wanted if name not in request.getfixturevalue("offered_chroots")]
    if missing:
        pytest.skip(f"needs the chroot{'s' if len(missing) > 1 else ''} {', '.join(missing)}: "
                    "the target's Copr does not offer it")


@pytest.fixture
def project(copr_project) -> Callable[..., str]:
    """Make uniquely named projects of the default user (default chroot: CHROOT), deleted after
    the test."""
    def create(*chroots: str, **options) -> str:
        return copr_project(*(chroots or (CHROOT,)), **options)

    return create
