"""The host folders the harness writes to (reports, the runs' state), checked before a run
starts: a folder that cannot be made is bad input, found before anything is created."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import InputError


def label(variable: str, path: Path) -> str:
    """How messages name a folder: `VARIABLE=path` when the variable chose it."""
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


def make(name: str, path: Path, mode: int | None = None) -> Path:
    """`mkdir -p` of `path` (then `chmod mode`); an OSError is an InputError starting with `name`."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        if mode is not None:
            path.chmod(mode)
    except OSError as error:
        raise InputError(f"{name}: cannot make {path}: {error.strerror}") from None
    return path
