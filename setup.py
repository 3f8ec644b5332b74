"""The wheel ships what the harness reads besides its code: the container definitions, the
scenarios and the suites it runs (tests/sanity, tests/post_release, tests/support), copied at
build time into harness/_shipped/ so the repository keeps its layout. harness.paths finds them
there when installed, or in the checkout."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = ["containers", "scenarios", "tests/__init__.py", "tests/sanity", "tests/post_release",
           "tests/support"]
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")


class BuildWithShipped(build_py):
    """build_py, plus the shipped folders under harness/_shipped (not for editable installs:
    those read the checkout itself)."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        here = Path(__file__).resolve().parent
        target = Path(self.build_lib) / "harness" / "_shipped"
        for name in SHIPPED:
            source, destination = here / name, target / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, destination, ignore=SKIP, dirs_exist_ok=True)
            else:
                shutil.copy2(source, destination)


setup(cmdclass={"build_py": BuildWithShipped})
