"""Fixtures of the sanity and post-release suites.

They read the stack from the description file named by COPR_STACK (written by `copr-harness up`
and printed by `copr-harness env`): URLs, the users' copr-cli configs, how to reach each host
(testinfra URIs), the NVRs each host should run. Nothing here depends on how the stack was made,
so the suites can run against any Copr described in the same shape.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
import testinfra
from copr.v3 import Client

from harness import wait

COPR_CLI = str(Path(sys.executable).with_name("copr-cli"))
FINISHED = ("succeeded", "failed", "canceled", "skipped")
# How long a build may take; a gate run against a broken stack sets it lower to fail sooner.
BUILD_TIMEOUT = float(os.environ.get("COPR_SANITY_BUILD_TIMEOUT", "120"))


@pytest.fixture(scope="session")
def copr_stack() -> dict:
    path = os.environ.get("COPR_STACK")
    if not path or not Path(path).is_file():
        pytest.fail("COPR_STACK does not name a stack description: run the suite through "
                    "'copr-harness sanity', or export the lines 'copr-harness env' prints")
    return json.loads(Path(path).read_text())


@pytest.fixture(scope="session")
def frontend_url(copr_stack) -> str:
    return copr_stack["urls"]["frontend"].rstrip("/")


@pytest.fixture(scope="session")
def backend_url(copr_stack) -> str:
    return copr_stack["urls"]["backend"].rstrip("/")


@pytest.fixture(scope="session")
def owner(copr_stack) -> str:
    """The default user's name (projects are made under it unless a test says otherwise)."""
    return copr_stack["default_user"]


@pytest.fixture(scope="session")
def copr_cli(copr_stack) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the real copr-cli as a user of the stack (default: the default user)."""

    def run(*args: str, user: str | None = None, config: str | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
        config = config or copr_stack["users"][user or copr_stack["default_user"]]
        return subprocess.run([COPR_CLI, "--config", config, *args], capture_output=True,
                              text=True, timeout=timeout)

    return run


@pytest.fixture(scope="session")
def client(copr_stack) -> Client:
    """python-copr's client for the default user."""
    return Client.create_from_config_file(copr_stack["users"][copr_stack["default_user"]])


@pytest.fixture(scope="session")
def other_client(copr_stack) -> Client:
    """python-copr's client for a second user (not the owner of the default user's projects)."""
    other = next(u for u in copr_stack["users"] if u != copr_stack["default_user"])
    return Client.create_from_config_file(copr_stack["users"][other])


@pytest.fixture(scope="session")
def stack_host(copr_stack) -> Callable[[str], testinfra.host.Host]:
    """A testinfra host for one of the stack's hosts ('frontend', 'builder-1', ...)."""
    cache: dict[str, testinfra.host.Host] = {}

    def get(name: str) -> testinfra.host.Host:
        if name not in cache:
            cache[name] = testinfra.get_host(copr_stack["hosts"][name])
        return cache[name]

    return get


@pytest.fixture
def project(client, owner) -> Iterator[Callable[..., str]]:
    """Make uniquely named projects (parallel-safe); they are deleted after the test."""
    made: list[str] = []

    def create(*chroots: str, **options) -> str:
        name = f"sanity-{secrets.token_hex(5)}"
        client.project_proxy.add(owner, name, chroots=list(chroots or ["fedora-44-x86_64"]),
                                 **options)
        made.append(name)
        return name

    yield create
    for name in made:
        try:
            wait_all_finished(client, owner, name)
            client.project_proxy.delete(owner, name)
        except Exception:  # noqa: BLE001 - a test may have deleted it already
            pass


def wait_build(client: Client, build_id: int, timeout: float | None = None) -> str:
    """Wait for a build to finish; return its state."""

    def finished() -> str:
        state = client.build_proxy.get(build_id).state
        if state not in FINISHED:
            raise wait.NotYet(f"build {build_id} is {state}")
        return state

    return wait.until(finished, what=f"build {build_id} to finish", timeout=timeout or BUILD_TIMEOUT)


def wait_all_finished(client: Client, owner: str, project: str, timeout: float = 120) -> None:
    """Wait until no build of a project is still running (a project with one can't be deleted)."""

    def settled() -> None:
        builds = client.build_proxy.get_list(owner, project)
        busy = [b.id for b in builds if b.state not in FINISHED]
        if busy:
            raise wait.NotYet(f"builds {busy} still running")

    wait.until(settled, what=f"the builds of {owner}/{project} to finish", timeout=timeout)


def wait_url(url: str, status: int = 200, timeout: float = 60) -> requests.Response:
    """Wait until a URL answers `status` (results appear a moment after a build or action)."""

    def check() -> requests.Response:
        response = requests.get(url, timeout=10)
        if response.status_code != status:
            raise wait.NotYet(f"{url} answered {response.status_code}")
        return response

    return wait.until(check, what=f"{url} to answer {status}", timeout=timeout)
