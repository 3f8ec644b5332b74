"""The projects a suite run created, so it deletes them (and only them) however it ends.

Each project is recorded before it is created, in memory (the session's finalizer deletes it)
and, when COPR_HARNESS_PROJECT_LEDGER names a file, in that file too (one JSON line; xdist
workers append to the same file). The harness sweeps the file after pytest ended, however it
ended: whatever is still recorded and still exists is deleted. Names are random, so a recorded
name that exists is one this run made.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

VARIABLE = "COPR_HARNESS_PROJECT_LEDGER"
KEEP_VARIABLE = "COPR_HARNESS_KEEP_PROJECTS"


@dataclass
class Registry:
    """The projects one pytest process created, also appended to the ledger file if any."""

    path: str | None
    made: list[tuple[str, str, str]] = field(default_factory=list)  # owner, name, acting user

    def add(self, owner: str, name: str, user: str) -> None:
        self.made.append((owner, name, user))
        _append(self.path, {"event": "created", "owner": owner, "name": name, "user": user})

    def forget(self, owner: str, name: str) -> None:
        """The project was deleted (by its test)."""
        self.made = [m for m in self.made if (m[0], m[1]) != (owner, name)]
        _append(self.path, {"event": "deleted", "owner": owner, "name": name})

    def delete_all(self, client_for: Callable[[str], Any]) -> list[str]:
        """Delete every recorded project that still exists; return their full names."""
        deleted = []
        for owner, name, user in list(self.made):
            outcome = delete_if_there(client_for(user), owner, name)
            if outcome == "deleted":
                deleted.append(f"{owner}/{name}")
            if outcome != "failed":  # a failed delete stays in the ledger for the sweep
                self.forget(owner, name)
        return deleted


class Recording(list):
    """A test's list of (owner, name) projects it makes itself: each is recorded in the registry
    as it is appended (before the test creates it), acting as `user`."""

    def __init__(self, registry: Registry, user: str) -> None:
        super().__init__()
        self.registry, self.user = registry, user

    def append(self, item: tuple[str, str]) -> None:
        self.registry.add(item[0], item[1], self.user)
        super().append(item)


def _append(path: str | None, entry: dict) -> None:
    if not path:
        return
    line = (json.dumps(entry) + "\n").encode()
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, line)  # one small O_APPEND write: whole lines, whatever the workers
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def outstanding(path: Path) -> list[tuple[str, str, str]]:
    """The projects the ledger says were created and not yet deleted (owner, name, user)."""
    if not path.is_file():
        return []
    alive: dict[tuple[str, str], str] = {}
    for line in path.read_text().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line cut by SIGKILL: its project was never created
        key = (entry["owner"], entry["name"])
        if entry["event"] == "created":
            alive[key] = entry["user"]
        else:
            alive.pop(key, None)
    return [(owner, name, user) for (owner, name), user in alive.items()]


def delete_if_there(client: Any, owner: str, name: str) -> str:
    """Delete a project if it exists: "deleted", "absent" or "failed" (said on stderr)."""
    from copr.v3 import CoprNoResultException

    try:
        client.project_proxy.get(owner, name)
        client.project_proxy.delete(owner, name)
    except CoprNoResultException:
        return "absent"
    except Exception as error:  # noqa: BLE001 - say it and go on with the others
        print(f"copr-harness: could not delete {owner}/{name}: {error}", file=sys.stderr)
        return "failed"
    return "deleted"


def sweep(path: Path, configs: dict[str, Path]) -> list[str]:
    """Delete what the ledger still lists (as the user who created each); return full names."""
    from copr.v3 import Client

    clients: dict[str, Any] = {}
    deleted = []
    for owner, name, user in outstanding(path):
        if user not in clients:
            clients[user] = Client.create_from_config_file(str(configs[user]))
        outcome = delete_if_there(clients[user], owner, name)
        if outcome == "deleted":
            deleted.append(f"{owner}/{name}")
        if outcome != "failed":
            _append(str(path), {"event": "deleted", "owner": owner, "name": name})
    return deleted
