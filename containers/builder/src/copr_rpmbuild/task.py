"""The task record: where copr-rpmbuild gets it and what it reads from it (upstream: main.get_task)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import Config
from .distgit import repo_path
from .download import fetch_task
from .errors import TaskError
from .helpers import build_id_of, split_chroot

# BuildSourceEnum values the frontend sends as `source_type`.
SOURCE_TYPES = {0: "unset", 1: "link", 2: "upload", 5: "pypi", 6: "rubygems", 8: "scm",
                9: "custom", 10: "distgit"}

RPM_FIELDS = ("task_id", "chroot", "project_owner", "project_name", "git_repo")
SRPM_FIELDS = ("task_id", "project_owner", "project_name", "source_type", "source_json")


@dataclass
class Task:
    """A build task as copr-rpmbuild uses it (the frontend's record, checked)."""

    kind: str  # "srpm" or "rpm"
    task_id: str
    build_id: str
    project_owner: str
    project_name: str
    chroot: str | None = None
    timeout: int | None = None
    source_type: str = ""
    source: dict[str, Any] = field(default_factory=dict)
    distributions: list[str] = field(default_factory=list)
    git_repo: str = ""
    git_hash: str = ""
    package_name: str = ""
    with_opts: list[str] = field(default_factory=list)
    without_opts: list[str] = field(default_factory=list)
    lookaside_url: str = ""


def parse_task(data: Any, kind: str, chroot: str | None = None) -> Task:
    """Check a task record and turn it into a Task; `chroot` (from -r) overrides the record's."""
    if not data or not isinstance(data, dict):
        raise TaskError("No valid build_config: the task is empty, null or not a JSON object")
    required = SRPM_FIELDS if kind == "srpm" else RPM_FIELDS
    given = dict(data, chroot=chroot or data.get("chroot"))
    missing = [name for name in required if given.get(name) in (None, "")]
    if missing:
        raise TaskError(f"No valid build_config: missing {', '.join(missing)}")
    task = Task(
        kind=kind,
        task_id=str(data["task_id"]),
        build_id=build_id_of(str(data["task_id"])),
        project_owner=str(data["project_owner"]),
        project_name=str(data["project_name"]),
        chroot=chroot or data.get("chroot"),
        timeout=_positive_int(data.get("timeout"), "timeout"),
    )
    if kind == "srpm":
        _read_srpm_fields(task, data)
    else:
        split_chroot(task.chroot or "")
        task.git_repo = str(data["git_repo"])
        task.git_hash = str(data.get("git_hash") or "")
        task.package_name = str(data.get("package_name") or repo_path(task.git_repo, "").rsplit("/", 1)[-1])
        task.with_opts = [str(opt) for opt in data.get("with_opts") or []]
        task.without_opts = [str(opt) for opt in data.get("without_opts") or []]
        task.lookaside_url = str(data.get("lookaside_url") or "")
    return task


def _read_srpm_fields(task: Task, data: dict[str, Any]) -> None:
    # The frontend sends BuildSourceEnum numbers; hand-written tasks may use the names.
    task.source_type = SOURCE_TYPES.get(data["source_type"], str(data["source_type"]))
    source = data["source_json"]
    if isinstance(source, str):
        try:
            source = json.loads(source)
        except ValueError:
            raise TaskError("source_json is not valid JSON") from None
    if not isinstance(source, dict):
        raise TaskError("source_json is not a JSON object")
    task.source = source
    task.distributions = list(data.get("distributions_in_build")
                              or data.get("distributions_in_project") or [])


def _positive_int(value: Any, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise TaskError(f"{name} {value!r} is not a number") from None
    if number <= 0:
        raise TaskError(f"{name} must be positive, not {number}")
    return number


def task_url(config: Config, kind: str, build_id: str, chroot: str | None) -> str:
    """The frontend URL of a task given by --build-id."""
    base = config.frontend_url.rstrip("/")
    if kind == "srpm":
        return f"{base}/backend/get-srpm-build-task/{build_id}"
    if not chroot:
        raise TaskError("--build-id of an RPM task needs -r/--chroot")
    return f"{base}/backend/get-build-task/{build_id}-{chroot}"


def load_task(task_file: str | None, url: str | None, config: Config) -> Any:
    """The raw task record from a local file or a URL."""
    if task_file:
        try:
            return json.loads(Path(task_file).read_text())
        except OSError as error:
            raise TaskError(f"cannot read {task_file}: {error.strerror}") from None
        except ValueError:
            raise TaskError(f"No valid build_config: {task_file} is not JSON") from None
    assert url is not None
    return fetch_task(url, config.network_timeout)
