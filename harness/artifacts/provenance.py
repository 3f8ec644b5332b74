"""Where a run's packages came from (spec, prebuilt rpm, PyPI pin, sdist, source dir + patches),
saved beside a suite's report (packages.json) and shown on its HTML page."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

FILE = "packages.json"


def save(folder: Path, origins: dict[str, dict[str, str]]) -> Path:
    """Write {component: {package: origin}} into the report folder."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILE
    path.write_text(json.dumps(origins, indent=2, sort_keys=True) + "\n")
    return path


def load(folder: Path) -> dict[str, dict[str, str]]:
    path = folder / FILE
    return json.loads(path.read_text()) if path.is_file() else {}


def section(origins: dict[str, dict[str, str]]) -> str:
    """An HTML table: component, package, where it came from (empty without origins)."""
    if not origins:
        return ""
    rows = "".join(f"<tr><td>{escape(component)}</td><td>{escape(package)}</td>"
                   f"<td>{escape(origin)}</td></tr>"
                   for component, packages in sorted(origins.items())
                   for package, origin in packages.items())
    return ("<h2>Packages under test</h2><table><tr><th>component</th><th>package</th>"
            f"<th>from</th></tr>{rows}</table>")
