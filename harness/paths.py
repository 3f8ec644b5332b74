"""Where the harness reads its definitions and writes its output, in one place.

ROOT holds containers/, scenarios/ and the suites (tests/): the checkout the harness runs from, or
harness/_shipped/ in an installed wheel (setup.py copies them there), or wherever
COPR_HARNESS_ROOT points. Output goes under build/reports (COPR_HARNESS_REPORTS), cached
packages and images under the user's cache, users' copr-cli configs under the user's state folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from harness.errors import InputError

_PACKAGE = Path(__file__).resolve().parent
_SHIPPED = _PACKAGE / "_shipped"
ROOT = Path(os.environ.get("COPR_HARNESS_ROOT")
            or (_SHIPPED if (_SHIPPED / "containers").is_dir() else _PACKAGE.parent))
CONTAINERS = ROOT / "containers"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "copr-harness"
REPORTS = Path(os.environ.get("COPR_HARNESS_REPORTS", "build/reports"))


def run_dir(run_id: str) -> Path:
    """The report folder of a run (created when needed)."""
    return make_folder(label("COPR_HARNESS_REPORTS", REPORTS), REPORTS / run_id)


def state_base() -> Path:
    """XDG_STATE_HOME, or its default."""
    return Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")


def state_dir(run_id: str) -> Path:
    """Where a run's copr-cli configs live on this host (they hold API tokens: mode 0700)."""
    return state_base() / "copr-harness" / "runs" / run_id


def make_state_dir(run_id: str) -> Path:
    """Make a run's state folder (mode 0700)."""
    return make_folder(label("XDG_STATE_HOME", state_base()), state_dir(run_id), 0o700)


def check_output_folders() -> None:
    """Bad input, found before a run starts: the reports or the state folder cannot be made."""
    check_makeable(label("COPR_HARNESS_REPORTS", REPORTS), REPORTS)
    check_makeable(label("XDG_STATE_HOME", state_base()), state_base())


def label(variable: str, path: Path) -> str:
    """How messages name an output folder: `VARIABLE=path` when the variable chose it."""
    return f"{variable}={path}" if os.environ.get(variable) else str(path)


def check_makeable(name: str, path: Path) -> None:
    """Raise InputError starting with `name` (see `label`) when `path` cannot be made or
    written: its nearest existing ancestor is no folder, or not writable (os.access also sees
    a read-only mount, which root's permission bits do not stop)."""
    path = Path(os.path.abspath(path))
    for folder in (path, *path.parents):
        try:
            exists = folder.exists()
        except OSError as error:
            raise InputError(f"{name}: cannot be used: {error.strerror}") from None
        if not exists:
            continue
        if not folder.is_dir():
            raise InputError(f"{name}: cannot be made: {folder} is not a folder")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise InputError(f"{name}: cannot be made: {folder} is not writable")
        return


def make_folder(name: str, path: Path, mode: int | None = None) -> Path:
    """`mkdir -p` of `path` (then `chmod mode`); an OSError is an InputError starting with `name`."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        if mode is not None:
            path.chmod(mode)
    except OSError as error:
        raise InputError(f"{name}: cannot make {path}: {error.strerror}") from None
    return path


def service_root() -> Path:
    """Where self-started Podman services keep their socket, config and log (one folder each)."""
    return Path(os.environ.get("XDG_RUNTIME_DIR") or "/run") / "copr-harness"
