"""The stack's users: created in the frontend at `up`, with a copr-cli config file each."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .engine import Engine
from .errors import InfraError

# name -> groups; alice is the default user (COPR_CONFIG), bob is "another user".
USERS = {"alice": ["copr"], "bob": ["copr"]}
DEFAULT_USER = "alice"


def state_dir(run_id: str) -> Path:
    """Where a run's copr-cli configs live on this host (they hold API tokens: mode 0700)."""
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "copr-harness" / "runs" / run_id


def create(engine: Engine, run_id: str, frontend: str) -> dict[str, Path]:
    """Create every user in the frontend and write their copr-cli configs; return the paths."""
    folder = state_dir(run_id)
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    paths = {}
    for name, groups in USERS.items():
        command = ["svc", "exec", "copr-frontend", "create-user", name]
        for group in groups:
            command += ["--group", group]
        result = engine.exec(frontend, command)
        if not result.ok:
            raise InfraError(f"creating user {name} in {frontend} failed: {result.output.strip()}")
        config = engine.exec(frontend, ["svc", "exec", "copr-frontend", "api-config", name])
        if not config.ok:
            raise InfraError(f"reading {name}'s API config from {frontend} failed")
        path = folder / f"copr-{name}.conf"
        path.touch(mode=0o600)
        path.write_text(config.output)
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
