"""The real-backend scenario's packaging: a scenario replaces a component's package list, and a
`pypi` macro builds a package from PyPI sdists with its `<name>.pypi.spec` (no network here:
the download is replaced by local sdists)."""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
import textwrap
from pathlib import Path

import pytest

from harness.artifacts import packages
from harness.errors import InputError
from harness.model.scenario import PackageVersion, load_scenario

ROOT = Path(__file__).resolve().parents[4]


def test_the_real_backend_scenario_installs_the_real_backend_and_its_glue():
    _, scenario = load_scenario(ROOT / "scenarios" / "real-backend.yaml")
    assert scenario.packages_of("backend") == ["obs-signd", "copr-backend", "copr-backend-glue"]
    assert "python3-copr-common" in scenario.packages_of("frontend")
    assert scenario.candidate["copr-backend"].evr == "2.11-1"


def test_an_override_of_an_unknown_component_is_named(tmp_path):
    text = (ROOT / "scenarios" / "real-backend.yaml").read_text()
    path = tmp_path / "s.yaml"
    path.write_text(text.replace("  backend: [obs-signd", "  backnd: [obs-signd"))
    with pytest.raises(InputError, match="component_packages.*unknown component 'backnd'"):
        load_scenario(path)


def test_an_overridden_package_missing_from_the_set_is_named(tmp_path):
    text = (ROOT / "scenarios" / "real-backend.yaml").read_text()
    path = tmp_path / "s.yaml"
    path.write_text(text.replace("  copr-backend-glue:\n    version: \"1.0\"\n", ""))
    with pytest.raises(InputError, match="'copr-backend-glue', which this set does not list"):
        load_scenario(path)


def sdist(folder: Path, name: str, version: str, package: str) -> Path:
    """A minimal sdist: <name>-<version>/<package>/__init__.py plus a tests folder."""
    path = folder / f"{name}-{version}.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for member, text in ((f"{package}/__init__.py", f"VERSION = '{version}'\n"),
                             ("tests/__init__.py", "")):
            data = text.encode()
            info = tarfile.TarInfo(f"{name}-{version}/{member}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.skipif(shutil.which("rpmbuild") is None, reason="rpmbuild is not installed")
def test_a_pypi_macro_wraps_the_sdists_with_the_pypi_spec(tmp_path, monkeypatch):
    monkeypatch.setattr(packages, "CACHE", tmp_path / "cache")
    local = [sdist(tmp_path, "copr_backend", "2.11", "copr_backend"),
             sdist(tmp_path, "copr_common", "1.7", "copr_common")]
    asked = []
    monkeypatch.setattr(packages, "pypi_sdists", lambda text: asked.append(text) or local)
    rpm = packages.build_rpm("copr-backend", PackageVersion(
        version="2.11", macros={"pypi": "copr-backend==2.11 copr-common==1.7"}))
    assert asked == ["copr-backend==2.11 copr-common==1.7"]
    files = subprocess.run(["rpm", "-qpl", str(rpm)], capture_output=True, text=True).stdout.split()
    assert "/usr/lib/python3/dist-packages/copr_backend/__init__.py" in files
    assert "/usr/lib/python3/dist-packages/copr_common/__init__.py" in files
    assert not [f for f in files if "/tests" in f]
    requires = subprocess.run(["rpm", "-qpR", str(rpm)], capture_output=True, text=True).stdout
    assert "copr-backend-glue" in requires.split()


@pytest.mark.skipif(shutil.which("rpmbuild") is None, reason="rpmbuild is not installed")
def test_a_version_the_sdists_do_not_have_fails(tmp_path, monkeypatch):
    monkeypatch.setattr(packages, "CACHE", tmp_path / "cache")
    local = [sdist(tmp_path, "copr_backend", "2.11", "copr_backend")]
    monkeypatch.setattr(packages, "pypi_sdists", lambda text: local)
    with pytest.raises(InputError, match="version and sdist disagree"):
        packages.build_rpm("copr-backend", PackageVersion(
            version="2.12", macros={"pypi": "copr-backend==2.11"}))


def test_a_pypi_requirement_without_a_version_is_refused():
    with pytest.raises(InputError, match="'copr-backend' is not NAME==VERSION"):
        packages.pypi_sdists("copr-backend")


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
    assert [p["nvr"] for p in backend] == ["obs-signd-2.6.1-1", "copr-backend-2.11-1",
                                           "copr-backend-glue-1.0-1"]


@pytest.mark.skipif(shutil.which("rpmbuild") is None, reason="rpmbuild is not installed")
def test_patches_with_a_pypi_macro_are_applied_to_the_sdists(tmp_path, monkeypatch):
    monkeypatch.setattr(packages, "CACHE", tmp_path / "cache")
    monkeypatch.setattr(packages, "pypi_sdists",
                        lambda text: [sdist(tmp_path, "copr_backend", "2.11", "copr_backend")])
    (tmp_path / "fault.patch").write_text(
        "--- a/copr_backend-2.11/copr_backend/__init__.py\n"
        "+++ b/copr_backend-2.11/copr_backend/__init__.py\n"
        "@@ -1,0 +2 @@\nPATCHED = True\n".replace("\nPATCHED", "\n+PATCHED"))
    plain = PackageVersion(version="2.11", macros={"pypi": "copr-backend==2.11"})
    patched = PackageVersion.model_validate(
        {"version": "2.11", "release": "2", "macros": {"pypi": "copr-backend==2.11"},
         "patches": ["fault.patch"]}, context={"file": tmp_path / "s.yaml"})
    init = "./usr/lib/python3/dist-packages/copr_backend/__init__.py"

    def text_of(rpm: Path) -> str:
        archive = subprocess.run(["rpm2archive", "-"], stdin=rpm.open("rb"), capture_output=True)
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            return tar.extractfile(init).read().decode()  # type: ignore[union-attr]

    assert "PATCHED = True" in text_of(packages.build_rpm("copr-backend", patched))
    assert "PATCHED" not in text_of(packages.build_rpm("copr-backend", plain))


def test_the_bad_message_scenario_patches_only_its_candidate_backend():
    _, scenario = load_scenario(ROOT / "scenarios" / "real-backend-bad-message.yaml")
    assert scenario.production["copr-backend"].patches == []
    [patch] = scenario.candidate["copr-backend"].patches
    assert patch.name == "backend-malformed-build-end.patch" and patch.is_file()
    assert scenario.expect.failed_rules == ["message-schemas"] and "broker" in scenario.components
