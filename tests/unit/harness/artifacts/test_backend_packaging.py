"""The backend's packaging: copr-backend is upstream's Python code from PyPI pins (package
sources, harness.artifacts.pyrpm) with the glue the project writes; no spec builds it, so a
scenario that gives it by `version` alone is refused. A scenario may replace a component's
package list or memory limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.artifacts import pyrpm
from harness.errors import InputError
from harness.model.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[4]
DEFAULT = ROOT / "scenarios" / "default.yaml"
BACKEND_PACKAGES = ["python3-copr-common", "python3-copr", "python3-fedora-messaging",
                    "python3-copr-messaging", "obs-signd", "copr-backend", "copr-backend-glue"]
BACKEND_PIN = '''  copr-backend:
    pypi: "copr-backend==2.11"
    patches: [patches/copr-backend-min-fe-be-api-9.patch, patches/copr-backend-min-builder-1.6.1.patch]
'''


def scenario_file(tmp_path: Path, text: str) -> Path:
    """`text` as a scenario beside the shipped ones' patches (paths are relative to the file)."""
    (tmp_path / "patches").symlink_to(ROOT / "scenarios" / "patches")
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return path


def test_the_default_stack_installs_the_real_backend_and_its_glue():
    _, scenario = load_scenario(DEFAULT)
    assert scenario.component_packages == {}
    assert scenario.packages_of("backend") == BACKEND_PACKAGES
    assert "python3-copr-common" in scenario.packages_of("frontend")
    assert scenario.candidate["copr-backend"].evr == "2.11-1"


def test_an_override_of_an_unknown_component_is_named(tmp_path):
    text = DEFAULT.read_text() + "component_packages:\n  backnd: [copr-backend]\n"
    with pytest.raises(InputError, match="component_packages.*unknown component 'backnd'"):
        load_scenario(scenario_file(tmp_path, text))


def test_a_package_missing_from_the_set_is_named(tmp_path):
    text = DEFAULT.read_text().replace('  copr-backend-glue: {version: "1.0"}\n', "")
    with pytest.raises(InputError, match="component 'backend' installs 'copr-backend-glue', "
                                         "which this set does not list"):
        load_scenario(scenario_file(tmp_path, text))


def test_the_backend_comes_from_pypi_through_the_package_sources():
    """copr-backend, copr-common and python-copr are `pypi:` pins, wrapped by
    harness.artifacts.pyrpm; the project has no spec of copr-backend (only of its glue)."""
    _, scenario = load_scenario(DEFAULT)
    origins = {name: scenario.candidate[name].origin
               for name in ("copr-backend", "python3-copr-common", "python3-copr",
                            "python3-fedora-messaging", "python3-copr-messaging")}
    assert origins == {"copr-backend": "PyPI copr-backend==2.11 + patches "
                                       "copr-backend-min-fe-be-api-9.patch, "
                                       "copr-backend-min-builder-1.6.1.patch",
                       "python3-copr-common": "PyPI copr-common==1.7",
                       "python3-copr": "PyPI copr==2.7",
                       "python3-fedora-messaging": "PyPI fedora-messaging==3.4.1",
                       "python3-copr-messaging": "PyPI copr-messaging==1.3"}
    assert sorted(p.name for p in (ROOT / "containers" / "backend").glob("*.spec")) == [
        "copr-backend-glue.spec"]
    # upstream's spec: the backend needs python-copr (helpers.py imports copr.v3 at start)
    assert "python3-copr" in pyrpm.UPSTREAM_REQUIRES["copr-backend"]


@pytest.mark.parametrize("given", [
    '  copr-backend: {version: "2.11"}\n',
    '  copr-backend:\n    version: "2.11"\n    macros: {min_fe_be_api: 9, min_builder_version: "1.6.1"}\n'])
def test_a_backend_without_its_code_is_refused_naming_the_file_and_field(tmp_path, given):
    """The gates were the stand-in's spec macros once: now they are the code's constants, so a
    copr-backend built from a spec is one line of bad input (exit 2)."""
    path = scenario_file(tmp_path, DEFAULT.read_text().replace(BACKEND_PIN, given))
    line = 1 + path.read_text().splitlines().index("  copr-backend:" if "\n    " in given
                                                   else given.rstrip("\n"))
    with pytest.raises(InputError) as error:
        load_scenario(path)
    assert str(error.value) == (
        f"{path}:{line}: candidate.copr-backend: no spec builds 'copr-backend' "
        "(containers/*/copr-backend.spec): give its code with pypi, sdist or source, or a prebuilt rpm")
    assert error.value.exit_code == 2


