"""The backend's unit tests import `copr_backend` from containers/backend/src (no package built).

copr_common's `version` module only exists once its package is built, so when the library is
not importable a stand-in package serves the real modules from containers/common/src.
"""

from __future__ import annotations

import importlib
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
BACKEND_SRC = ROOT / "containers" / "backend" / "src"
COMMON_PACKAGE = ROOT / "containers" / "common" / "src" / "copr_common"


def _common() -> None:
    try:
        importlib.import_module("copr_common.enums")
        return
    except ImportError:
        sys.modules.pop("copr_common", None)
    package = types.ModuleType("copr_common")
    package.__path__ = [str(COMMON_PACKAGE)]  # type: ignore[attr-defined]
    package.__version__ = "0+source"  # type: ignore[attr-defined]
    sys.modules["copr_common"] = package


_common()
if str(BACKEND_SRC) not in sys.path:
    sys.path.insert(0, str(BACKEND_SRC))
