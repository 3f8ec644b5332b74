"""SRPM providers: one per build method, as upstream's copr_rpmbuild/providers/.

Each provider leaves exactly one source RPM in the build's output folder; build_srpm then
collects it and writes the results. Everything runs as the unprivileged build user.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from . import custom, distgit, scm, spec, tools

if TYPE_CHECKING:
    from ..build import Build
    from ..task import Task

Provider = Callable[["Task", "Build", "dict[str, str]"], None]

PROVIDERS: dict[str, Provider] = {
    "link": spec.produce_srpm,
    "upload": spec.produce_srpm,
    "spec": spec.produce_srpm,
    "scm": scm.produce_srpm,
    "custom": custom.produce_srpm,
    "distgit": distgit.produce_srpm,
    "pypi": tools.produce_pypi,
    "rubygems": tools.produce_rubygems,
}
