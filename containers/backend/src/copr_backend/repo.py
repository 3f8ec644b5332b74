"""Repository metadata (createrepo_c), one writer per chroot directory at a time."""

from __future__ import annotations

import fcntl
import hashlib
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


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

    def __init__(self, lock_dir: Path, command: str = "createrepo_c") -> None:
        self.lock_dir = lock_dir
        self.command = command

    def argv(self, chroot_dir: Path, excludes: list[str] | None = None) -> list[str]:
        """The command that indexes every RPM under `chroot_dir` except in `excludes` subdirs."""
        # createrepo_c matches these globs against paths relative to the repository directory.
        argv = [self.command, "--quiet", "--update", "--excludes", "*/prev_build_backup/*"]
        for subdir in excludes or []:
            argv += ["--excludes", f"{subdir}/*"]
        return argv + [str(chroot_dir)]

    def run(self, chroot_dir: Path, excludes: list[str] | None = None) -> None:
        """(Re)generate `chroot_dir/repodata`, creating the directory if needed."""
        chroot_dir.mkdir(parents=True, exist_ok=True)
        with dir_lock(self.lock_dir, chroot_dir):
            # Own session: a service stop must not kill it halfway through writing repodata.
            result = subprocess.run(self.argv(chroot_dir, excludes), capture_output=True, text=True,
                                    start_new_session=True)
        if result.returncode != 0:
            lines = (result.stderr or result.stdout).strip().splitlines() or ["(no output)"]
            raise RepoError(f"createrepo_c {chroot_dir} exited {result.returncode}: {lines[-1]}")
