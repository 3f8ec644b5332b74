"""The dispatcher launcher imports the worker modules it will spawn before it starts, so a set
whose worker cannot import fails the dispatcher (and /health) at once, not every task."""

from __future__ import annotations

import os
import sys
import types

import pytest

import copr_backend_glue
from copr_backend_glue import launchers


def fake_backend(monkeypatch, broken: str | None) -> list[str]:
    """copr_backend modules as sys.modules entries; `broken` raises ImportError on import."""
    ran: list[str] = []

    class Dispatcher:
        def __init__(self, backend_opts):
            pass

        def run(self):
            ran.append("run")

    modules = {
        "copr_backend": types.ModuleType("copr_backend"),
        "copr_backend.helpers": types.SimpleNamespace(get_backend_opts=lambda: {}),
        "copr_backend.background_worker_build": types.ModuleType("bwb"),
        "copr_backend.daemons": types.ModuleType("copr_backend.daemons"),
        "copr_backend.daemons.build_dispatcher": types.SimpleNamespace(BuildDispatcher=Dispatcher),
        "copr_backend.daemons.action_dispatcher": types.SimpleNamespace(ActionDispatcher=Dispatcher),
        "copr_backend_glue.action_worker": types.ModuleType("aw"),
    }
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, None if name == broken else module)
    monkeypatch.setattr(launchers, "say_ready", lambda which: ran.append(f"ready {which}"))
    # `from . import action_worker` takes the package's attribute first, if an import left one.
    monkeypatch.delattr(copr_backend_glue, "action_worker", raising=False)
    return ran


@pytest.mark.parametrize("which,worker", [("builds", "copr_backend.background_worker_build"),
                                          ("actions", "copr_backend_glue.action_worker")])
def test_a_worker_that_cannot_import_stops_its_dispatcher_at_start(monkeypatch, which, worker):
    ran = fake_backend(monkeypatch, broken=worker)
    with pytest.raises(ImportError):
        launchers.dispatcher([which])
    assert ran == []


@pytest.mark.parametrize("which", ["builds", "actions"])
def test_a_dispatcher_whose_workers_import_runs(monkeypatch, which):
    ran = fake_backend(monkeypatch, broken=None)
    assert launchers.dispatcher([which]) == 0
    assert ran == [f"ready {which}", "run"]


def test_ready_marker_holds_the_dispatchers_pid(tmp_path):
    launchers.say_ready("builds", tmp_path)
    assert (tmp_path / "builds.ready").read_text() == f"{os.getpid()}\n"
