"""Building the components' RPMs on the host (rpmbuild; no Podman)."""

import shutil
import subprocess

import pytest

from harness.artifacts import packages
from harness.errors import InputError
from harness.model.scenario import PackageVersion

pytestmark = pytest.mark.skipif(shutil.which("rpmbuild") is None, reason="rpmbuild is not installed")


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(packages, "CACHE", tmp_path / "cache")


def rpm_query(path, fmt):
    return subprocess.run(["rpm", "-qp", "--qf", fmt, str(path)], capture_output=True, text=True,
                          check=True).stdout


def test_frontend_rpm_carries_the_requires_macro():
    version = PackageVersion(version="2.8", macros={"copr_common_version": "1.9", "fe_be_api_version": 10})
    rpm = packages.build_rpm("copr-frontend", version)
    assert rpm.name == "copr-frontend-2.8-1.noarch.rpm"
    requires = subprocess.run(["rpm", "-qp", "--requires", str(rpm)], capture_output=True,
                              text=True, check=True).stdout
    assert "python3-copr-common >= 1.9" in requires.splitlines()


def test_second_build_is_cached_and_a_new_macro_is_not():
    version = PackageVersion(version="2.6.1")
    first = packages.build_rpm("obs-signd", version)
    assert packages.build_rpm("obs-signd", version) == first
    other = packages.build_rpm("obs-signd", PackageVersion(version="2.6.1", release="2"))
    assert other != first and rpm_query(other, "%{RELEASE}") == "2"


def test_missing_macro_fails_naming_it():
    with pytest.raises(InputError, match="copr_common_version is not defined"):
        packages.build_rpm("copr-frontend", PackageVersion(version="2.7", macros={"fe_be_api_version": 9}))


def test_rpm_failure_names_the_missing_requirement():
    output = (
        "rpm: RPM should not be used directly install RPM packages, use Alien instead!\n"
        "error: Failed dependencies:\n"
        "\tpython3-copr-common >= 1.8 is needed by copr-frontend-2.7-1.noarch\n"
    )
    assert packages.rpm_failure(output) == (
        "Failed dependencies: python3-copr-common >= 1.8 is needed by copr-frontend-2.7-1.noarch"
    )
