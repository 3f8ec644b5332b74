"""What the providers share: cloning a git repository and `rpmbuild -bs` of a spec."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import BuildError
from ..helpers import define_args

if TYPE_CHECKING:
    from ..build import Build


def basename_of(clone_url: str) -> str:
    """The last part of a clone URL without `.git` (upstream: git_clone_url_basepath)."""
    last = clone_url.rstrip("/").split("/")[-1]
    return last[:-4] if last.endswith(".git") else last


def clone_and_checkout(url: str, committish: str, target: Path, build: "Build",
                       scm_type: str = "git") -> None:
    """Clone `url` into `target` and check out `committish` (the default branch when empty).

    As upstream: a shallow clone of every branch first, a full clone when that fails; a
    `refs/...` committish is fetched before the checkout; `--` keeps a file of the same name out.
    """
    network = build.config.network_timeout * 5
    if scm_type == "git":
        if build.run(["git", "clone", url, str(target), "--depth", "500", "--no-single-branch",
                      "--recursive"], timeout=network) != 0:
            build.run(["rm", "-rf", str(target)], timeout=network)
            if build.run(["git", "clone", url, str(target)], timeout=network) != 0:
                raise BuildError(f"git clone {url} failed")
    else:
        require_tool("git-svn", "git svn")
        if build.run(["git", "svn", "clone", url, str(target)], timeout=network) != 0:
            raise BuildError(f"git svn clone {url} failed")
    if not committish:
        return
    if committish.startswith("refs/") and build.run(
            ["git", "fetch", "origin", f"{committish}:{committish}"], timeout=network, cwd=target) != 0:
        raise BuildError(f"git fetch origin {committish} failed")
    if build.run(["git", "checkout", committish, "--"], timeout=network, cwd=target) != 0:
        raise BuildError(f"git checkout {committish} failed")


def require_tool(command: str, shown: str | None = None) -> None:
    """Upstream's run_cmd message when a command cannot be started."""
    if shutil.which(command, path="/usr/local/bin:/usr/bin:/bin:/usr/lib/git-core") is None:
        raise BuildError(f"Command '{shown or command}' can not be executed.  Either the command "
                         "itself isn't installed, or it's interpreter (shebang) is missing on the system")


def single_spec(directory: Path) -> Path:
    """The one spec file of a folder (upstream's build_srpm rules and messages)."""
    specs = sorted(path for path in directory.glob("*.spec") if path.is_file() and not path.is_symlink())
    if not specs:
        raise BuildError("no spec file available")
    if len(specs) > 1:
        raise BuildError("too many specfiles: " + ", ".join(str(path) for path in specs))
    return specs[0]


def rpmbuild_bs(spec: Path, sourcedir: Path, build: "Build", macros: dict[str, str],
                timeout: float) -> None:
    """`rpmbuild -bs` of `spec` with its sources in `sourcedir`, the SRPM to the output folder."""
    # SRPM names carry no dist tag; remote SourceN URLs may be fetched, as upstream allows.
    command = ["rpmbuild", "-bs", *define_args({
        "_topdir": str(build.workdir / "rpmbuild"), "_sourcedir": str(sourcedir),
        "_specdir": str(sourcedir), "_builddir": str(build.workdir / "rpmbuild" / "BUILD"),
        "_srcrpmdir": str(build.outdir), **macros, "dist": "%{nil}", "_disable_source_fetch": "0"}),
        str(spec)]
    code = build.run(command, timeout=timeout)
    if code != 0:
        raise BuildError(f"rpmbuild -bs exited with {code}")


def locate_spec(checkout: Path, package_name: str) -> Path:
    """The package's spec in a dist-git checkout: <package>.spec, or the only spec there."""
    preferred = checkout / f"{package_name}.spec"
    if preferred.is_file():
        return preferred
    specs = sorted(checkout.glob("*.spec"))
    if len(specs) != 1:
        raise BuildError(f"the repository has {len(specs)} spec files and no {package_name}.spec")
    return specs[0]
