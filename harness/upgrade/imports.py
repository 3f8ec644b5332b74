"""Predicts an ImportError between the Python packages a component gets, before anything starts.

rpm judges only Requires (copr-backend 2.11 asks for `python3-copr-common >= 1.2.1`, which 1.8
meets), not whether one package's code finds the names it imports from another: 2.11 imports
`lock()` from copr_common.lock, which copr-common 1.8 dropped. So for a component whose set has
two or more packages wrapped from Python code (pypi/sdist/source), the packages' payloads are
unpacked into a scratch directory on the host, exactly as rpm would install them, and every
module of the wrapped packages is imported there by a separate Python. Modules the set does not
ship (Debian's redis, daemon, ...) are replaced by permissive stand-ins, so only an import
between the set's own packages can fail.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from harness.artifacts import packages
from harness.artifacts.pyrpm import SITE
from harness.errors import InfraError
from harness.model.scenario import PackageVersion, Scenario

# Module names never imported: test suites and setup scripts (they run on import).
SKIPPED = {"tests", "test", "setup", "__main__", "conftest"}

# Runs in the scratch Python (-I -S: no site-packages, no environment): argv = site dir, the
# modules to import as JSON, the set's own top-level names as JSON. Prints one JSON list of
# {module, name, message} for each ImportError of a name the set itself provides.
PROBE = r'''
import importlib, importlib.abc, importlib.machinery, json, sys, types
site, modules, own = sys.argv[1], json.loads(sys.argv[2]), set(json.loads(sys.argv[3]))
sys.path.insert(0, site)

class Anything:
    """Whatever a missing third-party name is used as: a base class, a call, a decorator."""
    def __init__(self, *args, **kwargs): pass
    def __call__(self, *args, **kwargs):
        return args[0] if len(args) == 1 and callable(args[0]) and not kwargs else Anything()
    def __getattr__(self, name):
        if name.startswith("__"): raise AttributeError(name)
        return Anything
    def __iter__(self): return iter(())
    def __mro_entries__(self, bases): return (object,)

class StandIn(types.ModuleType):
    __all__ = []
    __path__ = []
    def __getattr__(self, name):
        if name.startswith("__"): raise AttributeError(name)
        return Anything

class Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in own:
            return None  # the set's own module: a real ImportError if it is missing
        return importlib.machinery.ModuleSpec(name, self, is_package=True)
    def create_module(self, spec): return StandIn(spec.name)
    def exec_module(self, module): pass

sys.meta_path.append(Finder())
found = []
for module in modules:
    try:
        importlib.import_module(module)
    except ImportError as error:
        if (error.name or "").split(".")[0] in own:
            found.append({"module": module, "name": error.name, "message": str(error)})
    except BaseException:
        pass  # a stand-in used in a way it cannot follow: not an import between the packages
print(json.dumps(found))
'''


@dataclass(frozen=True)
class ImportProblem:
    """One package's module that cannot import a name another package of the set should give."""

    component: str
    importer: str  # NVR of the package whose module fails
    provider: str  # NVR of the package the missing name belongs to
    modules: tuple[str, ...]
    message: str

    def describe(self) -> str:
        more = f" (and {len(self.modules) - 1} more of its modules)" if len(self.modules) > 1 else ""
        return (f"{self.importer} cannot run with {self.provider} in the {self.component}: "
                f"importing {self.modules[0]}{more} fails: {self.message}; rpm's Requires "
                "let this set through")


def payload(rpm: Path) -> tuple[bytes, list[str]]:
    """An RPM's payload as a tar archive, and its member paths (without the leading ./)."""
    result = subprocess.run(["rpm2archive", "-n", "-"], stdin=rpm.open("rb"), capture_output=True)
    if result.returncode != 0:
        raise InfraError(f"rpm2archive {rpm.name} failed: {result.stderr.decode(errors='replace').strip()}")
    with tarfile.open(fileobj=io.BytesIO(result.stdout)) as archive:
        names = [name.removeprefix("./") for name in archive.getnames()]
    return result.stdout, names


def _top_levels(names: list[str]) -> set[str]:
    """The importable top-level names a payload puts into dist-packages."""
    tops = set()
    for name in names:
        if not name.startswith(SITE + "/"):
            continue
        first = name[len(SITE) + 1:].split("/")[0]
        if first.endswith((".dist-info", ".egg-info", ".pth", ".data")):
            continue
        tops.add(first.removesuffix(".py"))
    return tops


def _modules(site: Path, top: str) -> list[str]:
    """Every module of a top-level package (or the module itself), tests left out."""
    if (site / f"{top}.py").is_file():
        return [top]
    found = []
    for path in sorted((site / top).rglob("*.py")):
        parts = path.relative_to(site).with_suffix("").parts
        if any(part in SKIPPED for part in parts):
            continue
        found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


def wrapped(packages_: dict[str, PackageVersion], names: list[str]) -> list[str]:
    """The packages of `names` whose code is wrapped from a Python source."""
    return [n for n in names if n in packages_ and packages_[n].python_source is not None]


def check_component(scenario: Scenario, component: str, which: str = "candidate") -> list[ImportProblem]:
    """The import problems of `component`'s packages in the `which` set (none unless it has two
    or more wrapped Python packages: a single one imports only itself and Debian's modules)."""
    names = scenario.packages_of(component)
    versions = scenario.component_set(which, component)
    python_packages = wrapped(versions, names)
    if len(python_packages) < 2:
        return []
    rpms = packages.build_set(names, scenario.package_set(which), component)
    owner: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="copr-harness-imports-") as root:
        for name in names:
            data, members = payload(rpms[name])
            with tarfile.open(fileobj=io.BytesIO(data)) as archive:
                archive.extractall(root, filter="data")
            for top in _top_levels(members):
                owner[top] = name
        site = Path(root) / SITE
        modules = [m for name in python_packages for top in sorted(owner)
                   if owner[top] == name for m in _modules(site, top)]
        result = subprocess.run(
            [sys.executable, "-I", "-S", "-c", PROBE, str(site), json.dumps(modules),
             json.dumps(sorted(owner))], capture_output=True, text=True, timeout=300, cwd=root)
    if result.returncode != 0 or not result.stdout.strip():
        raise InfraError(f"the import check of {component}'s packages failed: "
                         + (result.stderr.strip().splitlines() or ["no output"])[-1])
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for found in json.loads(result.stdout.strip().splitlines()[-1]):
        importer = owner.get(found["module"].split(".")[0], "?")
        provider = owner.get(found["name"].split(".")[0], "?")
        # The scratch path means nothing to the reader: "(/tmp/.../lock.py)" goes.
        message = re.sub(r"\s*\([^()]*copr-harness-imports-[^()]*\)", "", found["message"])
        grouped.setdefault((importer, provider, message), []).append(found["module"])
    nvr = {name: f"{name}-{versions[name].evr}" for name in names}
    return [ImportProblem(component, nvr.get(importer, importer), nvr.get(provider, provider),
                          tuple(modules_), message)
            for (importer, provider, message), modules_ in grouped.items()]


def check(scenario: Scenario, components: list[str], which: str = "candidate") -> list[ImportProblem]:
    """The import problems of every component in `components` (see check_component)."""
    return [problem for component in components
            for problem in check_component(scenario, component, which)]
