"""Waits on a Copr through its public interfaces: a build finishing, a project's builds settling,
a URL answering. Shared by the pytest plugin's fixtures and the suites."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import requests

from harness import wait

if TYPE_CHECKING:
    from copr.v3 import Client

# A fork's copies of builds stay "forked", as upstream's frontend leaves them: never running.
FINISHED = ("succeeded", "failed", "canceled", "skipped", "forked")
# How long a build may take; a gate run against a broken stack sets it lower to fail sooner.
BUILD_TIMEOUT = float(os.environ.get("COPR_SANITY_BUILD_TIMEOUT", "120"))
# Polling at most every half second: a build or action ends a few seconds after it starts, and
# the default back-off (up to 2 s) added about a second to every wait of the suites. One GET of
# a build costs the frontend a few milliseconds.
POLL = {"interval": 0.2, "max_interval": 0.5}


def wait_build(client: Client, build_id: int, timeout: float | None = None) -> str:
    """Wait for a build to finish; return its state."""

    def finished() -> str:
        state = client.build_proxy.get(build_id).state
        if state not in FINISHED:
            raise wait.NotYet(f"build {build_id} is {state}")
        return state

    return wait.until(finished, what=f"build {build_id} to finish", timeout=timeout or BUILD_TIMEOUT,
                      **POLL)


def wait_all_finished(client: Client, owner: str, project: str, timeout: float = 120) -> None:
    """Wait until no build of a project is still running (a project with one can't be deleted)."""

    def settled() -> None:
        builds = client.build_proxy.get_list(owner, project)
        busy = [b.id for b in builds if b.state not in FINISHED]
        if busy:
            raise wait.NotYet(f"builds {busy} still running")

    wait.until(settled, what=f"the builds of {owner}/{project} to finish", timeout=timeout, **POLL)


def cancel_unfinished(client: Client, owner: str, project: str) -> list[int]:
    """Cancel every unfinished build of a project; return their ids. A build that finishes
    meanwhile is refused (409) and left as it ended."""
    # Imported here: copr.v3 takes 0.1 s to import, and every CLI start imports this module.
    from copr.v3 import CoprRequestException

    busy = [b.id for b in client.build_proxy.get_list(owner, project) if b.state not in FINISHED]
    for build_id in busy:
        try:
            client.build_proxy.cancel(build_id)
        except CoprRequestException:
            continue  # it finished before the cancel reached it
    return busy


def wait_url(url: str, status: int = 200, timeout: float = 60) -> requests.Response:
    """Wait until a URL answers `status` (results appear a moment after a build or action)."""

    def check() -> requests.Response:
        response = requests.get(url, timeout=10)
        if response.status_code != status:
            raise wait.NotYet(f"{url} answered {response.status_code}")
        return response

    return wait.until(check, what=f"{url} to answer {status}", timeout=timeout, **POLL)
