"""The task record: where copr-rpmbuild gets it and what it reads from it (upstream: main.get_task)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from .config import Config
from .distgit import repo_path
from .download import fetch_task
from .errors import TaskError
from .helpers import build_id_of, copr_chroot_to_task_id, parse_copr_name, split_chroot

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
    # The record as given (after -r and --copr): repos, buildroot_pkgs... for configs/child.cfg.
    record: dict[str, Any] = field(default_factory=dict)


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
        record=given,
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
    task.package_name = str(data.get("package_name") or "")
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


@dataclass
class Request:
    """What the command line asks for: the kind of run and where its task comes from."""

    kind: str  # "srpm", "rpm" or "dump-configs"
    chroot: str | None = None
    build_id: str | None = None
    copr: str | None = None
    task_file: str | None = None
    task_url: str | None = None


def get_task(request: Request, config: Config) -> dict[str, Any]:
    """The raw task record, with upstream's rules for the chroot and the task's source.

    --task-file wins over --task-url, which wins over the URL --build-id or --copr make; -r/--chroot
    overrides the record's chroot. RPM builds and --dump-configs need --chroot, SRPM builds refuse
    it (and --copr), as upstream's main.py does.
    """
    chroot = request.chroot
    if chroot and "/" in chroot:
        raise TaskError("The -r/--chroot option expects a chroot name "
                        "(e.g. fedora-rawhide-x86_64), not a file path")
    task_id, url = None, None
    if request.kind == "srpm":
        if chroot:
            raise TaskError("--chroot option is not supported with --srpm")
        if request.build_id:
            url = task_url(config, "srpm", request.build_id, None)
        elif request.copr:
            raise TaskError("--copr option is not supported with --srpm")
    else:
        if not chroot:
            raise TaskError("Missing --chroot parameter")
        if request.build_id:
            task_id = f"{request.build_id}-{chroot}"
            url = task_url(config, "rpm", request.build_id, chroot)
        elif request.copr:
            owner, project = parse_copr_name(request.copr)
            query = urlencode({"ownername": owner, "projectname": project, "chrootname": chroot})
            url = f"{config.frontend_url.rstrip('/')}/api_3/project-chroot/build-config?{query}"
    data = load_task(request.task_file, request.task_url or url, config)
    if not data or not isinstance(data, dict):
        raise TaskError("No valid build_config: the task is empty, null or not a JSON object")
    record: dict[str, Any] = {"task_id": task_id, **data}
    if chroot:
        record["chroot"] = chroot
    if request.copr:
        owner, project = parse_copr_name(request.copr)
        record["task_id"] = copr_chroot_to_task_id(request.copr, chroot or "")
        # project-chroot/build-config names no project; the macros need one.
        record.setdefault("project_owner", owner)
        record.setdefault("project_name", project)
    return record


def load_task(task_file: str | None, url: str | None, config: Config) -> Any:
    """The raw task record from a local file or a URL."""
    if not (task_file or url):
        raise TaskError("one of --task-url, --task-file, --build-id or --copr is required")
    if task_file:
        try:
            return json.loads(Path(task_file).read_text())
        except OSError as error:
            raise TaskError(f"cannot read {task_file}: {error.strerror}") from None
        except ValueError:
            raise TaskError(f"No valid build_config: {task_file} is not JSON") from None
    assert url is not None
    return fetch_task(url, config.network_timeout)
