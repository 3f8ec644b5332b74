"""Where the harness reads its definitions and writes its output, in one place.

ROOT holds containers/, scenarios/ and the suites (tests/): the checkout the harness runs from, or
harness/_shipped/ in an installed wheel (setup.py copies them there), or wherever
COPR_HARNESS_ROOT points. Output goes under build/reports (COPR_HARNESS_REPORTS), cached
packages and images under the user's cache, users' copr-cli configs under the user's state folder.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_SHIPPED = _PACKAGE / "_shipped"
ROOT = Path(os.environ.get("COPR_HARNESS_ROOT")
            or (_SHIPPED if (_SHIPPED / "containers").is_dir() else _PACKAGE.parent))
CONTAINERS = ROOT / "containers"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "copr-harness"
REPORTS = Path(os.environ.get("COPR_HARNESS_REPORTS", "build/reports"))


def run_dir(run_id: str) -> Path:
    """The report folder of a run (created when needed)."""
    path = REPORTS / run_id
    path.mkdir(parents=True, exist_ok=True)
    return path


def state_dir(run_id: str) -> Path:
    """Where a run's copr-cli configs live on this host (they hold API tokens: mode 0700)."""
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "copr-harness" / "runs" / run_id


def service_root() -> Path:
    """Where self-started Podman services keep their socket, config and log (one folder each)."""
    return Path(os.environ.get("XDG_RUNTIME_DIR") or "/run") / "copr-harness"
