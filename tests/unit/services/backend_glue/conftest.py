"""copr-backend-glue's unit tests import its modules from the source tree (what the RPM installs)."""

import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[4] / "containers" / "backend" / "src" / "glue"
if str(SOURCE) not in sys.path:
    sys.path.insert(0, str(SOURCE))
