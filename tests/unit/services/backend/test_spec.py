"""copr-backend.spec: the protocol constants are build-time macros, written into the package."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from harness.artifacts import packages
from harness.errors import InputError
from harness.model.scenario import PackageVersion

pytestmark = pytest.mark.skipif(shutil.which("rpmbuild") is None or shutil.which("rpm2archive") is None,
                                reason="rpmbuild/rpm2archive are not installed")

MACROS = {"copr_common_version": "1.7.2", "min_fe_be_api": 9, "min_builder_version": "1.6.1"}
CONSTANTS = "./usr/lib/python3/dist-packages/copr_backend/build_constants.py"


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(packages, "CACHE", tmp_path / "cache")


def package_file(rpm: Path, member: str) -> str:
    archive = subprocess.run(["rpm2archive", "-"], stdin=rpm.open("rb"), capture_output=True, check=True).stdout
    return subprocess.run(["tar", "-xzOf", "-", member], input=archive, capture_output=True, check=True).stdout.decode()


def test_constants_are_the_macros_it_was_built_with() -> None:
    rpm = packages.build_rpm("copr-backend", PackageVersion(
        version="2.14", release="3", macros={**MACROS, "min_fe_be_api": 10, "min_builder_version": "1.9"}))
    assert rpm.name == "copr-backend-2.14-3.noarch.rpm"
    namespace: dict = {}
    exec(package_file(rpm, CONSTANTS), namespace)  # noqa: S102 - our own generated constants
    assert (namespace["VERSION"], namespace["MIN_FE_BE_API"], namespace["MIN_BUILDER_VERSION"],
            namespace["COPR_COMMON_VERSION"]) == ("2.14-3", 10, "1.9", "1.7.2")
    requires = subprocess.run(["rpm", "-qp", "--requires", str(rpm)], capture_output=True, text=True,
                              check=True).stdout.splitlines()
    assert "python3-copr-common >= 1.7.2" in requires
    files = subprocess.run(["rpm", "-qpl", str(rpm)], capture_output=True, text=True, check=True).stdout.split()
    for service in ("build", "action", "results"):
        assert f"/etc/copr-harness/services/copr-backend-{service}" in files
    assert "/usr/bin/copr-backend" in files


@pytest.mark.parametrize("missing", sorted(MACROS))
def test_every_macro_is_required(missing: str) -> None:
    macros = {k: v for k, v in MACROS.items() if k != missing}
    with pytest.raises(InputError, match=f"{missing} is not defined"):
        packages.build_rpm("copr-backend", PackageVersion(version="2.13", macros=macros))
