"""What commands print: JSON for programs, ages and tables for people."""

from __future__ import annotations

import json
import sys
from typing import Any


def emit_json(value: Any) -> None:
    """One JSON document on stdout (sorted keys: stable for diffs and tests)."""
    json.dump(value, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


def age(seconds: float | None) -> str:
    """A duration as `podman ps` shows an age: 45s, 12m, 3h, 2d ('?' when unknown)."""
    if seconds is None:
        return "?"
    seconds = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Columns padded to their widest cell, two spaces apart (the last one not padded)."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    return ["  ".join(str(cell).ljust(width) for cell, width in zip(line, widths)).rstrip()
            for line in [header, *rows]]
