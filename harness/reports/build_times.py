"""The times of a run's builds, read through APIv3 (python-copr) before the run is torn down."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from copr.v3 import Client

from harness import progress
from harness.gates.build_recorder import FAILED, record  # noqa: F401 - the reports' names
from harness.reports import build_logs
from harness.stack import users

FILE = "builds.json"
# Builds of projects deleted during a suite, one JSON line each (see build_recorder).
DELETED_LOG = "builds-of-deleted-projects.jsonl"


def collect(run_id: str, report_folder: Path | None = None) -> list[dict]:
    """Every build in the projects of the run's users and groups: id, project, state and the
    submitted/started/ended epoch seconds (None when not reached). Projects a test deleted are
    gone from the API: `build_recorder` kept their builds in DELETED_LOG. The failed builds' logs
    are copied into `report_folder` (if given)."""
    configs = users.configs(run_id)
    if users.DEFAULT_USER not in configs:
        return []
    client = Client.create_from_config_file(str(configs[users.DEFAULT_USER]))
    owners = list(configs) + sorted({f"@{g}" for groups in users.USERS.values() for g in groups})
    found: dict[int, dict] = {}
    for owner in owners:
        for project in client.project_proxy.get_list(ownername=owner):
            for build in client.build_proxy.get_list(owner, project.name):
                found[build.id] = record(build, f"{owner}/{project.name}")
    builds = [found[i] for i in sorted(found)]
    if report_folder is not None:
        build_logs.save_failed(client, builds, report_folder)
    return builds


def deleted(folder: Path) -> list[dict]:
    """The builds recorded as their projects were deleted (a torn last line is skipped)."""
    path = folder / DELETED_LOG
    lines = path.read_text().splitlines() if path.exists() else []
    found = []
    for line in lines:
        with contextlib.suppress(ValueError):
            found.append(json.loads(line))
    return found


def save(run_id: str, folder: Path) -> Path:
    """Write the run's builds (those listed now and those recorded as their projects were
    deleted) to `folder`/builds.json; an API failure is reported, not raised (the report then
    shows only the recorded builds; the run's verdict stays)."""
    try:
        listed = collect(run_id, folder)
    except Exception as error:  # noqa: BLE001 - the frontend may be down after a failed run
        progress.say(f"could not read the run's build times: {type(error).__name__}: {error}")
        listed = []
    merged = {b["id"]: b for b in deleted(folder)} | {b["id"]: b for b in listed}
    builds = [merged[i] for i in sorted(merged)]
    path = folder / FILE
    path.write_text(json.dumps(builds, indent=1) + "\n")
    progress.say(f"{len(builds)} builds' times saved in {path}")
    return path


def load(folder: Path) -> list[dict]:
    """The builds saved in `folder` (none if not saved)."""
    path = folder / FILE
    return json.loads(path.read_text()) if path.exists() else []
