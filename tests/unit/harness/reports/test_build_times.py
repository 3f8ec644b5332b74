"""Build times for the reports: recorded before a project is deleted, merged with the listed ones;
and the timed phases the timelines are drawn from."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from harness import phases
from harness.gates import build_recorder
from harness.reports import build_times


def build(number: int, state: str = "succeeded") -> SimpleNamespace:
    return SimpleNamespace(id=number, state=state, submitted_on=100 + number, started_on=101 + number,
                           ended_on=105 + number if state == "succeeded" else None)


def test_a_deleted_projects_builds_are_recorded_before_the_delete(tmp_path, monkeypatch):
    log = tmp_path / build_times.DELETED_LOG
    monkeypatch.setenv(build_recorder.VARIABLE, str(log))
    calls = []
    monkeypatch.setattr(build_recorder.BuildProxy, "get_list",
                        lambda self, owner, project: calls.append(("list", owner, project))
                        or [build(1), build(2, "running")])
    delete = build_recorder._recording_delete(
        lambda self, owner, project: calls.append(("delete", owner, project)) or "deleted")
    proxy = SimpleNamespace(config={"copr_url": "http://frontend"})
    assert delete(proxy, "alice", "demo") == "deleted"
    assert calls == [("list", "alice", "demo"), ("delete", "alice", "demo")]
    assert build_times.deleted(tmp_path) == [
        {"id": 1, "project": "alice/demo", "state": "succeeded", "submitted": 101, "started": 102,
         "ended": 106},
        {"id": 2, "project": "alice/demo", "state": "running", "submitted": 102, "started": 103,
         "ended": None}]


def test_recording_never_stops_the_delete(tmp_path, monkeypatch):
    monkeypatch.setenv(build_recorder.VARIABLE, str(tmp_path / "missing-folder" / "log"))

    def broken(self, owner, project):
        raise ConnectionError("frontend gone")

    monkeypatch.setattr(build_recorder.BuildProxy, "get_list", broken)
    delete = build_recorder._recording_delete(lambda self, owner, project: "deleted")
    assert delete(SimpleNamespace(config={}), "alice", "demo") == "deleted"
    monkeypatch.delenv(build_recorder.VARIABLE)
    monkeypatch.setattr(build_recorder.BuildProxy, "get_list", lambda *a: pytest.fail("listed"))
    assert delete(SimpleNamespace(config={}), "alice", "demo") == "deleted"


def test_save_merges_recorded_and_listed_builds_the_listed_winning(tmp_path, monkeypatch):
    (tmp_path / build_times.DELETED_LOG).write_text(
        json.dumps({"id": 3, "project": "alice/gone", "state": "succeeded", "submitted": 1,
                    "started": 2, "ended": 4}) + "\n"
        + json.dumps({"id": 5, "project": "alice/p", "state": "running", "submitted": 1,
                      "started": 2, "ended": None}) + "\n" + '{"id": 9, "torn')
    listed = [build_times.record(build(5), "alice/p")]
    monkeypatch.setattr(build_times, "collect", lambda run_id: listed)
    path = build_times.save("run1", tmp_path)
    assert [(b["id"], b["project"], b["state"]) for b in json.loads(path.read_text())] == [
        (3, "alice/gone", "succeeded"), (5, "alice/p", "succeeded")]
    assert build_times.load(tmp_path) == json.loads(path.read_text())


def test_save_keeps_the_recorded_builds_when_the_api_fails(tmp_path, monkeypatch, capsys):
    (tmp_path / build_times.DELETED_LOG).write_text(json.dumps(build_times.record(build(7), "a/b")) + "\n")

    def down(run_id):
        raise ConnectionError("refused")

    monkeypatch.setattr(build_times, "collect", down)
    assert [b["id"] for b in json.loads(build_times.save("run1", tmp_path).read_text())] == [7]
    assert "could not read the run's build times: ConnectionError: refused" in capsys.readouterr().err


def test_a_run_without_user_configs_has_no_listed_builds(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert build_times.collect("no-such-run") == []
    assert build_times.load(tmp_path) == []


def test_phases_are_timed_and_a_failed_one_says_why():
    events: list[phases.Event] = []
    with phases.record(events, "frontend", "install"):
        pass
    with pytest.raises(RuntimeError):
        with phases.record(events, "frontend", "ready"):
            raise RuntimeError("timed out waiting\nmore lines")
    assert [(e.lane, e.phase, e.ok, e.detail) for e in events] == [
        ("frontend", "install", True, ""), ("frontend", "ready", False, "timed out waiting")]
    assert all(e.end >= e.start > 0 for e in events)

