"""A pytest plugin for the suites the harness runs: before python-copr deletes a project, the
times of its builds are appended to the file named by COPR_HARNESS_BUILD_LOG, so the report's
build charts include the builds of projects a test made and deleted.

Loaded with `-p harness.gates.build_recorder` by `suites.run`; without the variable it does nothing.
"""

from __future__ import annotations

import json
import os
from typing import Any

from copr.v3.proxies.build import BuildProxy
from copr.v3.proxies.project import ProjectProxy

from harness.reports import build_times

VARIABLE = "COPR_HARNESS_BUILD_LOG"


def _recording_delete(original: Any) -> Any:
    def delete(self: ProjectProxy, ownername: str, projectname: str) -> Any:
        path = os.environ.get(VARIABLE)
        if path:
            try:
                builds = BuildProxy(self.config).get_list(ownername, projectname)
                lines = "".join(json.dumps(build_times.record(b, f"{ownername}/{projectname}")) + "\n"
                                for b in builds)
                # One O_APPEND write per project: parallel workers' lines do not interleave.
                descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                try:
                    os.write(descriptor, lines.encode())
                finally:
                    os.close(descriptor)
            except Exception:  # noqa: BLE001 - the report may miss them; the test must not fail
                pass
        return original(self, ownername, projectname)

    delete.recording = True  # type: ignore[attr-defined]
    return delete


def pytest_configure(config: Any) -> None:
    """Wrap ProjectProxy.delete once per process (the xdist workers load the plugin too)."""
    if not getattr(ProjectProxy.delete, "recording", False):
        ProjectProxy.delete = _recording_delete(ProjectProxy.delete)  # type: ignore[method-assign]
