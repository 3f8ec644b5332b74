"""Where results live on disk and under which URLs (protocol reference, section 3.4)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SRPM_CHROOT = "srpm-builds"

# Names from the frontend become path components: refuse anything that could leave the tree.
_NAME_RE = re.compile(r"^@?[A-Za-z0-9_.+-]+$")


class LayoutError(ValueError):
    """A name from the frontend cannot be used as a path component."""


def safe_name(value: object, what: str) -> str:
    """`value` as one path component, or LayoutError."""
    text = str(value) if value is not None else ""
    if not _NAME_RE.match(text) or text in (".", ".."):
        raise LayoutError(f"unusable {what}: {text!r}")
    return text


def target_dir_name(build_id: int | str, package_name: str | None = None) -> str:
    """A build's directory in its chroot: `%08d` (SRPM builds) or `%08d-<package>`."""
    number = int(build_id)
    if not package_name:
        return f"{number:08d}"
    return f"{number:08d}-{safe_name(package_name, 'package name')}"


@dataclass(frozen=True)
class Layout:
    """The results tree under `destdir`, published at `public_url` and `internal_url`."""

    destdir: Path
    public_url: str = ""
    internal_url: str = ""

    def project_dir(self, owner: str, dirname: str) -> Path:
        return self.destdir / safe_name(owner, "owner") / safe_name(dirname, "project dir")

    def chroot_dir(self, owner: str, dirname: str, chroot: str) -> Path:
        return self.project_dir(owner, dirname) / safe_name(chroot, "chroot")

    def build_dir(self, owner: str, dirname: str, chroot: str, build_id: int | str,
                  package_name: str | None = None) -> Path:
        """The result directory of one task (SRPM builds ignore the package name)."""
        name = None if chroot == SRPM_CHROOT else package_name
        return self.chroot_dir(owner, dirname, chroot) / target_dir_name(build_id, name)

    def pubkey_path(self, owner: str, dirname: str) -> Path:
        return self.project_dir(owner, dirname) / "pubkey.gpg"

    def repo_baseurl(self, chroot_dir: Path) -> str:
        """The public URL of a chroot directory, with a trailing slash, for metadata written
        elsewhere (the devel repository); empty when no public URL is configured."""
        return self.url(chroot_dir) + "/" if self.public_url else ""

    def url(self, path: Path, internal: bool = False) -> str:
        """The URL of a file or directory of the tree, for clients or for the stack's services."""
        base = (self.internal_url if internal else self.public_url).rstrip("/")
        relative = path.relative_to(self.destdir).as_posix()
        return f"{base}/{relative}"
