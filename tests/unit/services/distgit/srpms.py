"""Helpers of the dist-git tests: build small SRPMs with rpmbuild."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

HAVE_TOOLS = all(shutil.which(tool) for tool in ("rpmbuild", "rpm2archive", "git"))
MISSING_TOOLS = "needs rpmbuild, rpm2archive and git (apt-get install -y rpm rpm2cpio git)"


def build_srpm(folder: Path, name: str = "tiny", version: str = "1.0", release: str = "1",
               sources: dict[str, bytes] | None = None, patch: str = "--- a\n+++ b\n") -> Path:
    """A noarch SRPM with a tarball (Source0), the given extra sources and one patch."""
    top = folder / f"rpmbuild-{name}-{version}-{release}"
    (top / "SOURCES").mkdir(parents=True, exist_ok=True)
    files = {f"{name}-{version}.tar.gz": f"tarball of {name} {version}\n".encode() + bytes(range(256))}
    files.update(sources or {})
    lines = [f"Name: {name}", f"Version: {version}", f"Release: {release}", "Summary: a test package",
             "License: MIT", "BuildArch: noarch"]
    for number, (filename, content) in enumerate(files.items()):
        (top / "SOURCES" / filename).write_bytes(content)
        lines.append(f"Source{number}: {filename}")
    (top / "SOURCES" / "fix.patch").write_text(patch)
    lines += ["Patch0: fix.patch", "%description", "A test package.", "%files", ""]
    spec = top / f"{name}.spec"
    spec.write_text("\n".join(lines))
    subprocess.run(["rpmbuild", "-bs", "--quiet", "--define", f"_topdir {top}", str(spec)],
                   check=True, capture_output=True)
    return next((top / "SRPMS").glob("*.src.rpm"))
