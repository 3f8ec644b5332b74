"""The stack's users: created in the frontend at `up`, with a copr-cli config file each."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from . import folders
from .engine import Engine
from .errors import InfraError

# name -> groups; alice is the default user (COPR_CONFIG), bob is "another user".
USERS = {"alice": ["copr"], "bob": ["copr"]}
DEFAULT_USER = "alice"


def state_base() -> Path:
    """XDG_STATE_HOME, or its default."""
    return Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")


def state_dir(run_id: str) -> Path:
    """Where a run's copr-cli configs live on this host (they hold API tokens: mode 0700)."""
    return state_base() / "copr-harness" / "runs" / run_id


def make_state_dir(run_id: str) -> Path:
    """Make a run's state folder (mode 0700); InputError naming XDG_STATE_HOME if it cannot be."""
    return folders.make(folders.label("XDG_STATE_HOME", state_base()), state_dir(run_id), 0o700)


def check_state_dir() -> None:
    """Bad input, found before a run starts: the state folder cannot be made."""
    folders.check_makeable(folders.label("XDG_STATE_HOME", state_base()), state_base())


def create(engine: Engine, run_id: str, frontend: str) -> dict[str, Path]:
    """Create every user in the frontend and write their copr-cli configs; return the paths."""
    folder = make_state_dir(run_id)
    command = ["svc", "exec", "copr-frontend", "create-users"]
    command += [f"{name}:{','.join(groups)}" for name, groups in USERS.items()]
    result = engine.exec(frontend, command)
    try:
        made = json.loads(result.output) if result.ok else None
    except ValueError:
        made = None
    if not made:
        raise InfraError(f"creating users in {frontend} failed: {result.output.strip()[-500:]}")
    paths = {}
    for name, config in made.items():
        path = folder / f"copr-{name}.conf"
        path.touch(mode=0o600)
        path.write_text(config)
        paths[name] = path
    return paths


def configs(run_id: str) -> dict[str, Path]:
    """The config files of a run's users that exist on this host."""
    folder = state_dir(run_id)
    return {name: folder / f"copr-{name}.conf" for name in USERS
            if (folder / f"copr-{name}.conf").exists()}


def forget(run_id: str) -> None:
    """Remove a run's configs (its tokens die with its frontend anyway)."""
    shutil.rmtree(state_dir(run_id), ignore_errors=True)
