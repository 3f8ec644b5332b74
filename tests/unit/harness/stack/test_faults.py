"""harness.stack.faults without Podman: which containers a target names, and what each action does."""

from __future__ import annotations

import pytest

from harness.errors import InputError
from harness.stack import faults
from harness.stack.registry import RunInfo
from tests.support.fake_engine import FakeEngine

INFO = RunInfo("r1", ["database", "frontend", "backend", "keygen", "builder"])


def test_a_component_names_every_instance_and_an_instance_only_itself():
    assert [n for _, n in faults.targets(INFO, "builder")] == ["r1-builder-1", "r1-builder-2"]
    assert [n for _, n in faults.targets(INFO, "builder-2")] == ["r1-builder-2"]
    assert [n for _, n in faults.targets(INFO, "backend")] == ["r1-backend"]


def test_an_unknown_target_or_action_is_a_usage_error():
    with pytest.raises(InputError, match="no component or instance 'distgit'.*builder-1"):
        faults.targets(INFO, "distgit")
    with pytest.raises(InputError, match="'pause' is not one of: kill, stop, start, restart"):
        faults.inject(FakeEngine(), INFO, "backend", "pause")


def test_kill_and_stop_leave_the_container_down():
    engine = FakeEngine()
    assert faults.inject(engine, INFO, "builder-1", "kill") == ["r1-builder-1"]
    assert faults.inject(engine, INFO, "backend", "stop") == ["r1-backend"]
    assert engine.calls == [("kill-KILL", "r1-builder-1"), ("stop", "r1-backend")]
    # Already down: nothing more to do.
    faults.inject(engine, INFO, "backend", "kill")
    assert len(engine.calls) == 2


def test_start_and_restart_wait_until_ready(monkeypatch):
    engine = FakeEngine()
    ready: list[str] = []
    monkeypatch.setattr(faults, "wait_ready", lambda eng, spec, name: ready.append(f"{spec.name}:{name}"))
    engine.states["r1-keygen"] = "exited"
    faults.inject(engine, INFO, "keygen", "start")
    faults.inject(engine, INFO, "database", "restart")
    assert engine.calls == [("start", "r1-keygen"), ("stop", "r1-database"), ("start", "r1-database")]
    assert ready == ["keygen:r1-keygen", "database:r1-database"]
