"""Running pip on the host: the only place the harness reaches PyPI (the containers have no
network). `COPR_HARNESS_PIP` replaces the pip command (the unit tests use a fake one)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys

from harness.errors import InfraError


def command() -> list[str]:
    """The pip command line: `$COPR_HARNESS_PIP`, or this interpreter's pip."""
    custom = os.environ.get("COPR_HARNESS_PIP")
    return shlex.split(custom) if custom else [sys.executable, "-m", "pip"]


def run(args: list[str], what: str) -> subprocess.CompletedProcess[str]:
    """Run pip with `args` (`what` names the job in errors); return the finished process."""
    try:
        return subprocess.run(command() + ["--disable-pip-version-check", *args],
                              capture_output=True, text=True, timeout=600)
    except FileNotFoundError as error:
        raise InfraError(f"{what}: pip is not installed ({error})") from None
    except subprocess.TimeoutExpired:
        raise InfraError(f"{what}: pip did not finish within 600 s") from None


def known_versions(output: str) -> list[str] | None:
    """The versions pip listed in "(from versions: 1.0, 1.1)", or None if it listed none."""
    found = re.search(r"\(from versions: ([^)]*)\)", output)
    if not found:
        return None
    return [v.strip() for v in found.group(1).split(",") if v.strip() and v.strip() != "none"]


def missing_distribution(output: str) -> str | None:
    """The requirement of "No matching distribution found for X", if pip said so."""
    found = re.search(r"No matching distribution found for (\S+)", output)
    return found.group(1) if found else None


def last_error(output: str) -> str:
    """pip's own error lines (its warnings and progress are left out), or its last line."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("ERROR:")]
    return "; ".join(errors) if errors else (lines[-1] if lines else "(pip printed nothing)")
