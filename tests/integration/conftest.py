"""Integration tests: the harness against real Podman (no fakes). Images are built once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import naming
from harness.artifacts import images
from harness.model.components import services
from harness.podman.engine import Engine
from harness.stack.registry import RunInfo

from .copr_stack import Stack, client_view, running

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    with Engine.connect() as connected:
        yield connected


@pytest.fixture(scope="session")
def built_images(engine: Engine) -> dict:
    """Every image, built (cold: about a minute) or found in the cache."""
    return images.ensure(engine, sorted(services()))


@pytest.fixture
def reports_dir(tmp_path: Path) -> Path:
    return tmp_path / "reports"


@pytest.fixture
def cli(built_images: dict, reports_dir: Path):
    """Run `copr-harness ARGS...` as a user would (`env`: variables to set or override);
    return the finished process."""

    def run(*args: str, timeout: float = 300,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "COPR_HARNESS_REPORTS": str(reports_dir), **(env or {})}
        return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True,
                              text=True, timeout=timeout, env=env, cwd=ROOT)

    return run


@pytest.fixture
def run_id(engine: Engine) -> Iterator[str]:
    """A fresh run id; whatever the test left of that run is removed afterwards."""
    rid = naming.new_run_id()
    yield rid
    engine.remove_run(rid)


def leftovers(engine: Engine, rid: str):
    """The resources still labelled with a run id."""
    return engine.find(f"{naming.LABEL_RUN}={rid}")


@pytest.fixture(scope="module")
def stack_run(engine: Engine, built_images: dict) -> Iterator[RunInfo]:
    """One default stack shared by a module's tests (each test leaves it running as it found it)."""
    with running(engine) as info:
        yield info


@pytest.fixture(scope="module")
def copr(engine: Engine, stack_run: RunInfo) -> Stack:
    """What a client of the module's stack sees (its copr-cli configs and URLs)."""
    return client_view(engine, stack_run)
