"""What a target exposes of a run's builds: their builder-live logs, saved before the project
that holds them is deleted (a target's own service logs are out of reach, black-box).

Active when COPR_HARNESS_TARGET_LOGS names a folder (runs against a target set it); each log is
saved as build-<id>-<chroot>.log there, where the HTML report links it.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Any

import requests

VARIABLE = "COPR_HARNESS_TARGET_LOGS"


def save_build_logs(client: Any, owner: str, project: str) -> list[Path]:
    """Save the builder-live log of every finished chroot (and SRPM) build of a project; best
    effort: a log the backend does not serve is skipped."""
    folder = os.environ.get(VARIABLE)
    if not folder:
        return []
    saved = []
    try:
        builds = client.build_proxy.get_list(owner, project)
    except Exception:  # noqa: BLE001 - the project may be gone already
        return []
    for build in builds:
        package = (build.source_package or {}).get("name")
        repo = (build.repo_url or "").rstrip("/")
        places = {"srpm-builds": f"{repo}/srpm-builds/{build.id:08d}"}
        for chroot in build.chroots or []:
            places[chroot] = f"{repo}/{chroot}/{build.id:08d}" + (f"-{package}" if package else "")
        for chroot, place in places.items():
            try:
                response = requests.get(f"{place}/builder-live.log.gz", timeout=10)
            except requests.RequestException:
                continue
            if response.status_code != 200:
                continue
            path = Path(folder) / f"build-{build.id}-{chroot}.log"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(_maybe_gunzip(response.content))
            saved.append(path)
    return saved


def _maybe_gunzip(data: bytes) -> bytes:
    try:
        return gzip.decompress(data)
    except OSError:  # served already decompressed (Content-Encoding)
        return data
