"""The backend's gates (MIN_FE_BE_API, MIN_BUILDER_VERSION) of a package set: for copr-backend
wrapped from Python code, the constants of its code as the RPM installs it, after the scenario's
patches; and the plan's API gate judged from them."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from harness.artifacts import packages
from harness.model.scenario import load_scenario
from harness.upgrade import backend_gates, plan

needs_rpm = pytest.mark.skipif(shutil.which("rpmbuild") is None or shutil.which("rpm2archive") is None,
                               reason="rpmbuild/rpm2archive are not installed")

# Where upstream's copr-backend has its gates, with the values 2.11 ships (7 and "1.3.1").
FRONTEND = "import logging\n\n# a comment\nMIN_FE_BE_API = 7\n\nclass FrontendClient:\n    pass\n"
WORKER = 'MAX_HOST_ATTEMPTS = 3\nMIN_BUILDER_VERSION = "1.3.1"\nCANCEL_CHECK_PERIOD = 5\n'
RAISE_API = ("--- a/copr_backend/frontend.py\n+++ b/copr_backend/frontend.py\n@@ -4 +4 @@\n"
             "-MIN_FE_BE_API = 7\n+MIN_FE_BE_API = {}\n")


def test_a_constant_is_read_from_module_text():
    assert backend_gates.constant(FRONTEND, "MIN_FE_BE_API") == 7
    assert backend_gates.constant(WORKER, "MIN_BUILDER_VERSION") == "1.3.1"
    assert backend_gates.constant(WORKER, "MISSING") is None
    assert backend_gates.constant("MIN_FE_BE_API = compute()\n", "MIN_FE_BE_API") is None


def test_gates_from_code_need_both_modules():
    site = "usr/lib/python3/dist-packages/copr_backend"
    both = backend_gates.from_code({f"{site}/frontend.py": FRONTEND,
                                    f"{site}/background_worker_build.py": WORKER})
    assert both == backend_gates.Gates(7, "1.3.1", "code")
    assert backend_gates.from_code({}) == backend_gates.Gates(None, None, "code")


def backend_source(parent: Path) -> Path:
    root = parent / "copr-backend-2.11"
    for path, text in {"copr_backend/__init__.py": "", "copr_backend/frontend.py": FRONTEND,
                       "copr_backend/background_worker_build.py": WORKER}.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    (root / "setup.py").write_text("from setuptools import setup\n"
                                   "setup(name='copr-backend', version='2.11', packages=['copr_backend'])\n")
    return root


def scenario(tmp_path: Path, production_api: int, candidate_api: int):
    """Frontend API 9 -> 10; the backend (a source tree) patched to each set's MIN_FE_BE_API."""
    source = backend_source(tmp_path)
    sets = {}
    for which, api in (("production", production_api), ("candidate", candidate_api)):
        patch = tmp_path / f"api-{api}.patch"
        patch.write_text(RAISE_API.format(api))
        frontend = {"production": ("2.7", 9), "candidate": ("2.8", 10)}[which]
        sets[which] = (
            f"  python3-copr-common: {{pypi: 'copr-common==1.7'}}\n"
            f"  copr-backend: {{source: {source.name}, version: '2.1{api}', patches: [{patch.name}]}}\n"
            f"  copr-frontend: {{version: '{frontend[0]}', macros: {{copr_common_version: '1.1.2', "
            f"fe_be_api_version: {frontend[1]}}}}}\n")
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent("""\
        components: [frontend, backend]
        component_packages:
          backend: [copr-backend]
          frontend: [copr-frontend]
        upgrade: {order: [backend, frontend]}
        """) + "production:\n" + sets["production"] + "candidate:\n" + sets["candidate"])
    return load_scenario(path)[1]


@pytest.fixture
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(packages, "CACHE", tmp_path / "cache")


@needs_rpm
def test_the_gates_are_read_from_the_patched_code_it_installs(tmp_path, own_cache):
    release = scenario(tmp_path, 9, 10)
    assert backend_gates.of(release, "production") == backend_gates.Gates(9, "1.3.1", "code")
    assert backend_gates.of(release, "candidate") == backend_gates.Gates(10, "1.3.1", "code")
    # Without reading the code (no RPM built) they are unknown, not a guess.
    assert backend_gates.of(release, "candidate", read_code=False).min_fe_be_api is None


@needs_rpm
def test_the_plans_api_gate_follows_the_patches(tmp_path, own_cache):
    """Backend first: raised to 10 by its patch it waits for the frontend (a note, no problem).
    A candidate patch that leaves it at 9 lets it take the new frontend's jobs (API 10)."""
    good = plan.predict(scenario(tmp_path / "good", 9, 10))
    assert good.problems == []
    assert any("the backend waits (frontend API 9 < its MIN_FE_BE_API 10)" in n for n in good.notes)
    stale = plan.predict(scenario(tmp_path / "stale", 9, 9))
    assert [(p.rule, p.step) for p in stale.problems] == [("no-newer-frontend-jobs", "frontend")]
