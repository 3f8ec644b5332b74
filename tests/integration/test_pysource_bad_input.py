"""Bad Python package sources through the real CLI and the real pip: one line naming the culprit,
exit 2, and nothing of the run created (no container, network, volume or report folder)."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from tests.support import pyprojects

from .test_bad_input import nothing_made, refused, write

pytestmark = pytest.mark.integration

FRONTEND = """\
  copr-frontend:
    version: "2.7"
    macros: {copr_common_version: "1.1.2", fe_be_api_version: 9}
"""


def scenario(folder: Path, common: str) -> Path:
    return write(folder, "components: [database, frontend]\ncandidate:\n"
                         f"  python3-copr-common: {common}\n" + FRONTEND)


def test_pypi_version_that_does_not_exist_lists_the_real_ones(engine, cli, run_id, reports_dir,
                                                              tmp_path):
    path = scenario(tmp_path, "{pypi: 'copr-common==1.6'}")
    result = cli("up", "--run-id", run_id, "--scenario", str(path))
    refused(result, 2, "copr-harness: PyPI has no copr-common 1.6 (versions there: ")
    assert "1.5, 1.7, 1.8" in result.stderr
    nothing_made(engine, run_id, reports_dir)


@pytest.mark.parametrize("make, message", [
    (lambda tmp: (tmp / "x-1.0.tar.gz").write_bytes(b"\x1f\x8b garbage") and "x-1.0.tar.gz",
     "sdist: {tmp}/x-1.0.tar.gz is not a readable sdist archive"),
    (lambda tmp: _tar(tmp / "docs-1.0.tar.gz", "docs-1.0/README") and "docs-1.0.tar.gz",
     "sdist: {tmp}/docs-1.0.tar.gz is not a Python sdist"),
], ids=["unreadable", "not-python"])
def test_bad_sdist_is_named(engine, cli, run_id, reports_dir, tmp_path, make, message):
    path = scenario(tmp_path, f"{{sdist: {make(tmp_path)}}}")
    result = cli("up", "--run-id", run_id, "--scenario", str(path))
    refused(result, 2, f"copr-harness: {path}:3: candidate.python3-copr-common."
                       + message.format(tmp=tmp_path))
    nothing_made(engine, run_id, reports_dir)


def _tar(path: Path, member: str) -> Path:
    source = path.parent / "member"
    source.write_text("not python\n")
    with tarfile.open(path, "w:gz") as archive:
        archive.add(source, arcname=member)
    return path


def test_source_dir_without_a_project_file_is_named(engine, cli, run_id, reports_dir, tmp_path):
    (tmp_path / "backend").mkdir()
    path = scenario(tmp_path, "{source: backend}")
    result = cli("up", "--run-id", run_id, "--scenario", str(path))
    refused(result, 2, f"copr-harness: {path}:3: candidate.python3-copr-common.source: "
                       f"{tmp_path}/backend is not a Python project: it has no setup.py or pyproject.toml")
    nothing_made(engine, run_id, reports_dir)


def test_patch_that_does_not_apply_names_the_file_and_hunk(engine, cli, run_id, reports_dir,
                                                           tmp_path):
    tree = pyprojects.source_dir(tmp_path)
    stale = pyprojects.patch(tmp_path, pyprojects.PATCH.replace('-VALUE = "original"',
                                                                '-VALUE = "changed upstream"'),
                             name="stale.patch")
    path = scenario(tmp_path, f"{{source: {tree.name}, patches: [stale.patch]}}")
    result = cli("up", "--run-id", run_id, "--scenario", str(path))
    refused(result, 2, f"copr-harness: patch {stale} does not apply to source dir {tree}")
    assert "Hunk #1 FAILED at 1" in result.stderr and "tinypkg/__init__.py" in result.stderr
    nothing_made(engine, run_id, reports_dir)


def test_dependency_without_a_wheel_is_named(engine, cli, run_id, reports_dir, tmp_path):
    tree = pyprojects.source_dir(tmp_path, requires=["copr-harness-no-such-dependency"])
    path = scenario(tmp_path, f"{{source: {tree.name}}}")
    result = cli("up", "--run-id", run_id, "--scenario", str(path))
    refused(result, 2, "copr-harness: dependency copr-harness-no-such-dependency has no "
                       "pure-Python wheel for Python 3.11 on PyPI")
    nothing_made(engine, run_id, reports_dir)
