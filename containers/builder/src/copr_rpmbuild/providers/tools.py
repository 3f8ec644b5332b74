"""pypi and rubygems builds: upstream generates the spec with pyp2rpm/pyp2spec or gem2rpm.

None of these tools is packaged in Debian, so this builder has none: the build fails the way
upstream's fails on a builder without them (their checks and texts), after checking the task.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import BuildError
from .base import require_tool

if TYPE_CHECKING:
    from ..build import Build
    from ..task import Task

SPEC_GENERATORS = ("pyp2rpm", "pyp2spec")


def produce_pypi(task: "Task", build: "Build", macros: dict[str, str]) -> None:
    source = task.source
    for field in ("pypi_package_name", "pypi_package_version", "python_versions"):
        if field not in source:
            raise BuildError(f"source_json of a 'pypi' task has no '{field}'")
    generator = str(source.get("spec_generator") or "pyp2rpm")
    if generator not in SPEC_GENERATORS:
        raise BuildError(f"Unsupported tool: {generator}")
    _present(generator, f"Please, install `{generator}'.", build)
    raise BuildError(f"{generator} is present but this builder has no package index to run it against")


def produce_rubygems(task: "Task", build: "Build", macros: dict[str, str]) -> None:
    if "gem_name" not in task.source:
        raise BuildError("source_json of a 'rubygems' task has no 'gem_name'")
    _present("gem2rpm", "Please, install gem2rpm.", build)
    raise BuildError("gem2rpm is present but this builder has no gem index to run it against")


def _present(tool: str, advice: str, build: "Build") -> None:
    """Upstream runs `which <tool>`; when it fails it logs `advice` and the build fails."""
    try:
        require_tool(tool)
    except BuildError:
        build.log.write(advice)
        raise BuildError(advice) from None