def test_a_components_backend_without_its_code_is_refused(tmp_path):
    given = BACKEND_PIN + '    by_component:\n      backend: {version: "2.12"}\n'
    path = scenario_file(tmp_path, DEFAULT.read_text().replace(BACKEND_PIN, given))
    with pytest.raises(InputError, match=r"candidate\.copr-backend\.by_component\.backend: "
                                         "no spec builds 'copr-backend'"):
        load_scenario(path)


def test_a_macro_on_a_pypi_package_is_refused(tmp_path):
    given = BACKEND_PIN + "    macros: {min_fe_be_api: 10}\n"
    path = scenario_file(tmp_path, DEFAULT.read_text().replace(BACKEND_PIN, given))
    with pytest.raises(InputError, match="macros apply to packages built from a spec"):
        load_scenario(path)


def test_plan_upgrades_only_the_backends_changed_package(tmp_path):
    from harness.upgrade.plan import make
    text = DEFAULT.read_text()
    production = text.split("candidate:\n", 1)[1].replace('copr-backend-glue: {version: "1.0"}',
                                                         'copr-backend-glue: {version: "0.9"}')
    _, scenario = load_scenario(scenario_file(tmp_path, text + "production:\n" + production))
    backend = next(step for step in make(scenario).steps if step.component == "backend")
    assert backend.upgrades == {"copr-backend-glue": ("0.9-1", "1.0-1")}


def test_the_run_record_lists_the_backends_packages():
    from harness.reports.run_record import components
    _, scenario = load_scenario(DEFAULT)
    backend = components(scenario, "candidate")["backend"]["packages"]
    assert [p["nvr"] for p in backend] == ["python3-copr-common-1.7-1", "python3-copr-2.7-1",
                                           "python3-fedora-messaging-3.4.1-1",
                                           "python3-copr-messaging-1.3-1", "obs-signd-2.6.1-1",
                                           "copr-backend-2.11-1",
                                           "copr-backend-glue-1.0-1"]


def test_a_scenario_replaces_one_components_memory_limit_only(tmp_path, monkeypatch):
    """`up` creates the backend under the scenario's limit, every other component under its own;
    a limit below what a container needs is refused."""
    from harness.model.components import all_components
    from harness.stack import bringup
    from tests.support.fake_engine import FakeEngine
    _, scenario = load_scenario(scenario_file(tmp_path, DEFAULT.read_text()
                                              + "memory_mb: {backend: 1024}\n"))

    class Built(Exception):
        """Where the test stops `up`: its limits are set, nothing is created yet."""

    def build_set(*args, **kwargs):
        raise Built

    states = []
    real_init = bringup.Bringup.__init__

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        states.append(self)

    monkeypatch.setattr(bringup, "check_free", lambda engine, run_id: None)
    monkeypatch.setattr(bringup.packages, "build_set", build_set)
    monkeypatch.setattr(bringup.Bringup, "__init__", init)
    with pytest.raises(Built):
        bringup.up(FakeEngine(), scenario, "r1")
    defined = states[0].defined
    assert defined["backend"].memory_mb == 1024 and all_components()["backend"].memory_mb == 768
    assert {n: s.memory_mb for n, s in defined.items() if n != "backend"} == {
        n: s.memory_mb for n, s in all_components().items() if n != "backend"}
    low = tmp_path / "low"
    low.mkdir()
    with pytest.raises(InputError, match="memory_mb.*32 MiB is below"):
        load_scenario(scenario_file(low, DEFAULT.read_text() + "memory_mb: {backend: 32}\n"))


def test_the_malformed_message_scenario_patches_only_its_candidate_backend():
    _, scenario = load_scenario(ROOT / "scenarios" / "malformed-message.yaml")
    production = scenario.production["copr-backend"].python_source.patches  # type: ignore[union-attr]
    candidate = scenario.candidate["copr-backend"]
    patches = candidate.python_source.patches  # type: ignore[union-attr]
    assert [p.name for p in patches] == [p.name for p in production] + [
        "copr-backend-malformed-build-end.patch"]
    assert all(p.is_file() for p in patches)
    assert candidate.evr == "2.11-2"  # rpm -Uvh upgrades the production build to it
    assert scenario.expect.failed_rules == ["message-schemas", "post-release-suite"]
    assert "broker" in scenario.components
