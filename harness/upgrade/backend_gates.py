"""The backend's two gates of a package set: MIN_FE_BE_API (the oldest frontend FE-BE API it
takes jobs from) and MIN_BUILDER_VERSION (the oldest copr-rpmbuild it builds on).

copr-backend has them as constants in its code (`MIN_FE_BE_API` in copr_backend/frontend.py,
`MIN_BUILDER_VERSION` in copr_backend/background_worker_build.py), so for a copr-backend wrapped
from Python code (pypi/sdist/source, with the scenario's patches) they are read from the RPM's
payload: the code exactly as rpm installs it, after the patches that raise them. A release that
raises a gate is then what it is upstream, a patch to the backend.
"""

from __future__ import annotations

import ast
import io
import tarfile
from dataclasses import dataclass

from harness.artifacts import packages
from harness.artifacts.pyrpm import SITE
from harness.model.scenario import PackageVersion, Scenario
from harness.upgrade.imports import payload

BACKEND = "copr-backend"
# Where upstream's copr-backend defines each gate, as installed.
CONSTANTS = {"MIN_FE_BE_API": f"{SITE}/copr_backend/frontend.py",
             "MIN_BUILDER_VERSION": f"{SITE}/copr_backend/background_worker_build.py"}


@dataclass(frozen=True)
class Gates:
    """A backend's gates (None: unknown, e.g. a prebuilt RPM) and where they were read."""

    min_fe_be_api: int | None
    min_builder_version: str | None
    origin: str  # "code" or "unknown"


def constant(source: str, name: str) -> object | None:
    """The literal a module assigns to `name` at its top level (the last assignment), or None."""
    found = None
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in node.targets):
            try:
                found = ast.literal_eval(node.value)
            except ValueError:
                found = None
    return found


def from_code(files: dict[str, str]) -> Gates:
    """The gates defined in upstream's modules (path as installed -> text)."""
    api = constant(files.get(CONSTANTS["MIN_FE_BE_API"], ""), "MIN_FE_BE_API")
    builder = constant(files.get(CONSTANTS["MIN_BUILDER_VERSION"], ""), "MIN_BUILDER_VERSION")
    return Gates(int(api) if isinstance(api, int) else None,
                 str(builder) if isinstance(builder, str) else None, "code")


def _installed_files(package: PackageVersion) -> dict[str, str]:
    """The gate modules of a wrapped copr-backend, read from its built RPM's payload."""
    rpm = packages.build_rpm(BACKEND, package)
    data, _ = payload(rpm)
    files = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        for member in archive.getmembers():
            path = member.name.removeprefix("./")
            if path in CONSTANTS.values() and member.isfile():
                handle = archive.extractfile(member)
                files[path] = handle.read().decode() if handle else ""
    return files


def of(scenario: Scenario, which: str, read_code: bool = True) -> Gates:
    """The gates of the backend in the `which` set ("production" or "candidate"). A wrapped
    copr-backend's are read from its code only with `read_code` (it builds the RPM)."""
    package = scenario.component_set(which, "backend").get(BACKEND)
    if package is None:
        return Gates(None, None, "unknown")
    if package.python_source is not None and read_code:
        return from_code(_installed_files(package))
    return Gates(None, None, "unknown")  # a prebuilt RPM, or its code not read
