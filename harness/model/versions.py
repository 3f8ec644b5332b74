"""RPM version strings: validation, comparison (rpmvercmp rules) and NVR parsing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

# Characters rpm accepts in Version and Release; '-' separates the two, so it is not one of them.
_VERSION_RE = re.compile(r"[A-Za-z0-9._+~^]+")
MAX_VERSION = 64  # name-version-release.arch.rpm must stay a file name (255 bytes)
_SEGMENT_RE = re.compile(r"~|\^|[0-9]+|[A-Za-z]+")


def check_version(text: str) -> str:
    """Return `text` if rpm would accept it as a Version or Release, else raise ValueError."""
    if not isinstance(text, str) or not text:
        raise ValueError("a version must be a non-empty string")
    if len(text) > MAX_VERSION:
        raise ValueError(f"a version of {len(text)} characters is too long (at most {MAX_VERSION})")
    if not _VERSION_RE.fullmatch(text):
        raise ValueError(
            f"'{text}' is not an RPM version: use letters, digits and . _ + ~ ^ (no '-' or spaces)"
        )
    if not re.search(r"[A-Za-z0-9]", text):
        raise ValueError(f"'{text}' is not an RPM version: it has no letter or digit")
    return text


def rpmvercmp(a: str, b: str) -> int:
    """Compare two version strings as rpm does; return -1, 0 or 1."""
    if a == b:
        return 0
    sa, sb = _SEGMENT_RE.findall(a), _SEGMENT_RE.findall(b)
    while sa or sb:
        # '~' sorts before anything, even the end of the string.
        ta, tb = (sa[0] if sa else None), (sb[0] if sb else None)
        if ta == "~" or tb == "~":
            if ta != tb:
                return -1 if ta == "~" else 1
            sa.pop(0), sb.pop(0)
            continue
        # '^' sorts after the end of the string but before any other segment.
        if ta == "^" or tb == "^":
            if ta is None:
                return -1
            if tb is None:
                return 1
            if ta != tb:
                return -1 if ta == "^" else 1
            sa.pop(0), sb.pop(0)
            continue
        if ta is None or tb is None:
            return -1 if ta is None else 1
        a_num, b_num = ta.isdigit(), tb.isdigit()
        if a_num != b_num:
            return 1 if a_num else -1  # numeric segments are newer than alphabetic ones
        if a_num:
            ia, ib = int(ta), int(tb)
            if ia != ib:
                return -1 if ia < ib else 1
        elif ta != tb:
            return -1 if ta < tb else 1
        sa.pop(0), sb.pop(0)
    return 0


@total_ordering
@dataclass(frozen=True)
class EVR:
    """Epoch, version, release, ordered as rpm orders them."""

    version: str
    release: str = ""
    epoch: int = 0

    @classmethod
    def parse(cls, text: str) -> "EVR":
        """Parse `[epoch:]version[-release]`."""
        epoch = 0
        if ":" in text:
            head, text = text.split(":", 1)
            if not head.isdigit():
                raise ValueError(f"'{head}' is not an RPM epoch (a whole number)")
            epoch = int(head)
        version, _, release = text.partition("-")
        check_version(version)
        if release:
            check_version(release)
        return cls(version, release, epoch)

    def _cmp(self, other: "EVR") -> int:
        if self.epoch != other.epoch:
            return -1 if self.epoch < other.epoch else 1
        result = rpmvercmp(self.version, other.version)
        if result or not self.release or not other.release:
            return result
        return rpmvercmp(self.release, other.release)

    def __lt__(self, other: "EVR") -> bool:
        return self._cmp(other) < 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EVR) and self._cmp(other) == 0

    def __hash__(self) -> int:
        return hash((self.epoch, self.version))

    def __str__(self) -> str:
        text = f"{self.version}-{self.release}" if self.release else self.version
        return f"{self.epoch}:{text}" if self.epoch else text


@dataclass(frozen=True)
class NVR:
    """A package name with its version and release, as `rpm -q` prints it."""

    name: str
    version: str
    release: str

    @classmethod
    def parse(cls, text: str) -> "NVR":
        """Parse `name-version-release[.arch]` as printed by `rpm -qa`."""
        text = text.strip()
        for arch in (".noarch", ".x86_64", ".aarch64", ".src"):
            if text.endswith(arch):
                text = text[: -len(arch)]
                break
        parts = text.rsplit("-", 2)
        if len(parts) != 3 or not all(parts):
            raise ValueError(f"'{text}' is not a name-version-release")
        name, version, release = parts
        check_version(version)
        check_version(release)
        return cls(name, version, release)

    def __str__(self) -> str:
        return f"{self.name}-{self.version}-{self.release}"
