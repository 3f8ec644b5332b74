"""`stack.running` without Podman: what leaving the block does in each case (normal, kept, failed,
interrupted, an existing run reused)."""

from __future__ import annotations

import pytest

from harness.errors import InputError
from harness.stack import lifetime
from harness.stack.registry import RunInfo
from tests.support.fake_engine import FakeEngine

SCENARIO = object()  # `up` is replaced: the scenario is only passed through


@pytest.fixture
def calls(monkeypatch):
    """What `running` did: ups, saved logs, teardowns (each recorded in order)."""
    done: list[tuple[str, str]] = []

    def up(engine, scenario, run_id, package_set="candidate", keep=True):
        assert scenario is SCENARIO
        done.append(("up", f"{run_id} {package_set} keep={keep}"))
        return RunInfo(run_id, ["database", "frontend"])

    monkeypatch.setattr(lifetime, "up", up)
    monkeypatch.setattr(lifetime, "save_logs", lambda engine, run, names: done.append(
        ("logs", " ".join(names))))
    monkeypatch.setattr(lifetime, "down", lambda engine, run_id: done.append(("down", run_id)))
    return done


def test_a_run_lives_for_the_block_then_its_logs_are_saved_and_it_is_removed(calls):
    seen = []
    with lifetime.running(FakeEngine(), SCENARIO, "r1", package_set="production",
                          before_teardown=lambda info: seen.append(info.run_id)) as info:
        assert info.run_id == "r1" and calls == [("up", "r1 production keep=False")]
    assert calls[1:] == [("logs", "r1-database r1-frontend"), ("down", "r1")]
    assert seen == ["r1"]


def test_a_kept_run_is_left_running(calls):
    with lifetime.running(FakeEngine(), SCENARIO, "r1", keep=True):
        pass
    assert calls == [("up", "r1 candidate keep=True"), ("logs", "r1-database r1-frontend")]


def test_a_failed_block_saves_the_logs_even_when_not_asked_and_removes_the_run(calls):
    with pytest.raises(RuntimeError, match="suite crashed"):
        with lifetime.running(FakeEngine(), SCENARIO, "r1", logs=False):
            raise RuntimeError("suite crashed")
    assert calls[1:] == [("logs", "r1-database r1-frontend"), ("down", "r1")]


def test_without_a_failure_logs_false_saves_none(calls):
    with lifetime.running(FakeEngine(), SCENARIO, "r1", logs=False):
        pass
    assert calls[1:] == [("down", "r1")]


def test_a_teardown_step_that_fails_still_removes_the_run(calls, monkeypatch):
    def broken(info):
        raise OSError("disk full")

    with pytest.raises(OSError):
        with lifetime.running(FakeEngine(), SCENARIO, "r1", before_teardown=broken):
            pass
    assert calls[-1] == ("down", "r1")


def test_an_existing_run_is_used_as_it_is_and_left_running(calls):
    engine = FakeEngine(runs={"r1": {"copr-harness.components": "database,frontend"}})
    with lifetime.running(engine, SCENARIO, "r1", reuse=True) as info:
        assert info.components == ["database", "frontend"]
    assert calls == [("logs", "r1-database r1-frontend")]  # no up, no down


def test_a_signal_as_up_returns_removes_the_run_but_another_error_leaves_it(calls, monkeypatch):
    """`up` cleans up after itself; only an interrupt just as it returned leaves a run, and a
    failure such as "run id in use" names a run that is someone else's."""
    engine = FakeEngine()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(lifetime, "up", interrupted)
    with pytest.raises(KeyboardInterrupt):
        with lifetime.running(engine, SCENARIO, "r1"):
            pass
    assert engine.calls == [("remove_run", "r1")]

    def in_use(*args, **kwargs):
        raise InputError("run id 'r1' is already in use")

    monkeypatch.setattr(lifetime, "up", in_use)
    engine = FakeEngine()
    with pytest.raises(InputError):
        with lifetime.running(engine, SCENARIO, "r1"):
            pass
    assert engine.calls == [] and calls == []


def test_whether_to_save_the_logs_may_be_decided_on_leaving(calls):
    """The pytest plugin's case: logs only when the session failed, known at its end."""
    failed = {"session": False}
    with lifetime.running(FakeEngine(), SCENARIO, "r1", logs=lambda: failed["session"]):
        pass
    assert calls[1:] == [("down", "r1")]
    calls.clear()
    with lifetime.running(FakeEngine(), SCENARIO, "r2", logs=lambda: failed["session"]):
        failed["session"] = True
    assert calls[1:] == [("logs", "r2-database r2-frontend"), ("down", "r2")]
