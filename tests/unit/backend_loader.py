"""Imports the backend's modules from containers/backend/src (no package built, no Podman).

copr_common is upstream's (PyPI copr-common, a dependency of the harness's test environment),
as in the containers.
"""

from __future__ import annotations

import importlib
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BACKEND_SRC = ROOT / "containers" / "backend" / "src"


def backend(module: str) -> types.ModuleType:
    """`copr_backend.<module>` from the source tree."""
    if str(BACKEND_SRC) not in sys.path:
        sys.path.insert(0, str(BACKEND_SRC))
    return importlib.import_module(f"copr_backend.{module}")
