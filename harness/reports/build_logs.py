"""A failed build's own logs (builder-live.log, backend.log), copied out of the backend's
results over HTTP into the report folder before the build, its project or the run goes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
from copr.v3.proxies.build_chroot import BuildChrootProxy

NAMES = ("builder-live.log", "backend.log")
FOLDER = "builds"  # <report folder>/builds/<build id>/<chroot>/<log>
TIMEOUT = 30


def save(config: dict, build_id: int, report_folder: Path) -> list[Path]:
    """Copy the logs of every chroot of a build (the backend serves a finished build's gzipped
    logs decoded); the saved files, relative to the report folder. A log not there is skipped."""
    saved = []
    for chroot in BuildChrootProxy(config).get_list(build_id):
        if not chroot.result_url:
            continue
        for name in NAMES:
            answer = requests.get(chroot.result_url.rstrip("/") + "/" + name, timeout=TIMEOUT)
            if answer.status_code != 200:
                continue
            relative = Path(FOLDER) / str(build_id) / chroot.name / name
            (report_folder / relative).parent.mkdir(parents=True, exist_ok=True)
            (report_folder / relative).write_bytes(answer.content)
            saved.append(relative)
    return saved


def saved(report_folder: Path, build_id: int) -> list[Path]:
    """The logs saved for a build, relative to the report folder."""
    folder = report_folder / FOLDER / str(build_id)
    return sorted(p.relative_to(report_folder) for p in folder.rglob("*.log")) if folder.is_dir() else []


def save_failed(client: Any, builds: list[dict], report_folder: Path) -> None:
    """Copy the logs of the failed builds not saved yet (those of deleted projects were saved
    as they went)."""
    for build in builds:
        if build["state"] in ("failed",) and not saved(report_folder, build["id"]):
            try:
                save(client.config, build["id"], report_folder)
            except Exception:  # noqa: BLE001 - the build may be gone; the report says none saved
                continue
