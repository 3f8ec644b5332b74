"""The builds: an SRPM by the task's provider (providers/), binary RPMs from dist-git, with rpmbuild.

As upstream's providers/ make the SRPM and builders/mock.py the RPMs; here both are plain rpmbuild,
run as the unprivileged build user in the task's work directory. rpmbuild writes its packages
to <workdir>/out; only the regular files copr-rpmbuild picks there are copied to the resultdir
(sandbox.collect), with root.log, build.log, the spec, results.json and `success`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import Config
from .configs import archive_configs, build_macros, write_configs
from .distgit import fetch_sources
from .download import NETWORK_ATTEMPTS, backoff
from .errors import BuildError
from .helpers import copr_macros, define_args, distro_macros, split_chroot
from .process import LiveLog, capture, run
from .results import query_package, rpm_results, spec_arch_tags, srpm_results
from .providers import PROVIDERS
from .providers.base import locate_spec
from .sandbox import BuildUser, collect, collect_dir, give
from .task import Task



@dataclass
class Build:
    """What one task run shares: configuration, log, its work directory and build user."""

    config: Config
    log: LiveLog
    workdir: Path
    user: BuildUser | None = None

    @property
    def resultdir(self) -> Path:
        return self.config.resultdir

    @property
    def outdir(self) -> Path:
        """Where rpmbuild writes packages (the build user's; never the resultdir)."""
        return self.workdir / "out"

    def prepare(self) -> None:
        """The work directory and its output folder belong to the build user."""
        give(self.workdir, self.user)
        give(self.outdir, self.user)

    def rpm_env(self) -> dict[str, str]:
        # A clean environment with a private HOME: nothing of the caller's (an SSH session's,
        # a container's) reaches the build, and ~/.rpmmacros cannot change what gets built.
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(self.workdir), "LC_ALL": "C.UTF-8",
               "TMPDIR": str(self.workdir)}
        if self.user is not None:
            env.update(USER=self.user.name, LOGNAME=self.user.name)
        return env

    def run(self, command: list[str], timeout: float | None, cwd: Path | None = None) -> int:
        """Run one step of the build as the build user, its output in the live log."""
        return run(command, self.log, cwd=cwd or self.workdir, env=self.rpm_env(), timeout=timeout,
                   grace=self.config.timeout_grace, user=self.user)

    def query(self, command: list[str], what: str) -> str:
        """A short query (rpmspec, rpm -i) as the build user: specs run code when parsed."""
        return capture(command, what, user=self.user, env=self.rpm_env(), cwd=self.workdir)

    def write_json(self, name: str, data: dict[str, Any]) -> None:
        (self.resultdir / name).write_text(json.dumps(data, indent=4))

    def succeed(self, results: dict[str, Any]) -> str:
        """Upstream's order: `success` first, then results.json (the backend reads both once the
        build has ended, so neither is a signal on its own)."""
        (self.resultdir / "success").write_text("done")
        self.write_json("results.json", results)
        return "succeeded"


def build_srpm(task: Task, build: Build) -> str:
    """An SRPM task: the source type's provider makes the .src.rpm; write the results."""
    provider = PROVIDERS.get(task.source_type)
    if provider is None:
        raise BuildError(f"source type '{task.source_type}' is not supported by this builder "
                         f"(supported: {', '.join(sorted(PROVIDERS))})")
    build.prepare()
    macros = copr_macros(task.project_owner, task.project_name, task.task_id,
                         build.config.rpm_vendor_copr_name)
    provider(task, build, macros)
    collect_dir(build.outdir, build.resultdir, build.log, lambda name: name.endswith(".src.rpm"))
    srpms = sorted(build.resultdir.glob("*.src.rpm"))
    if len(srpms) != 1:
        raise BuildError(f"expected one source RPM, found {len(srpms)}")
    header = query_package(srpms[0])
    spec = extract_spec(srpms[0], build)
    arch_tags = {}
    for distro in task.distributions:
        defines = {**macros, "dist": "%{nil}", **distro_macros(distro, build.config.rawhide_version)}
        arch_tags[distro] = spec_arch_tags(spec, defines, build.query)
    build.log.write(f"Built {srpms[0].name}")
    return build.succeed(srpm_results(header, arch_tags))


