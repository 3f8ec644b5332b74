"""Reproducible tar archives (sorted, no owners, no times): same files, same bytes, same hash."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterable
from pathlib import Path


def reproducible_tar(root: Path, paths: Iterable[Path], compiled: bool = False) -> bytes:
    """A tar of `paths` (files or folders inside `root`), named relative to `root`; __pycache__
    folders only if `compiled` (a source tree's are whatever last ran there)."""
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        for path in sorted(paths):
            if not path.exists() or ("__pycache__" in path.parts and not compiled):
                continue
            info = tar.gettarinfo(str(path), arcname=str(path.relative_to(root)))
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            info.mtime = 0
            if path.is_file():
                with path.open("rb") as handle:
                    tar.addfile(info, handle)
            else:
                tar.addfile(info)
    return archive.getvalue()
