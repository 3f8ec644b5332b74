"""A build task as the backend sees it, and the job dicts it reports to the frontend."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .layout import SRPM_CHROOT, Layout, target_dir_name

MAX_PACKAGE_NAME = 100


class ResultsError(Exception):
    """The builder's results cannot be turned into build details."""


def is_srpm_task(task: dict[str, Any]) -> bool:
    """An SRPM task's id is its build id; RPM tasks are `<build_id>-<chroot>`."""
    return str(task["task_id"]) == str(task["build_id"])


def format_evr(epoch: int | str | None, version: str, release: str) -> str:
    """`[E:]V-R`, the epoch only when it is set and not zero."""
    prefix = f"{epoch}:" if epoch not in (None, "", 0, "0") else ""
    return f"{prefix}{version}-{release}"


@dataclass
class BuildJob:
    """One task: the frontend's full task record plus what the backend learns while running it."""

    task: dict[str, Any]
    status: int | None = None
    started_on: int | None = None
    ended_on: int | None = None
    results: dict[str, Any] | None = None
    built_packages: str = ""
    srpm_url: str | None = None
    pkg_name: str | None = None
    pkg_version: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def build_id(self) -> int:
        return int(self.task["build_id"])

    @property
    def task_id(self) -> str:
        return str(self.task["task_id"])

    @property
    def srpm(self) -> bool:
        return is_srpm_task(self.task)

    @property
    def chroot(self) -> str:
        return SRPM_CHROOT if self.srpm else str(self.task["chroot"])

    @property
    def owner(self) -> str:
        return str(self.task["project_owner"])

    @property
    def project(self) -> str:
        return str(self.task.get("project_name") or self.task["project_dirname"].split(":")[0])

    @property
    def dirname(self) -> str:
        return str(self.task.get("project_dirname") or self.project)

    @property
    def package_name(self) -> str | None:
        return None if self.srpm else self.task.get("package_name")

    @property
    def result_dir(self) -> str:
        """The name reported to the frontend: `%08d` or `%08d-<package>`."""
        return target_dir_name(self.build_id, self.package_name)

    def results_dir(self, layout: Layout) -> Path:
        return layout.build_dir(self.owner, self.dirname, self.chroot, self.build_id, self.package_name)

    def chroot_dir(self, layout: Layout) -> Path:
        return layout.chroot_dir(self.owner, self.dirname, self.chroot)

    @property
    def devel(self) -> bool:
        """The project's auto-createrepo is off: builds go to the devel repository only."""
        return bool(self.task.get("uses_devel_repo"))

    @property
    def timeout(self) -> int | None:
        value = self.task.get("timeout")
        return int(value) if value else None

    def to_dict(self) -> dict[str, Any]:
        """The job dict for `starting_build` and `update`: the task record and the backend's fields."""
        data = copy.deepcopy(self.task)
        data.update(self.extra)
        data.update({
            "id": self.build_id,
            "build_id": self.build_id,
            "task_id": self.task_id,
            "chroot": self.chroot,
            "status": None if self.status is None else int(self.status),
            "started_on": self.started_on,
            "ended_on": self.ended_on,
            "result_dir": self.result_dir,
            "results": copy.deepcopy(self.results),
            "built_packages": self.built_packages,
            "srpm_url": self.srpm_url,
            "pkg_name": self.pkg_name,
            "pkg_version": self.pkg_version,
            "mockchain_macros": {
                "copr_username": self.owner,
                "copr_projectname": self.project,
                "vendor": f"Fedora Project COPR ({self.owner}/{self.project})",
            },
        })
        return data

    def apply_results(self, read_dir: Path, results_dir: Path, layout: Layout) -> None:
        """Fill in the build details (step 13) from the results downloaded into `read_dir`, which
        will be published as `results_dir`."""
        path = read_dir / "results.json"
        try:
            self.results = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise ResultsError(f"cannot read {path.name}: {error}") from None
        if not isinstance(self.results, dict):
            raise ResultsError(f"{path.name} holds no JSON object")
        if self.srpm:
            self._srpm_details(read_dir, results_dir, layout)
        else:
            self.built_packages = built_packages(self.results)

    def _srpm_details(self, read_dir: Path, results_dir: Path, layout: Layout) -> None:
        results = self.results or {}
        try:
            name = str(results["name"])
            self.pkg_version = format_evr(results.get("epoch"), results["version"], results["release"])
        except KeyError as error:
            raise ResultsError(f"results.json has no {error}") from None
        if len(name) > MAX_PACKAGE_NAME:
            raise ResultsError(f"Too long package name: {name}")
        self.pkg_name = name
        srpms = sorted(read_dir.glob("*.src.rpm"))
        if not srpms:
            raise ResultsError("the build left no .src.rpm")
        # dist-git downloads it from inside the stack.
        self.srpm_url = layout.url(results_dir / srpms[0].name, internal=True)


def built_packages(results: dict[str, Any]) -> str:
    """The `name version` lines of the binary packages of an RPM build's results."""
    try:
        packages = results["packages"]
        return "\n".join(f"{p['name']} {p['version']}" for p in packages if p.get("arch") != "src")
    except (KeyError, TypeError) as error:
        raise ResultsError(f"results.json has no usable package list ({error})") from None
