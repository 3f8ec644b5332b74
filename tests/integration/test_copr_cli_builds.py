"""End to end with the real copr-cli: a build goes frontend -> backend -> builder -> dist-git ->
builder -> keygen signature -> repository, and copr-cli sees what upstream's would."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import pytest
import requests

from harness import wait

from ..support.srpms import fixture_srpm, make_srpm
from .copr_stack import Stack, client_view, running

pytestmark = pytest.mark.integration

@pytest.fixture(scope="module")
def full(engine, built_images) -> Iterator[Stack]:
    """Every component of the default scenario."""
    with running(engine) as info:
        yield client_view(engine, info)


def test_good_build_succeeds_and_is_listed(full, tmp_path):
    project = full.new_project()
    began = time.monotonic()
    build_id = full.submit(project, make_srpm(tmp_path, "hello"))
    assert full.wait_build(build_id, timeout=120) == "succeeded"
    print(f"submit -> succeeded: {time.monotonic() - began:.1f}s")
    assert full.copr("status", str(build_id)).stdout.strip() == "succeeded"
    rows = full.copr("list-builds", project).stdout.strip().splitlines()
    assert rows == [f"{build_id}\thello\tsucceeded"]
    packages = requests.get(f"{full.frontend_url}/api_3/build/built-packages/{build_id}",
                            timeout=10).json()
    assert [p["name"] for p in packages["fedora-44-x86_64"]["packages"]] == ["hello", "hello"]


def test_broken_build_exits_4(full, tmp_path):
    project = full.new_project()
    srpm = fixture_srpm(tmp_path, "broken")
    result = full.copr("build", project, str(srpm))  # watches: polls now, then every 30 s
    assert result.returncode == 4, result.stdout + result.stderr
    assert "failed" in result.stdout + result.stderr


def test_download_build_verifies_against_project_key(full, tmp_path):
    project = full.new_project()
    build_id = full.submit(project, make_srpm(tmp_path / "src", "signed"))
    assert full.wait_build(build_id, timeout=120) == "succeeded"
    dest = tmp_path / "download"
    result = full.copr("download-build", str(build_id), "--dest", str(dest))
    assert result.returncode == 0, result.stderr
    rpms = sorted(dest.rglob("*.rpm"))
    assert any(p.name.endswith(".noarch.rpm") for p in rpms), list(dest.rglob("*"))
    key = requests.get(f"{full.env['BACKEND_URL']}/results/alice/{project}/pubkey.gpg", timeout=10)
    assert key.ok and "BEGIN PGP PUBLIC KEY BLOCK" in key.text
    (tmp_path / "pubkey.gpg").write_text(key.text)
    db = tmp_path / "rpmdb"
    db.mkdir()
    subprocess.run(["rpmkeys", "--dbpath", str(db), "--import", str(tmp_path / "pubkey.gpg")], check=True)
    for rpm in rpms:
        checked = subprocess.run(["rpmkeys", "--dbpath", str(db), "--checksig", str(rpm)],
                                 capture_output=True, text=True)
        assert checked.returncode == 0 and "signatures OK" in checked.stdout, checked.stdout


def test_fork_has_its_own_key(full, tmp_path):
    project = full.new_project()
    build_id = full.submit(project, make_srpm(tmp_path, "forkme"))
    assert full.wait_build(build_id, timeout=120) == "succeeded"
    fork = f"{project}-fork"
    forked = full.copr("fork", project, fork)
    assert forked.returncode == 0, forked.stderr
    assert "Forking project" in forked.stdout
    again = full.copr("fork", project, fork)
    assert again.returncode == 1
    assert "You are about to fork into existing project" in again.stderr
    assert "Please use --confirm" in again.stderr
    base = f"{full.env['BACKEND_URL']}/results/alice"

    def key_of(name: str) -> str:
        response = requests.get(f"{base}/{name}/pubkey.gpg", timeout=10)
        if not response.ok:
            raise wait.NotYet(f"{name}/pubkey.gpg answered {response.status_code}")
        return response.text

    original = wait.until(lambda: key_of(project), what="the project key", timeout=60)
    copied = wait.until(lambda: key_of(fork), what="the fork's key", timeout=60)
    assert original != copied


def test_delete_makes_results_answer_404(full, tmp_path):
    project = full.new_project()
    build_id = full.submit(project, make_srpm(tmp_path, "gone"))
    assert full.wait_build(build_id, timeout=120) == "succeeded"
    url = f"{full.env['BACKEND_URL']}/results/alice/{project}/"
    assert requests.get(url, timeout=10).status_code == 200
    deleted = full.copr("delete", project)
    assert deleted.returncode == 0, deleted.stderr
    assert f"Project {project} has been deleted." in deleted.stdout

    def gone() -> None:
        status = requests.get(url, timeout=10).status_code
        if status != 404:
            raise wait.NotYet(f"{url} answered {status}")

    wait.until(gone, what=f"{url} to answer 404", timeout=60)
