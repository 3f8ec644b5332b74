"""The stack's users: created in the frontend at `up`, with a copr-cli config file each."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from harness.errors import InfraError
from harness.paths import make_state_dir, state_dir
from harness.podman.engine import Engine

# name -> groups; alice is the default user (COPR_CONFIG), bob is "another user".
USERS = {"alice": ["copr"], "bob": ["copr"]}
DEFAULT_USER = "alice"


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
