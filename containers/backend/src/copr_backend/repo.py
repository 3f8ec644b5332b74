"""Repository metadata (createrepo_c), one writer per chroot directory at a time."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


# The subdirectory of a chroot with the repository of a project whose auto-createrepo is off.
DEVEL_DIR = "devel"
# How long one createrepo_c may run: a chroot of thousands of RPMs takes a minute or two; a tree
# it must not walk (a link to /) would keep it going for ever, and block the chroot's lock.
CREATEREPO_TIMEOUT = 600


class RepoError(Exception):
    """createrepo_c failed."""


@contextmanager
def dir_lock(lock_dir: Path, path: Path) -> Iterator[None]:
    """An exclusive lock on `path`, across the backend's threads and processes."""
    lock_dir.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:32]
    # Each caller opens its own file description: flock then excludes threads too.
    with open(lock_dir / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class Createrepo:
    """Runs createrepo_c on chroot directories."""

    def __init__(self, lock_dir: Path, command: str = "createrepo_c",
                 timeout: float = CREATEREPO_TIMEOUT) -> None:
        self.lock_dir = lock_dir
        self.command = command
        self.timeout = timeout

    def argv(self, chroot_dir: Path, excludes: list[str] | None = None, devel: bool = False,
             baseurl: str = "") -> list[str]:
        """The command that indexes every RPM under `chroot_dir` except in `excludes` subdirs.

        `devel` (a project with auto-createrepo off, upstream's `copr-repo --devel`) writes the
        metadata to `chroot_dir/devel/repodata` instead, its package locations based at `baseurl`
        (the chroot directory's URL), so the packages stay where they are.
        """
        # createrepo_c matches these globs against paths relative to the repository directory.
        argv = [self.command, "--quiet", "--update", "--excludes", "*/prev_build_backup/*"]
        for subdir in excludes or []:
            argv += ["--excludes", f"{subdir}/*"]
        if devel:
            argv += ["--outputdir", str(chroot_dir / DEVEL_DIR)]
            if baseurl:
                argv += ["--baseurl", baseurl]
        return argv + [str(chroot_dir)]

    def run(self, chroot_dir: Path, excludes: list[str] | None = None, devel: bool = False,
            baseurl: str = "") -> None:
        """(Re)generate `chroot_dir/repodata` (with `devel`: `chroot_dir/devel/repodata`),
        creating the directories if needed."""
        chroot_dir.mkdir(parents=True, exist_ok=True)
        if devel:
            (chroot_dir / DEVEL_DIR).mkdir(exist_ok=True)  # createrepo_c makes no --outputdir
        where = chroot_dir / DEVEL_DIR if devel else chroot_dir
        with dir_lock(self.lock_dir, chroot_dir):
            # A createrepo_c killed at its timeout (or with a crashed backend) leaves its temporary
            # `.repodata`, and every later run there would refuse to start. Under the lock no
            # other writer can be using it.
            shutil.rmtree(where / ".repodata", ignore_errors=True)
            # Own session: a service stop must not kill it halfway through writing repodata; and
            # at the timeout the whole session goes.
            process = subprocess.Popen(self.argv(chroot_dir, excludes, devel, baseurl), text=True,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
            try:
                stdout, stderr = process.communicate(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.communicate()
                raise RepoError(f"createrepo_c {where} did not finish within {self.timeout:.0f}s: "
                                "stopped") from None
        if process.returncode != 0:
            lines = (stderr or stdout).strip().splitlines() or ["(no output)"]
            raise RepoError(f"createrepo_c {where} exited {process.returncode}: {lines[-1]}")
