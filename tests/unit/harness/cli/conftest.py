"""A fake engine with one run, `ch-one` (database and frontend), for the CLI's commands."""

from __future__ import annotations

import pytest

from harness import interrupts
from harness.podman.engine import Engine
from tests.support.fake_engine import FakeEngine


@pytest.fixture
def engine(monkeypatch):
    fake = FakeEngine(runs={"ch-one": {"copr-harness.components": "database,frontend",
                                       "copr-harness.scenario": "scenarios/default.yaml",
                                       "copr-harness.package-set": "candidate",
                                       "copr-harness.kept": "yes"}})
    monkeypatch.setattr(Engine, "connect", classmethod(lambda cls, **kwargs: fake))
    yield fake
    interrupts.reset()


@pytest.fixture(autouse=True)
def log_level(monkeypatch):
    """Each test starts at the default level, and -q/-v's setting does not leak out of it."""
    monkeypatch.delenv("COPR_HARNESS_LOG_LEVEL", raising=False)
    yield
    from harness import progress
    progress.log.setLevel("INFO")
