"""The backend's unit tests import `copr_backend` from containers/backend/src (no package built).

copr_common is upstream's (PyPI copr-common, a dependency of the harness's test environment),
as in the containers.
"""

from __future__ import annotations

import importlib
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
BACKEND_SRC = ROOT / "containers" / "backend" / "src"


if str(BACKEND_SRC) not in sys.path:
    sys.path.insert(0, str(BACKEND_SRC))
