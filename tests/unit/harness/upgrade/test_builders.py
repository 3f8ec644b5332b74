"""The builder step: each builder is replaced only once the allocator
says it holds no job, and is handed out again afterwards (no Podman: the fake engine)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.model.scenario import load_scenario
from harness.paths import ROOT
from harness.podman.engine import ExecResult
from harness.stack.registry import RunInfo
from harness.upgrade import builders, plan, window
from harness.wait import WaitTimeout
from tests.support.fake_engine import FakeEngine

COMPONENTS = ["database", "frontend", "backend", "keygen", "distgit", "builder"]


class AllocatorEngine(FakeEngine):
    """A fake engine whose backend's allocator says a builder is held by `busy[host]` tickets
    (one per ask, then free), and which replaces containers."""

    def __init__(self, busy: dict[str, list[int]]) -> None:
        super().__init__()
        self.busy = busy

    def exec(self, name, command, user=None, env=None):
        if command[:3] == builders.ALLOCATOR and command[3] == "--drain":
            super().exec(name, command, user, env)
            held = self.busy.get(command[4], [])
            return ExecResult(0, json.dumps({"host": command[4], "ticket": held.pop(0) if held else None}))
        if command[:3] == builders.ALLOCATOR and command[3] == "--resume":
            super().exec(name, command, user, env)
            return ExecResult(0, json.dumps({"host": command[4], "ticket": None}))
        return super().exec(name, command, user, env)

    def remove_container(self, name: str) -> None:
        self._do("remove_container", name)


def lines(engine: FakeEngine) -> list[str]:
    """What the step did, in order: allocator asks, removals, starts."""
    done = []
    for call in engine.calls:
        if call[0] == "exec" and "copr_backend_glue.allocator" in call[2]:
            done.append(f"{call[1]}: {call[2].split()[-2]} {call[2].split()[-1]}")
        elif call[0] in ("remove_container", "start"):
            done.append(f"{call[0]} {call[1]}")
    return done


def test_a_builder_is_replaced_once_it_holds_no_job_then_handed_out_again():
    engine = AllocatorEngine({"builder-1": [7, 7]})
    with builders.held_out(engine, "r1-backend", "builder-1", timeout=10):
        engine.start("r1-builder-1")
    assert lines(engine) == ["r1-backend: --drain builder-1"] * 3 + [
        "start r1-builder-1", "r1-backend: --resume builder-1"]


def test_a_builder_that_never_frees_ends_the_step_naming_it_and_is_handed_out_again():
    engine = AllocatorEngine({"builder-1": [7] * 1000})
    with pytest.raises(WaitTimeout, match=r"builder builder-1 to end the job it holds .* "
                                          r"\(last: ticket 7 holds it\)"):
        with builders.held_out(engine, "r1-backend", "builder-1", timeout=0.5):
            engine.start("r1-builder-1")
    assert "start r1-builder-1" not in lines(engine)
    assert lines(engine)[-1] == "r1-backend: --resume builder-1"


def test_an_allocator_that_does_not_answer_is_the_harnesss_failure():
    engine = FakeEngine()
    engine.answer("copr_backend_glue.allocator", ExecResult(1, "allocator on 127.0.0.1:49100: "
                                                            "[Errno 111] Connection refused"))
    with pytest.raises(builders.InfraError, match="r1-backend: asking the builder allocator to "
                                                  "drain builder-1 failed: .*Connection refused"):
        with builders.held_out(engine, "r1-backend", "builder-1", timeout=5):
            pass


def replace_builders(monkeypatch, tmp_path, engine, components: list[str]) -> window.Window:
    """The window's builder step of release-good.yaml on a run of `components`."""
    _, scenario = load_scenario(ROOT / "scenarios" / "release-good.yaml")

    class State:
        def __init__(self, engine, run_id, components, run_secrets):
            self.defined = window.all_components()

        def create(self, component, image, owner, only):
            pass

        def write_env(self, only, container):
            pass

    monkeypatch.setattr(window, "Bringup", State)
    monkeypatch.setattr(window.images, "component_tag", lambda component: "image")
    monkeypatch.setattr(window.packages, "install", lambda engine, name, rpms: None)
    monkeypatch.setattr(window.packages, "build_set", lambda names, versions, component=None:
                        {n: tmp_path / f"{n}.rpm" for n in names})
    monkeypatch.setattr(window, "wait_ready", lambda engine, component, name: None)
    monkeypatch.setattr(window, "wait_polled", lambda *args: None)
    step = next(s for s in plan.make(scenario).steps if s.component == "builder")
    info = RunInfo("r1", components, secrets={"x": "y"})
    return window.Runner(engine, info, scenario.package_set("production"),
                         scenario.candidate).run([step])


def test_the_builder_step_holds_each_builder_out_while_replacing_it(monkeypatch, tmp_path):
    engine = AllocatorEngine({"builder-1": [4], "builder-2": [5, 5]})
    result = replace_builders(monkeypatch, tmp_path, engine, COMPONENTS)
    assert result.failed_step is None
    assert lines(engine) == (
        ["r1-backend: --drain builder-1"] * 2
        + ["remove_container r1-builder-1", "start r1-builder-1", "r1-backend: --resume builder-1"]
        + ["r1-backend: --drain builder-2"] * 3
        + ["remove_container r1-builder-2", "start r1-builder-2", "r1-backend: --resume builder-2"])


def test_without_a_backend_builders_are_replaced_without_asking_an_allocator(monkeypatch, tmp_path):
    """No backend, no allocator and no job on a builder: each is replaced at once."""
    engine = AllocatorEngine({"builder-1": [4], "builder-2": [5, 5]})
    result = replace_builders(monkeypatch, tmp_path, engine,
                              [c for c in COMPONENTS if c != "backend"])
    assert result.failed_step is None
    assert lines(engine) == ["remove_container r1-builder-1", "start r1-builder-1",
                             "remove_container r1-builder-2", "start r1-builder-2"]
