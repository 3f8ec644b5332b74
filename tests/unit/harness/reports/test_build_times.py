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
                           ended_on=105 + number if state == "succeeded" else None,
                           ownername="alice", projectname="demo", source_package={"name": "hello"})


def test_a_deleted_projects_builds_are_recorded_before_the_delete(tmp_path, monkeypatch):
    log = tmp_path / build_times.DELETED_LOG
    monkeypatch.setenv(build_recorder.VARIABLE, str(log))
    calls = []
    monkeypatch.setattr(build_recorder.BuildProxy, "get_list",
                        lambda self, owner, project: calls.append(("list", owner, project))
                        or [build(1), build(2, "running")])
    delete = build_recorder._recording(
        lambda self, owner, project: calls.append(("delete", owner, project)) or "deleted",
        build_recorder._project_builds)
    # An ended build's chroot states are kept too (the message check reads them).
    monkeypatch.setattr(build_recorder.BuildChrootProxy, "get_list", lambda self, number: [
        SimpleNamespace(name="fedora-44-x86_64", state="succeeded")])
    proxy = SimpleNamespace(config={"copr_url": "http://frontend"})
    assert delete(proxy, "alice", "demo") == "deleted"
    assert calls == [("list", "alice", "demo"), ("delete", "alice", "demo")]
    assert build_times.deleted(tmp_path) == [
        {"id": 1, "project": "alice/demo", "state": "succeeded", "submitted": 101, "started": 102,
         "ended": 106, "package": "hello", "chroot_states": {"fedora-44-x86_64": "succeeded"}},
        {"id": 2, "project": "alice/demo", "state": "running", "submitted": 102, "started": 103,
         "ended": None, "package": "hello"}]


def test_recording_never_stops_the_delete(tmp_path, monkeypatch):
    monkeypatch.setenv(build_recorder.VARIABLE, str(tmp_path / "missing-folder" / "log"))

    def broken(self, owner, project):
        raise ConnectionError("frontend gone")

    monkeypatch.setattr(build_recorder.BuildProxy, "get_list", broken)
    delete = build_recorder._recording(lambda self, owner, project: "deleted",
                                       build_recorder._project_builds)
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
    monkeypatch.setattr(build_times, "collect", lambda run_id, folder=None: listed)
    path = build_times.save("run1", tmp_path)
    assert [(b["id"], b["project"], b["state"]) for b in json.loads(path.read_text())] == [
        (3, "alice/gone", "succeeded"), (5, "alice/p", "succeeded")]
    assert build_times.load(tmp_path) == json.loads(path.read_text())


def test_save_keeps_the_recorded_builds_when_the_api_fails(tmp_path, monkeypatch, capsys):
    (tmp_path / build_times.DELETED_LOG).write_text(json.dumps(build_times.record(build(7), "a/b")) + "\n")

    def down(run_id, folder=None):
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



def test_deleting_single_builds_records_them_too(tmp_path, monkeypatch):
    log = tmp_path / build_times.DELETED_LOG
    monkeypatch.setenv(build_recorder.VARIABLE, str(log))
    monkeypatch.setattr(build_recorder.BuildProxy, "get", lambda self, number: build(number))

    def unreadable(self, number):
        raise ConnectionError("refused")

    # Chroot states that cannot be read leave the record without them, not unwritten.
    monkeypatch.setattr(build_recorder.BuildChrootProxy, "get_list", unreadable)
    delete = build_recorder._recording(lambda self, ids: {"builds": ids}, build_recorder._builds)
    assert delete(SimpleNamespace(config={"copr_url": "http://frontend"}), [7, 8]) == {"builds": [7, 8]}
    assert [b["id"] for b in build_times.deleted(tmp_path)] == [7, 8]
    assert all("chroot_states" not in b for b in build_times.deleted(tmp_path))


def test_every_python_process_of_a_suite_records_deletes_copr_cli_too(tmp_path):
    """copr-cli is a process of its own: the suite's environment loads the recorder into it."""
    import os
    import subprocess
    import sys

    env = build_recorder.subprocess_env(dict(os.environ), tmp_path / build_times.DELETED_LOG)
    probe = ("from copr.v3.proxies.build import BuildProxy; from copr.v3.proxies.package import "
             "PackageProxy; from copr.v3.proxies.project import ProjectProxy; print(all(getattr("
             "m, 'recording', False) for m in (ProjectProxy.delete, PackageProxy.delete, "
             "BuildProxy.delete, BuildProxy.delete_list)))")
    run = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                         cwd=tmp_path, check=True)
    assert run.stdout.strip() == "True", run.stderr
    env.pop(build_recorder.VARIABLE)
    run = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                         cwd=tmp_path, check=True)
    assert run.stdout.strip() == "False"


def test_the_suites_sitecustomize_still_runs_the_one_it_shadows(tmp_path):
    import os
    import subprocess
    import sys

    other = tmp_path / "other"
    other.mkdir()
    (other / "sitecustomize.py").write_text("import os\nos.environ['SHADOWED_RAN'] = 'yes'\n")
    env = build_recorder.subprocess_env(dict(os.environ, PYTHONPATH=str(other)),
                                        tmp_path / build_times.DELETED_LOG)
    run = subprocess.run([sys.executable, "-c", "import os; print(os.environ.get('SHADOWED_RAN'))"],
                         env=env, capture_output=True, text=True, cwd=tmp_path, check=True)
    assert run.stdout.strip() == "yes", run.stderr
