"""RPM version comparison (the ordering `rpm` uses for VERSION and RELEASE strings)."""

from __future__ import annotations


def _separator(char: str) -> bool:
    return not (char.isascii() and char.isalnum()) and char not in "~^"


def _skip_separators(text: str) -> str:
    start = 0
    while start < len(text) and _separator(text[start]):
        start += 1
    return text[start:]


def _take(text: str, digits: bool) -> tuple[str, str]:
    """Split `text` into its leading run of digits (or of ASCII letters) and the rest."""
    end = 0
    while end < len(text) and text[end].isascii() and (
        text[end].isdigit() if digits else text[end].isalpha()
    ):
        end += 1
    return text[:end], text[end:]


def rpmvercmp(a: str, b: str) -> int:
    """-1, 0 or 1 as `a` is older than, equal to or newer than `b`, in rpm's ordering.

    Segments of digits compare as numbers and beat segments of letters; `~` sorts before
    anything (even the end of the string); `^` sorts after the end of the string but before
    any other segment.
    """
    if a == b:
        return 0
    while a or b:
        a, b = _skip_separators(a), _skip_separators(b)
        if a.startswith("~") or b.startswith("~"):
            if not a.startswith("~"):
                return 1
            if not b.startswith("~"):
                return -1
            a, b = a[1:], b[1:]
            continue
        if a.startswith("^") or b.startswith("^"):
            if not a:
                return -1
            if not b:
                return 1
            if not a.startswith("^"):
                return 1
            if not b.startswith("^"):
                return -1
            a, b = a[1:], b[1:]
            continue
        if not a or not b:
            break
        digits = a[0].isdigit()
        seg_a, a = _take(a, digits)
        seg_b, b = _take(b, digits)
        if not seg_b:
            # Segments of different kinds: a number is newer than letters.
            return 1 if digits else -1
        if digits:
            seg_a, seg_b = seg_a.lstrip("0"), seg_b.lstrip("0")
            if len(seg_a) != len(seg_b):
                return 1 if len(seg_a) > len(seg_b) else -1
        if seg_a != seg_b:
            return 1 if seg_a > seg_b else -1
    if not a and not b:
        return 0
    return 1 if a else -1


def version_at_least(version: str, minimum: str) -> bool:
    """Whether `version` is `minimum` or newer."""
    return rpmvercmp(version, minimum) >= 0
