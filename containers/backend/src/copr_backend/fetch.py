"""Unpacking a builder's result directory (a tar stream): regular files and directories only.

A build controls what lands in its result directory. A symbolic link there (to the backend's SSH
key, to /proc/self/environ, to /) would be published and followed by the results server and by
createrepo_c, a hard link or a device node is no result either: everything but regular files and
directories is dropped and named, so the task log says what was refused.
"""

from __future__ import annotations

import os
import shutil
import tarfile
from pathlib import Path, PurePosixPath
from typing import IO

KINDS = {tarfile.SYMTYPE: "symbolic link", tarfile.LNKTYPE: "hard link", tarfile.FIFOTYPE: "FIFO",
         tarfile.CHRTYPE: "character device", tarfile.BLKTYPE: "block device"}
# Permission bits a result keeps (no setuid/setgid/sticky bit on the backend).
MODE_BITS = 0o777


def _safe_parts(name: str) -> tuple[str, ...] | None:
    """The path components of a member name inside the directory, or None if it would leave it."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        return None
    return tuple(part for part in path.parts if part not in ("", "."))


def _write(source: IO[bytes], target: Path, mode: int) -> None:
    # O_NOFOLLOW|O_EXCL: never write through a link, never over something already there.
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode & MODE_BITS)
    with os.fdopen(fd, "wb") as handle:
        shutil.copyfileobj(source, handle)


def extract_regular(stream: IO[bytes], dest: Path) -> list[str]:
    """Unpack the tar `stream` into `dest` (created); return what was dropped, `name (why)`."""
    dest.mkdir(parents=True, exist_ok=True)
    dropped: list[str] = []
    with tarfile.open(fileobj=stream, mode="r|") as archive:
        for member in archive:
            parts = _safe_parts(member.name)
            shown = member.name.removeprefix("./")
            if parts is None:
                dropped.append(f"{shown} (unsafe name)")
                continue
            if not (member.isreg() or member.isdir()):
                dropped.append(f"{shown} ({KINDS.get(member.type, 'not a regular file')})")
                continue
            if not parts:
                continue  # the directory itself
            target = dest.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            if member.isdir():
                target.mkdir(exist_ok=True)
                continue
            if target.exists() or target.is_symlink():
                dropped.append(f"{shown} (given twice)")
                continue
            source = archive.extractfile(member)
            assert source is not None  # a regular member always has data
            _write(source, target, member.mode)
    return dropped
