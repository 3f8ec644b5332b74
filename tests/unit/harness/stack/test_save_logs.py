"""`save_logs` without Podman: each container's log, and the files of its component's log_dir."""

from __future__ import annotations

from harness import paths
from harness.stack import registry
from harness.stack.registry import Run
from tests.support.fake_engine import FakeEngine


def test_the_backends_log_files_are_saved_beside_the_container_logs(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "REPORTS", tmp_path)
    run = Run("r1", ("frontend", "backend"))
    engine = FakeEngine()
    engine.logs_text = {"r1-backend": "svc: started", "r1-frontend": "flask"}
    engine.put_files("r1-backend", "/var/log/copr-backend",
                     {"worker.log": b"Worker succeeded build", "sub/actions.log": b"ended: success"})
    engine.put_files("r1-frontend", "/var/log/copr-backend", {"never.log": b"not the frontend's"})

    folder = registry.save_logs(engine, run, run.containers())

    assert (folder / "backend.log").read_text() == "svc: started"
    assert (folder / "frontend.log").read_text() == "flask"
    assert (folder / "backend" / "worker.log").read_text() == "Worker succeeded build"
    assert (folder / "backend" / "sub" / "actions.log").read_text() == "ended: success"
    assert not (folder / "frontend").exists()  # the frontend has no log_dir


def test_a_run_without_its_component_list_saves_the_container_logs_only(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "REPORTS", tmp_path)
    engine = FakeEngine()
    engine.logs_text = {"r2-backend": "svc: started"}
    engine.put_files("r2-backend", "/var/log/copr-backend", {"worker.log": b"x"})

    folder = registry.save_logs(engine, Run("r2"), ["r2-backend"])

    assert sorted(p.name for p in folder.iterdir()) == ["backend.log"]
