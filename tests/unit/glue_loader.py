"""Puts containers/backend/src/glue (copr-backend-glue's Python code) on sys.path."""

from __future__ import annotations

import sys
from pathlib import Path

GLUE_SRC = Path(__file__).resolve().parents[2] / "containers" / "backend" / "src" / "glue"
if str(GLUE_SRC) not in sys.path:
    sys.path.insert(0, str(GLUE_SRC))
