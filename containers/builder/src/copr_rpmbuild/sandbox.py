"""Keeping the build's own code away from the builder: the unprivileged build user, and the only
way files travel from the build's workspace to the result directory.

As upstream's mock does (its `mockbuild` user), everything the package's spec can run (rpmbuild,
rpmspec, rpm -i of the SRPM, git) runs as an unprivileged user in a workspace outside the result
directory. Root then copies in only the regular files it chose (the packages, the spec), never
following a symbolic link: a link, FIFO, device or directory the spec planted, say into
%{_rpmdir} pointing at /root/.ssh or /proc/self/environ, is dropped with a line in the log.
"""

from __future__ import annotations

import os
import pwd
import signal
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

from .errors import BuildError

# An SRPM or RPM the builder makes stays far below this; a larger "file" is not ours.
MAX_COPY = 4 << 30


class Log(Protocol):
    def write(self, text: str) -> None: ...


@dataclass(frozen=True)
class BuildUser:
    """The account the build's processes run as."""

    name: str
    uid: int
    gid: int
    home: str


def build_user(name: str) -> BuildUser | None:
    """The unprivileged user to build as: None when no switch is needed (copr-rpmbuild already
    runs unprivileged) or main.ini's build_user is empty (development only: builds as root)."""
    if not name or os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise BuildError(f"the build user '{name}' (main.ini build_user) does not exist on this builder") from None
    if entry.pw_uid == 0:
        raise BuildError(f"the build user '{name}' is root: builds must run unprivileged")
    return BuildUser(name, entry.pw_uid, entry.pw_gid, entry.pw_dir)


def give(path: Path, user: BuildUser | None) -> None:
    """Make a directory the build user's own (the workspace folders its processes write to)."""
    path.mkdir(parents=True, exist_ok=True)
    if user is not None:
        os.chown(path, user.uid, user.gid)
    os.chmod(path, 0o755)


def kill_processes(user: BuildUser | None) -> int:
    """End every process of the build user (a daemon the spec left behind); return how many.

    One task runs at a time (the lock), so all of them belong to this task.
    """
    if user is None:
        return 0
    killed = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            owner = entry.stat().st_uid
        except OSError:
            continue
        if owner == user.uid:
            try:
                os.kill(int(entry.name), signal.SIGKILL)
                killed += 1
            except OSError:
                pass
    return killed


def create_file(path: Path) -> int:
    """Open a new file for writing where the build user may have planted something: whatever is
    at `path` goes, and the new file is created without following a link."""
    if os.path.lexists(path):
        if path.is_dir() and not path.is_symlink():
            raise BuildError(f"{path.name}: a directory is in the way")
        path.unlink()
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def open_regular(path: Path) -> int:
    """A read descriptor of `path` if it is a regular file of its own (not a link, FIFO, device,
    directory, or a hard link to another file); BuildError saying what it is otherwise."""
    before = os.lstat(path)
    if not stat.S_ISREG(before.st_mode):
        raise BuildError(f"{path.name} is {_kind(before.st_mode)}, not a regular file")
    if before.st_nlink != 1:
        raise BuildError(f"{path.name} has {before.st_nlink} hard links")
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    after = os.fstat(fd)
    if (after.st_dev, after.st_ino) != (before.st_dev, before.st_ino) or not stat.S_ISREG(after.st_mode):
        os.close(fd)
        raise BuildError(f"{path.name} changed while it was opened")
    return fd


def read_text(path: Path, limit: int = 1 << 20) -> str:
    """The text of a small regular file the build user controls (a dist-git `sources` file)."""
    fd = open_regular(path)
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise BuildError(f"{path.name} is larger than {limit} bytes")
    return data.decode(errors="replace")


def collect(source: Path, target_dir: Path, log: Log) -> Path | None:
    """Copy one regular file into the result directory; drop anything else with a log line."""
    try:
        fd = open_regular(source)
    except FileNotFoundError:
        log.write(f"Dropped from the results: {source.name} disappeared")
        return None
    except BuildError as error:
        log.write(f"Dropped from the results: {error}")
        return None
    target = target_dir / source.name
    copied = 0
    with os.fdopen(fd, "rb") as reader, os.fdopen(create_file(target), "wb") as writer:
        while chunk := reader.read(1 << 20):
            copied += len(chunk)
            if copied > MAX_COPY:
                writer.close()
                target.unlink()
                log.write(f"Dropped from the results: {source.name} is larger than {MAX_COPY} bytes")
                return None
            writer.write(chunk)
    return target


def collect_dir(directory: Path, target_dir: Path, log: Log, accept: Callable[[str], bool]) -> list[Path]:
    """Collect the regular files of `directory` whose names `accept` takes; drop the rest."""
    collected = []
    if not directory.is_dir() or directory.is_symlink():
        return collected
    for source in sorted(directory.iterdir()):
        if not accept(source.name):
            log.write(f"Dropped from the results: {source.name} is not a file the build makes")
            continue
        path = collect(source, target_dir, log)
        if path is not None:
            collected.append(path)
    return collected
