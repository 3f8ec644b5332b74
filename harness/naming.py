"""Run ids, resource names and labels shared by every resource of a run."""

from __future__ import annotations

import re
import secrets
import time

from harness.errors import InputError

# The chroot the stack's builders build for, where a project needs one and nobody chose.
DEFAULT_CHROOT = "fedora-44-x86_64"

LABEL_RUN = "copr-harness.run"
LABEL_COMPONENT = "copr-harness.component"
LABEL_OWNER = "copr-harness.owner"  # "<pid>:<start ticks>" of the process that owns the run
LABEL_KEPT = "copr-harness.kept"  # on the run's marker volume once `up` finished and keeps it
LABEL_SCENARIO = "copr-harness.scenario"

# Podman names allow [a-zA-Z0-9][a-zA-Z0-9_.-]*; keep run ids short and lower case.
_RUN_ID_RE = re.compile(r"[a-z0-9][a-z0-9-]{1,30}")  # always fullmatch: '$' accepts a final newline


def new_run_id() -> str:
    """A fresh run id: `ch-` plus a time stamp and a random tail (unique across parallel runs)."""
    return f"ch-{time.strftime('%m%d%H%M%S')}-{secrets.token_hex(4)}"


def check_run_id(run_id: str) -> str:
    """Return `run_id` if it is a usable run id, else raise InputError saying why."""
    if not _RUN_ID_RE.fullmatch(run_id):
        raise InputError(
            f"run id {run_id!r} is not valid: use 2 to 31 lower-case letters, digits or '-', "
            "starting with a letter or digit"
        )
    return run_id


def resource_name(run_id: str, component: str) -> str:
    """The name of a container, volume or network of one run: `<run-id>-<component>`."""
    return f"{run_id}-{component}"


def marker_name(run_id: str) -> str:
    """The volume whose labels record a run's metadata (kept or owned, scenario)."""
    return resource_name(run_id, "run")


def network_name(run_id: str) -> str:
    """The single network of a run."""
    return resource_name(run_id, "net")


def labels(run_id: str, component: str | None = None) -> dict[str, str]:
    """The labels every resource of a run carries."""
    result = {LABEL_RUN: run_id}
    if component:
        result[LABEL_COMPONENT] = component
    return result


SECRET_PREFIX = "copr-harness."


def secret_name(run_id: str, name: str) -> str:
    """A Podman secret of a run: `copr-harness.<run-id>.<name>`. Podman 4.3 keeps no labels on
    secrets, so the name says whose it is (run ids have no dots: no run's name is another's)."""
    return f"{SECRET_PREFIX}{run_id}.{name}"


def secret_run_id(secret: str) -> str | None:
    """The run id a secret's name carries, if it is one of a run's secrets."""
    if not secret.startswith(SECRET_PREFIX):
        return None
    run_id, dot, _ = secret.removeprefix(SECRET_PREFIX).partition(".")
    return run_id if dot and _RUN_ID_RE.fullmatch(run_id) else None
