"""Tiny offline packages: a spec written and built into an SRPM on the host (rpmbuild -bs)."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

from .errors import InfraError

FILES = """\
%install
mkdir -p %{{buildroot}}/usr/share/{name}
echo {name} > %{{buildroot}}/usr/share/{name}/{name}.txt

%files
/usr/share/{name}/{name}.txt
"""


def make_srpm(folder: Path, name: str, body: str | None = None, version: str = "1.0",
              header: str = "BuildArch: noarch") -> Path:
    """Write `<name>.spec` (sections from `body`, default: one small file) and build its SRPM."""
    folder.mkdir(parents=True, exist_ok=True)
    spec = folder / f"{name}.spec"
    sections = body if body is not None else FILES.format(name=name)
    spec.write_text(textwrap.dedent(f"""\
        Name: {name}
        Version: {version}
        Release: 1%{{?dist}}
        Summary: {name}, a test package of copr-harness
        License: MIT
        {header}

        %description
        A tiny package built by copr-harness.

        """) + sections)
    result = subprocess.run(["rpmbuild", "-bs", "--define", f"_topdir {folder / 'top'}",
                             "--define", f"_srcrpmdir {folder}", str(spec)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise InfraError(f"rpmbuild -bs {spec} failed: {result.stderr.strip()}")
    return next(folder.glob(f"{name}-{version}-*.src.rpm"))
