"""dist-git's unit tests import `copr_dist_git` from containers/distgit/src (no package built)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
DISTGIT_SRC = ROOT / "containers" / "distgit" / "src"
if str(DISTGIT_SRC) not in sys.path:
    sys.path.insert(0, str(DISTGIT_SRC))
