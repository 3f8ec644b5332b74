"""Tiny Python projects made by the tests: a source directory, its sdist, a patch, a fake pip."""

from __future__ import annotations

import stat
import sys
import tarfile
import textwrap
from pathlib import Path

SETUP = """\
from setuptools import setup
setup(name="tinypkg",
      version="{version}", packages=["tinypkg"], install_requires={requires!r})
"""
MODULE = 'VALUE = "original"\n'
PATCH = """\
--- a/tinypkg/__init__.py
+++ b/tinypkg/__init__.py
@@ -1 +1 @@
-VALUE = "original"
+VALUE = "patched"
"""


def source_dir(parent: Path, version: str = "1.3", requires: list[str] | None = None) -> Path:
    """A project `tinypkg` (one module) under `parent/tinypkg-<version>`."""
    root = parent / f"tinypkg-{version}"
    (root / "tinypkg").mkdir(parents=True)
    (root / "setup.py").write_text(SETUP.format(version=version, requires=requires or []))
    (root / "tinypkg" / "__init__.py").write_text(MODULE)
    return root


def sdist(parent: Path, version: str = "1.3", requires: list[str] | None = None) -> Path:
    """`parent/tinypkg-<version>.tar.gz`, as `setup.py sdist` lays it out."""
    tree = source_dir(parent / "tree", version, requires)
    path = parent / f"tinypkg-{version}.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        archive.add(tree, arcname=tree.name)
    return path


def patch(parent: Path, text: str = PATCH, name: str = "fix.patch") -> Path:
    path = parent / name
    path.write_text(text)
    return path


FAKE_PIP = """\
#!{python}
# A fake pip: `download --no-binary` serves {sdist} for tinypkg==1.3 (and says which versions
# exist for any other pin), `download --only-binary` finds no wheel for names starting with
# "no-such"; every other command is the real pip's. Each call is logged to {log}.
import os, shutil, sys
args = sys.argv[1:]
with open({log!r}, "a") as log:
    log.write(" ".join(args) + "\\n")
if "download" in args and "--no-binary" in args:
    dest, pin = args[args.index("--dest") + 1], args[-1]
    if pin != "tinypkg==1.3":
        sys.stderr.write(f"ERROR: Could not find a version that satisfies the requirement {{pin}} "
                         "(from versions: 1.2, 1.3)\\nERROR: No matching distribution found for "
                         f"{{pin}}\\n")
        sys.exit(1)
    shutil.copy({sdist!r}, dest)
    sys.exit(0)
if "download" in args and "--only-binary" in args:
    missing = [a for a in args if a.startswith("no-such")]
    if missing:
        sys.stderr.write(f"ERROR: No matching distribution found for {{missing[0]}}\\n")
        sys.exit(1)
os.execv({python!r}, [{python!r}, "-m", "pip", *args])
"""


def fake_pip(parent: Path, sdist_path: Path) -> tuple[Path, Path]:
    """A fake pip script and the log of its calls."""
    script, log = parent / "fake-pip", parent / "pip-calls.log"
    script.write_text(FAKE_PIP.format(python=sys.executable, sdist=str(sdist_path), log=str(log)))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    log.write_text("")
    return script, log


def calls(log: Path) -> list[str]:
    return [ln for ln in log.read_text().splitlines() if ln.strip()]


def dedent(text: str) -> str:
    return textwrap.dedent(text)