def extract_spec(srpm: Path, build: Build) -> Path:
    """Unpack the spec of a source RPM (as the build user) and copy it to the resultdir."""
    unpacked = build.workdir / "unpacked"
    build.query(["rpm", "-i", "--nodeps", "--nosignature", "--nodigest",
                 "--define", f"_topdir {unpacked}", str(srpm)], f"unpacking {srpm.name}")
    specs = sorted((unpacked / "SPECS").glob("*.spec"))
    if len(specs) != 1:
        raise BuildError(f"{srpm.name} holds {len(specs)} spec files, expected one")
    target = collect(specs[0], build.resultdir, build.log)
    if target is None:
        raise BuildError(f"the spec of {srpm.name} is not a regular file")
    return target


def clone(task: Task, checkout: Path, build: Build) -> None:
    """Clone the task's dist-git repository at its commit, retrying a flaky network."""
    network = build.config.network_timeout * 5
    for attempt in range(1, NETWORK_ATTEMPTS + 1):
        if build.run(["rm", "-rf", str(checkout)], timeout=network) != 0:
            raise BuildError(f"cannot remove {checkout.name} before cloning")
        if build.run(["git", "clone", "--quiet", task.git_repo, str(checkout)], timeout=network) == 0:
            break
        if attempt == NETWORK_ATTEMPTS:
            raise BuildError(f"git clone {task.git_repo} failed")
        build.log.write(f"  git clone attempt {attempt} failed; retrying")
        time.sleep(backoff(attempt))
    if task.git_hash and build.run(["git", "-C", str(checkout), "checkout", "--quiet", task.git_hash],
                                   timeout=network) != 0:
        raise BuildError(f"git checkout {task.git_hash} failed")


def build_rpm(task: Task, build: Build) -> str:
    """An RPM task: clone dist-git at the commit, fetch sources, `rpmbuild -ba`; write the results.

    Like mock's result folder: root.log (preparing the build), build.log (rpmbuild), the spec,
    the packages, and configs.tar.gz even when the build fails.
    """
    assert task.chroot is not None
    _, arch = split_chroot(task.chroot)
    write_configs(task.record, build.config)
    try:
        build.prepare()
        checkout = build.workdir / (task.package_name or "package")
        with build.log.copy_to(build.resultdir / "root.log"):
            clone(task, checkout, build)
            spec = locate_spec(checkout, task.package_name)
            fetch_sources(checkout, task.git_repo, task.lookaside_url or build.config.lookaside_url,
                          build.config.clone_path_prefix, build.log, build.config.network_timeout)
            if collect(spec, build.resultdir, build.log) is None:
                raise BuildError(f"{spec.name} is not a regular file")
            macros = build_macros(task.record, build.config)
            build.log.write(f"Buildroot of {task.chroot}: the builder's own rpmbuild, target {arch}, "
                            + ", ".join(f"%{name} {value}" for name, value in macros.items()))
        command = ["rpmbuild", "-ba", "--target", arch, *define_args({
            "_topdir": str(build.workdir / "rpmbuild"),
            "_sourcedir": str(checkout),
            "_specdir": str(checkout),
            "_rpmdir": str(build.outdir),
            "_srcrpmdir": str(build.outdir),
            # Flat output directory, as the backend expects, instead of per-arch subfolders.
            "_rpmfilename": "%%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm",
            "_build_id_links": "none",
            # As on a builder of the chroot's architecture: rpmbuild checks a noarch package's
            # ExcludeArch/ExclusiveArch against this, not against --target.
            "_host_cpu": arch,
            **macros,
        })]
        for option in task.with_opts:
            command += ["--with", option]
        for option in task.without_opts:
            command += ["--without", option]
        with build.log.copy_to(build.resultdir / "build.log"):
            code = build.run(command + [str(spec)], timeout=task.timeout or build.config.default_timeout,
                             cwd=checkout)
        if code != 0:
            raise BuildError(f"rpmbuild -ba exited with {code}")
        built = collect_dir(build.outdir, build.resultdir, build.log, lambda name: name.endswith(".rpm"))
        if not built:
            raise BuildError("rpmbuild produced no packages")
        packages = [query_package(path) for path in built]
        build.log.write("Built " + ", ".join(path.name for path in built))
        return build.succeed(rpm_results(packages))
    finally:
        archive_configs(build.resultdir)
