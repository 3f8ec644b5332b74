"""The builder's unit tests import copr_rpmbuild from its source tree (the package the RPM installs)."""

import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[4] / "containers" / "builder" / "src"
if str(SOURCE) not in sys.path:
    sys.path.insert(0, str(SOURCE))
