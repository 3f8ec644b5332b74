"""Helpers for tests that drive a whole stack with the real copr-cli."""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from harness import naming, stack, wait
from harness.gates.copr_waits import FINISHED
from harness.model.scenario import load_scenario
from harness.naming import DEFAULT_CHROOT
from harness.podman.engine import Engine

COPR_CLI = str(Path(sys.executable).with_name("copr-cli"))


@dataclass
class Stack:
    """A running stack as clients see it: URLs and one copr-cli config per user."""

    run_id: str
    env: dict[str, str]

    @property
    def frontend_url(self) -> str:
        return self.env["FRONTEND_URL"]

    def config(self, user: str = "alice") -> str:
        return self.env[f"COPR_CONFIG_{user.upper()}"]

    def copr(self, *args: str, user: str = "alice", config: str | None = None,
             timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run the real copr-cli as `user` (or with another config file)."""
        return subprocess.run([COPR_CLI, "--config", config or self.config(user), *args],
                              capture_output=True, text=True, timeout=timeout)

    def new_project(self, *chroots: str, name: str | None = None) -> str:
        """Create a project of alice's (a fresh name unless `name`) in `chroots`; its name."""
        project = name or f"p{secrets.token_hex(4)}"
        args = [arg for chroot in (chroots or (DEFAULT_CHROOT,)) for arg in ("--chroot", chroot)]
        created = self.copr("create", project, *args)
        assert created.returncode == 0, f"create {project}: {created.stderr}"
        return project

    def submit(self, project: str, srpm: Path, *extra: str) -> int:
        """Submit a build of an SRPM with copr-cli (`--nowait`); its build id."""
        result = self.copr("build", project, str(srpm), "--nowait", *extra)
        assert result.returncode == 0, result.stderr
        return int(result.stdout.split("Created builds:")[1].split()[0])

    def build_state(self, build_id: int) -> str:
        """A build's state as the frontend's API says."""
        response = requests.get(f"{self.frontend_url}/api_3/build/{build_id}", timeout=10)
        response.raise_for_status()
        return response.json()["state"]

    def wait_build(self, build_id: int, until: tuple[str, ...] = FINISHED, timeout: float = 180,
                   what: str | None = None) -> str:
        """Wait until a build's state is one of `until` (by default: it ended); that state."""

        def reached() -> str:
            state = self.build_state(build_id)
            if state not in until:
                raise wait.NotYet(f"build {build_id} is {state}")
            return state

        return wait.until(reached, what=what or f"build {build_id} to be one of {until}",
                          timeout=timeout)


@contextmanager
def running(engine: Engine, scenario_file: Path | None = None,
            components: list[str] | None = None) -> Iterator[stack.RunInfo]:
    """A run of a scenario (default: scenarios/default.yaml) owned by the test, removed after."""
    _, scenario = load_scenario(scenario_file)
    if components:
        scenario.components = components
    with stack.running(engine, scenario, naming.new_run_id(), logs=False) as info:
        yield info


def client_view(engine: Engine, info: stack.RunInfo) -> Stack:
    """What a client of the run sees: its `copr-harness env` values."""
    return Stack(info.run_id, stack.environment(engine, info))
