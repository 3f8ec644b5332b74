"""The import check of a component's wrapped Python packages (harness.upgrade.imports): a name one
package imports from another that the other's version dropped is found before anything starts;
modules the set does not ship (Debian's) are no finding."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from harness.artifacts import packages
from harness.model.scenario import load_scenario
from harness.upgrade import imports, plan

needs_rpm = pytest.mark.skipif(shutil.which("rpmbuild") is None or shutil.which("rpm2archive") is None,
                               reason="rpmbuild/rpm2archive are not installed")

# A backend that uses lock() of its common library, and Debian's redis (not in the set).
BACKEND = {
    "copr_backend/__init__.py": "",
    "copr_backend/actions.py": """\
        import redis
        from copr_common.lock import lock

        class Queue(redis.Redis):
            @redis.retry(3)
            def push(self):
                with lock("q"):
                    return 1
        """,
    "copr_backend/helpers.py": "import json\nfrom copr_common import enums\nSTATES = enums.STATES\n",
    "tests/test_actions.py": "from copr_common.gone import nothing\n",
}
COMMON_17 = {"copr_common/__init__.py": "", "copr_common/enums.py": "STATES = [1]\n",
             "copr_common/lock.py": "def lock(name):\n    return open('/dev/null')\n"}
COMMON_18 = {"copr_common/__init__.py": "", "copr_common/enums.py": "STATES = [1]\n",
             "copr_common/lock.py": "class Lock:\n    pass\n"}


def project(parent: Path, name: str, version: str, files: dict[str, str]) -> Path:
    root = parent / f"{name}-{version}"
    package_dirs = sorted({f.split("/")[0] for f in files if not f.startswith("tests/")})
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(textwrap.dedent(text))
    (root / "setup.py").write_text(
        f"from setuptools import setup\nsetup(name={name!r},\n      version={version!r},\n"
        f"      packages={package_dirs!r})\n")
    return root


def scenario(tmp_path: Path, production: str, candidate: str):
    """A backend of copr-backend 2.11 and copr-common `production` -> `candidate` (source dirs)."""
    backend = project(tmp_path, "copr-backend", "2.11", BACKEND)
    commons = {v: project(tmp_path, "copr-common", v, COMMON_17 if v == "1.7" else COMMON_18)
               for v in {production, candidate}}

    def package_set(version: str) -> str:
        return (f"  python3-copr-common: {{source: {commons[version].name}}}\n"
                f"  copr-backend: {{source: {backend.name}}}\n")

    path = tmp_path / "s.yaml"
    path.write_text("components: [backend]\n"
                    "component_packages:\n  backend: [python3-copr-common, copr-backend]\n"
                    "production:\n" + package_set(production) + "candidate:\n" + package_set(candidate))
    return load_scenario(path)[1]


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(packages, "CACHE", tmp_path / "cache")


@needs_rpm
def test_a_dropped_name_is_predicted_naming_both_packages(tmp_path):
    made = plan.predict(scenario(tmp_path, "1.7", "1.8"))
    [problem] = made.problems
    assert (problem.rule, problem.step) == ("components-start", "backend")
    assert problem.message.startswith(
        "copr-backend-2.11-1 cannot run with python3-copr-common-1.8-1 in the backend: "
        "importing copr_backend.actions fails: cannot import name 'lock' from 'copr_common.lock'")
    assert "copr-harness-imports-" not in problem.message  # no scratch path


@needs_rpm
def test_a_set_that_imports_cleanly_has_no_finding(tmp_path):
    """Also: the Debian module (redis) used as a base class and a decorator is no finding, and
    a test module importing a missing name is not imported."""
    current = scenario(tmp_path, "1.8", "1.7")
    assert imports.check(current, ["backend"], "candidate") == []
    assert [p.importer for p in imports.check(current, ["backend"], "production")] == \
        ["copr-backend-2.11-1"]


def test_a_component_with_one_wrapped_package_is_not_built(tmp_path, monkeypatch):
    """Beside the backend (copr-common, python-copr and copr-backend from PyPI) the shipped
    scenarios wrap only copr-common: the check builds nothing for those components."""
    from harness.paths import ROOT

    class Built(Exception):
        pass

    def build_set(names, *args, **kwargs):
        raise Built(names)

    monkeypatch.setattr(packages, "build_set", build_set)
    _, release = load_scenario(ROOT / "scenarios" / "release-good.yaml")
    others = [c for c in release.components if c != "backend"]
    assert others and imports.check(release, others) == []
    with pytest.raises(Built):
        imports.check(release, ["backend"])
