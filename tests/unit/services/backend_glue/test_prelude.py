"""The environment the glue's services (and so every worker they spawn) run in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PRELUDE = Path(__file__).resolve().parents[4] / "containers" / "backend" / "src" / "glue" / "service" / "prelude"


def prelude_environment(tmp_path: Path, **given: str) -> dict[str, str]:
    """What a service exports after sourcing the prelude (its config step stubbed out), with
    the run's settings `given` in its environment (what svc exports from stack.env)."""
    stub = tmp_path / "bin"
    stub.mkdir()
    (stub / "python3").write_text("#!/bin/sh\nexit 0\n")
    (stub / "python3").chmod(0o755)
    shown = subprocess.run(["bash", "-c", f". {PRELUDE}; env -0"], capture_output=True,
                           env={"PATH": f"{stub}:/usr/bin:/bin", "KEYGEN_URL": "http://keygen:5003",
                                **given}, check=True).stdout
    return dict(item.split("=", 1) for item in shown.decode().split("\0") if "=" in item)


def test_workers_import_the_standard_librarys_distutils(tmp_path: Path) -> None:
    """2.11's storage.py imports distutils; setuptools' copy of it would import setuptools."""
    env = prelude_environment(tmp_path)
    assert env["SETUPTOOLS_USE_DISTUTILS"] == "stdlib"
    probe = ("import sys, warnings; warnings.simplefilter('ignore'); import distutils.dir_util; "
             "print(any(m.split('.')[0] == 'setuptools' for m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                            env={**os.environ, "SETUPTOOLS_USE_DISTUTILS": env["SETUPTOOLS_USE_DISTUTILS"]})
    assert loaded.stdout.strip() == "False"


def test_sign_is_given_the_runs_keygen_url(tmp_path: Path) -> None:
    """copr-backend runs /bin/sign in its own environment; a played kube stack's keygen is
    `<run>-keygen`, not the client's default host `keygen`."""
    env = prelude_environment(tmp_path, KEYGEN_URL="http://kb1-keygen:5003")
    assert env["COPR_KEYGEN_URL"] == "http://kb1-keygen:5003"
