"""custom builds: the user's script writes a spec and its sources; rpmbuild -bs packs them.

Upstream runs the script in a mock chroot of the task's `chroot`, after installing `builddeps`
there. This builder has no mock: the script runs on the builder itself as the unprivileged build
user, with upstream's working directory layout and environment (COPR_OWNER, COPR_PROJECT,
COPR_PACKAGE, COPR_RESULTDIR). Packages in `builddeps` must already be on the builder: the stack
has no network to install them from, so a missing one fails the build, naming it.
"""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

from ..errors import BuildError
from ..sandbox import create_file, give
from .base import rpmbuild_bs, single_spec
from .scm import _inside

if TYPE_CHECKING:
    from ..build import Build
    from ..task import Task

# Upstream's default: 90 minutes for the script.
SCRIPT_TIMEOUT = 60 * 90


def produce_srpm(task: "Task", build: "Build", macros: dict[str, str]) -> None:
    source = task.source
    script = source.get("script")
    if not isinstance(script, str) or not script.strip():
        raise BuildError("source_json of a 'custom' task has no 'script'")
    _check_builddeps(str(source.get("builddeps") or ""))
    path = build.workdir / "script"
    with open(create_file(path), "w", encoding="utf-8") as handle:
        handle.write(script)
    path.chmod(0o755)
    workdir = build.workdir / "workdir"
    workdir.mkdir()
    give(workdir, build.user)
    resultdir = _inside(workdir, workdir / str(source.get("resultdir") or "."), "resultdir")
    env = {"COPR_OWNER": task.project_owner, "COPR_PROJECT": task.project_name,
           "COPR_PACKAGE": task.package_name, "COPR_RESULTDIR": str(resultdir)}
    command = ["env", *(f"{name}={value}" for name, value in env.items()), str(path)]
    code = build.run(command, timeout=int(source.get("timeout") or SCRIPT_TIMEOUT), cwd=workdir)
    if code != 0:
        # Upstream's message when the script fails.
        raise BuildError("Build failed")
    if not resultdir.is_dir():
        raise BuildError(f"the script made no result directory {source.get('resultdir')!r}")
    rpmbuild_bs(single_spec(resultdir), resultdir, build, macros,
                task.timeout or build.config.default_timeout)


def _check_builddeps(builddeps: str) -> None:
    missing = [name for name in builddeps.split() if not _installed(name)]
    if missing:
        raise BuildError("builddeps not on this builder (it has no network to install them): "
                         + ", ".join(missing))


def _installed(name: str) -> bool:
    """A build dependency counts as present when a command of that name exists."""
    return shutil.which(name, path="/usr/local/bin:/usr/bin:/bin") is not None
