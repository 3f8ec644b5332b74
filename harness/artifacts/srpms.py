"""Tiny offline packages: a spec written and built into an SRPM on the host (rpmbuild -bs)."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

from harness.errors import InfraError

FILES = """\
%install
mkdir -p %{{buildroot}}/usr/share/{name}
echo {name} > %{{buildroot}}/usr/share/{name}/{name}.txt

%files
/usr/share/{name}/{name}.txt
"""


def make_srpm(folder: Path, name: str, body: str | None = None, version: str = "1.0",
              header: str = "BuildArch: noarch", release: str = "1%{?dist}") -> Path:
    """Write `<name>.spec` (sections from `body`, default: one small file) and build its SRPM.

    The spec stays next to the SRPM (`<folder>/<name>.spec`), for builds from a spec file.
    """
    folder.mkdir(parents=True, exist_ok=True)
    spec = folder / f"{name}.spec"
    sections = body if body is not None else FILES.format(name=name)
    # Dedent before the header goes in: a header of several lines must not stop the dedent.
    preamble = textwrap.dedent(f"""\
        Name: {name}
        Version: {version}
        Release: {release}
        Summary: {name}, a test package of copr-harness
        License: MIT
        """)
    spec.write_text(preamble + header + "\n\n%description\n"
                    "A tiny package built by copr-harness.\n\n" + sections)
    result = subprocess.run(["rpmbuild", "-bs", "--define", f"_topdir {folder / 'top'}",
                             "--define", f"_srcrpmdir {folder}", str(spec)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise InfraError(f"rpmbuild -bs {spec} failed: {result.stderr.strip()}")
    return next(folder.glob(f"{name}-{version}-*.src.rpm"))
