"""The real-backend scenario's packaging: a scenario replaces a component's package list, and the
real backend's Python code comes from PyPI pins (package sources, harness.artifacts.pyrpm)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.artifacts import pyrpm
from harness.errors import InputError
from harness.model.scenario import PackageVersion, load_scenario

ROOT = Path(__file__).resolve().parents[4]


def test_the_real_backend_scenario_installs_the_real_backend_and_its_glue():
    _, scenario = load_scenario(ROOT / "scenarios" / "real-backend.yaml")
    assert scenario.packages_of("backend") == ["python3-copr-common", "python3-copr", "obs-signd",
                                                "copr-backend", "copr-backend-glue"]
    assert "python3-copr-common" in scenario.packages_of("frontend")
    assert scenario.candidate["copr-backend"].evr == "2.11-1"


def test_an_override_of_an_unknown_component_is_named(tmp_path):
    text = (ROOT / "scenarios" / "real-backend.yaml").read_text()
    path = tmp_path / "s.yaml"
    path.write_text(text.replace("  backend: [python3-copr-common", "  backnd: [python3-copr-common"))
    with pytest.raises(InputError, match="component_packages.*unknown component 'backnd'"):
        load_scenario(path)


def test_an_overridden_package_missing_from_the_set_is_named(tmp_path):
    text = (ROOT / "scenarios" / "real-backend.yaml").read_text()
    path = tmp_path / "s.yaml"
    path.write_text(text.replace("  copr-backend-glue:\n    version: \"1.0\"\n", ""))
    with pytest.raises(InputError, match="'copr-backend-glue', which this set does not list"):
        load_scenario(path)


def test_the_real_backend_comes_from_pypi_through_the_package_sources():
    """One way to package a PyPI project: copr-backend, copr-common and python-copr are `pypi:`
    pins, wrapped by harness.artifacts.pyrpm (no spec of their own)."""
    _, scenario = load_scenario(ROOT / "scenarios" / "real-backend.yaml")
    origins = {name: scenario.candidate[name].origin
               for name in ("copr-backend", "python3-copr-common", "python3-copr")}
    assert origins == {"copr-backend": "PyPI copr-backend==2.11",
                       "python3-copr-common": "PyPI copr-common==1.7",
                       "python3-copr": "PyPI copr==2.7"}
    assert not (ROOT / "containers" / "backend" / "copr-backend.pypi.spec").exists()
    # upstream's spec: the backend needs python-copr (helpers.py imports copr.v3 at start)
    assert "python3-copr" in pyrpm.UPSTREAM_REQUIRES["copr-backend"]


def test_a_macro_on_a_pypi_package_is_refused(tmp_path):
    text = (ROOT / "scenarios" / "real-backend.yaml").read_text()
    path = tmp_path / "s.yaml"
    path.write_text(text.replace('copr-backend: {pypi: "copr-backend==2.11"}',
                                 'copr-backend: {pypi: "copr-backend==2.11", macros: {a: "1"}}'))
    with pytest.raises(InputError, match="macros apply to packages built from a spec"):
        load_scenario(path)


def test_plan_upgrades_the_packages_the_scenario_gives_a_component(tmp_path):
    from harness.upgrade.plan import make
    text = (ROOT / "scenarios" / "real-backend.yaml").read_text()
    candidate = text.split("candidate:\n", 1)[1]
    production = candidate.replace('copr-backend-glue:\n    version: "1.0"',
                                   'copr-backend-glue:\n    version: "0.9"')
    path = tmp_path / "s.yaml"
    path.write_text(text + "production:\n" + production)
    _, scenario = load_scenario(path)
    backend = next(step for step in make(scenario).steps if step.component == "backend")
    assert backend.upgrades == {"copr-backend-glue": ("0.9-1", "1.0-1")}


def test_the_run_record_lists_the_packages_the_scenario_gives_a_component():
    from harness.reports.run_record import components
    _, scenario = load_scenario(ROOT / "scenarios" / "real-backend.yaml")
    backend = components(scenario, "candidate")["backend"]["packages"]
    assert [p["nvr"] for p in backend] == ["python3-copr-common-1.7-1", "python3-copr-2.7-1",
                                           "obs-signd-2.6.1-1", "copr-backend-2.11-1",
                                           "copr-backend-glue-1.0-1"]


def test_a_scenario_raises_one_components_memory_limit_only(tmp_path):
    from harness.model.components import all_components
    from harness.stack import bringup
    from tests.support.fake_engine import FakeEngine
    _, scenario = load_scenario(ROOT / "scenarios" / "real-backend.yaml")
    assert scenario.memory_mb == {"backend": 768}
    engine = FakeEngine()
    state = bringup.Bringup(engine, "r1", ["backend"])
    assert state.defined["backend"].memory_mb == all_components()["backend"].memory_mb == 256
    path = tmp_path / "s.yaml"
    path.write_text((ROOT / "scenarios" / "real-backend.yaml").read_text()
                    .replace("memory_mb: {backend: 768}", "memory_mb: {backend: 32}"))
    with pytest.raises(InputError, match="memory_mb.*32 MiB is below"):
        load_scenario(path)
