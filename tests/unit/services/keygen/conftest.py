"""The keygen's unit tests import `copr_keygen` from containers/keygen/src (no package built)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
KEYGEN_SRC = ROOT / "containers" / "keygen" / "src"
if str(KEYGEN_SRC) not in sys.path:
    sys.path.insert(0, str(KEYGEN_SRC))
