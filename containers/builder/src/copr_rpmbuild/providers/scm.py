"""scm builds: clone a git (or svn) repository, make the SRPM with rpkg, tito or make_srpm.

Debian has no rpkg and no tito. `rpkg srpm --spec S` packs the spec with the files next to it;
this builder does the same with `rpmbuild -bs` of the spec, its sources taken from the spec's
folder and, as rpkg does, the lookaside cache for what a `sources` file lists (rpkg's {{{ }}}
spec templates are not expanded). make_srpm runs the repository's .copr/Makefile as upstream
does, but as the build user on the builder instead of in a mock chroot. tito fails as it would
on a builder without it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..distgit import fetch_sources
from ..errors import BuildError
from .base import basename_of, clone_and_checkout, require_tool, rpmbuild_bs, single_spec

if TYPE_CHECKING:
    from ..build import Build
    from ..task import Task

METHODS = ("rpkg", "tito", "tito_test", "make_srpm")


def produce_srpm(task: "Task", build: "Build", macros: dict[str, str]) -> None:
    source = task.source
    clone_url = str(source.get("clone_url") or "")
    if not clone_url:
        raise BuildError("source_json of an 'scm' task has no 'clone_url'")
    method = str(source.get("srpm_build_method") or "rpkg")
    if method not in METHODS:
        raise BuildError(f"unknown srpm_build_method '{method}' (known: {', '.join(METHODS)})")
    subdir = str(source.get("subdirectory") or "")
    spec_rel = str(source.get("spec") or "")
    repo = build.workdir / basename_of(clone_url)
    _inside(build.workdir, repo, "clone_url")
    clone_and_checkout(clone_url, str(source.get("committish") or ""), repo, build,
                       str(source.get("type") or "git"))
    subpath = _inside(repo, repo / subdir, "subdirectory")
    if not subpath.exists():
        raise BuildError(f"The user-defined SCM subdirectory `{subdir}' doesn't exist within "
                         f"this repository {clone_url}")
    spec_path = _inside(repo, subpath / spec_rel, "spec") if spec_rel else None
    timeout = task.timeout or build.config.default_timeout
    if method == "make_srpm":
        makefile = repo / ".copr" / "Makefile"
        command = ["make", "-f", str(makefile), "srpm", f"outdir={build.outdir}",
                   f"spec={spec_path or subpath}"]
        code = build.run(command, timeout=timeout, cwd=subpath)
        if code != 0:
            raise BuildError(f"make srpm exited with {code}")
        return
    if method in ("tito", "tito_test"):
        require_tool("tito")
        command = ["tito", "build", "--srpm", "--output", str(build.outdir)]
        if method == "tito_test":
            command.insert(2, "--test")
        if build.run(command, timeout=timeout, cwd=subpath) != 0:
            raise BuildError("tito build failed")
        return
    spec = spec_path if spec_path and spec_path.is_file() else single_spec(subpath)
    # rpkg fetches what a `sources` file lists from the clone URL host's lookaside cache.
    fetch_sources(spec.parent, clone_url, build.config.lookaside_url, build.config.clone_path_prefix,
                  build.log, build.config.network_timeout)
    rpmbuild_bs(spec, spec.parent, build, macros, timeout)


def _inside(root: Path, path: Path, field: str) -> Path:
    """`path` resolved, refused when a `..` or a link in the user's value leaves `root`."""
    resolved = path.resolve()
    if resolved != root.resolve() and root.resolve() not in resolved.parents:
        raise BuildError(f"source_json '{field}' points outside the repository")
    return resolved
