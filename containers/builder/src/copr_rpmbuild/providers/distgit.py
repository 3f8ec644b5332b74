"""distgit builds: clone a dist-git repository, fetch its lookaside sources, rpmbuild -bs.

Upstream runs dist-git-client; here the builder's own lookaside code (main.ini lookaside_url
and clone_path_prefix) fetches the `sources` file's entries, hashes checked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..distgit import fetch_sources
from ..errors import BuildError
from .base import basename_of, clone_and_checkout, locate_spec, rpmbuild_bs

if TYPE_CHECKING:
    from ..build import Build
    from ..task import Task


def produce_srpm(task: "Task", build: "Build", macros: dict[str, str]) -> None:
    clone_url = str(task.source.get("clone_url") or "")
    if not clone_url:
        raise BuildError("source_json of a 'distgit' task has no 'clone_url'")
    name = basename_of(clone_url)
    if name in ("", ".", ".."):
        raise BuildError(f"'{clone_url}' names no package")
    checkout = build.workdir / name
    clone_and_checkout(clone_url, str(task.source.get("committish") or ""), checkout, build)
    fetch_sources(checkout, clone_url, build.config.lookaside_url, build.config.clone_path_prefix,
                  build.log, build.config.network_timeout)
    spec = locate_spec(checkout, name)
    rpmbuild_bs(spec, checkout, build, macros, task.timeout or build.config.default_timeout)
