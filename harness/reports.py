"""Artefacts of a run under build/reports/<run-id>/."""

from __future__ import annotations

import os
from pathlib import Path

from . import folders
from .engine import Engine

REPORTS = Path(os.environ.get("COPR_HARNESS_REPORTS", "build/reports"))


def run_dir(run_id: str) -> Path:
    """The report folder of a run (created when needed)."""
    return folders.make(folders.label("COPR_HARNESS_REPORTS", REPORTS), REPORTS / run_id)


def check_folder() -> None:
    """Bad input, found before a run starts: the reports folder cannot be made."""
    folders.check_makeable(folders.label("COPR_HARNESS_REPORTS", REPORTS), REPORTS)


def save_logs(engine: Engine, run_id: str, containers: list[str]) -> Path:
    """Write each container's whole log to logs/<component>.log (name without the run id)."""
    folder = run_dir(run_id) / "logs"
    folder.mkdir(exist_ok=True)
    for container in containers:
        short = container.removeprefix(f"{run_id}-")
        (folder / f"{short}.log").write_text(engine.logs(container))
    return folder
