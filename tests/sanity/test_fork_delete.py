"""Sanity: forking a project, and what deleting builds, packages and projects leaves behind.

Upstream's runtest-fork.sh, runtest-delete.sh and the TestConsequentDeleteActions part of
runtest.sh. The backend's results directory is checked through its public URL, as a user of the
Copr sees it.
"""

from __future__ import annotations

import contextlib
import secrets
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from harness import wait

from ..support.srpms import make_srpm
from ._builds import served
from .conftest import wait_all_finished, wait_build, wait_url

CHROOT = "fedora-44-x86_64"


class _Forks(list):
    """Names of projects made by `copr-cli fork` in a test, recorded before they are made."""

    def __init__(self, created, owner: str, user: str) -> None:
        super().__init__()
        self.created, self.owner, self.user = created, owner, user

    def append(self, name: str) -> None:
        self.created.add(self.owner, name, self.user)
        super().append(name)


@pytest.fixture
def forks(client, owner, copr_created, copr_stack) -> Iterator[list[str]]:
    """Names of projects made by `copr-cli fork` in a test; deleted after it (and at the
    session's end, whatever happens, by the copr_created registry)."""
    made = _Forks(copr_created, owner, copr_stack["default_user"])
    yield made
    for name in made:
        with contextlib.suppress(Exception):  # the test may have deleted it already
            wait_all_finished(client, owner, name)
            client.project_proxy.delete(owner, name)


def build_hello(client, owner: str, project: str, folder: Path, *packages: str) -> list[int]:
    """Build tiny noarch packages from uploaded SRPMs, all at once (the stack has several
    builders); return the build ids, in order, once every build succeeded."""
    ids = [client.build_proxy.create_from_file(
        owner, project, str(make_srpm(folder / str(index), package))).id
        for index, package in enumerate(packages or ("hello",))]
    for build_id in ids:
        assert wait_build(client, build_id) == "succeeded"
    return ids


def wait_gone(url: str, timeout: float = 60) -> None:
    """Wait until the backend no longer serves `url` (deletes run as backend actions)."""
    wait_url(url, status=404, timeout=timeout)


def chroot_dir(backend_url: str, owner: str, project: str, build_id: int, package: str) -> str:
    """A chroot build's results directory, as the backend serves it."""
    return f"{backend_url}/results/{owner}/{project}/{CHROOT}/{build_id:08d}-{package}/"


def verifies(rpm: Path, key: str) -> bool:
    """Does `rpm` carry a valid signature by `key` (an ASCII-armoured public key)?"""
    with tempfile.TemporaryDirectory() as db:
        (Path(db) / "pubkey.gpg").write_text(key)
        subprocess.run(["rpmkeys", "--dbpath", db, "--import", f"{db}/pubkey.gpg"],
                       check=True, capture_output=True)
        checked = subprocess.run(["rpmkeys", "--dbpath", db, "--checksig", str(rpm)],
                                 capture_output=True, text=True)
    return checked.returncode == 0 and "signatures OK" in checked.stdout


# -- fork -----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_fork_copies_builds_into_its_own_repo_with_its_own_key(
        copr_cli, client, owner, backend_url, project, forks, tmp_path):
    source = project()
    [build_id] = build_hello(client, owner, source, tmp_path, "forkme")
    fork = f"{source}-fork"
    forks.append(fork)

    forked = copr_cli("fork", source, fork)
    assert forked.returncode == 0, forked.stderr
    assert forked.stdout.count("Forking project") == 1, forked.stdout
    assert "Please be aware that it may take a few minutes to duplicate backend data." in forked.stdout

    again = copr_cli("fork", source, fork)
    assert again.returncode == 1
    lines = (again.stdout + again.stderr).splitlines()
    assert any(line.startswith("- You are about to fork into existing project") for line in lines)
    assert "- Please use --confirm if you really want to do this" in lines, again.stderr

    # The fork has the build (one row: the refused fork added nothing), in its own repository.
    rows = copr_cli("list-builds", fork).stdout.strip().splitlines()
    assert len(rows) == 1 and rows[0].split("\t")[1] == "forkme", rows
    fork_build = client.build_proxy.get(int(rows[0].split("\t")[0]))
    assert fork_build.id != build_id
    assert fork_build.repo_url == f"{backend_url}/results/{owner}/{fork}"
    repos = client.project_proxy.get(owner, fork).chroot_repos
    assert dict(repos) == {CHROOT: f"{backend_url}/results/{owner}/{fork}/{CHROOT}/"}

    # The backend copied the results into the fork, with a key of its own.
    rpm_name = "forkme-1.0-1.fc44.noarch.rpm"
    fork_dir = f"{backend_url}/results/{owner}/{fork}/{CHROOT}/{fork_build.id:08d}-forkme"
    source_key = wait_url(f"{backend_url}/results/{owner}/{source}/pubkey.gpg").text
    fork_key = wait_url(f"{backend_url}/results/{owner}/{fork}/pubkey.gpg").text
    assert "BEGIN PGP PUBLIC KEY BLOCK" in fork_key
    assert fork_key != source_key
    rpm = tmp_path / rpm_name

    def resigned() -> None:
        # Upstream copies the build, then re-signs it in place with the fork's key: the RPM
        # is visible (still signed by the source's key) a moment before the fork action ends.
        response = requests.get(f"{fork_dir}/{rpm_name}", timeout=10)
        if response.status_code != 200:
            raise wait.NotYet(f"{rpm_name} answered {response.status_code}")
        rpm.write_bytes(response.content)
        if not verifies(rpm, fork_key):
            raise wait.NotYet(f"{rpm_name} is not signed with the fork's key yet")

    wait.until(resigned, what="the forked RPM to be signed with the fork's key", timeout=60)
    assert not verifies(rpm, source_key)

    confirmed = copr_cli("fork", source, fork, "--confirm")
    assert confirmed.returncode == 0, confirmed.stderr
    assert f"Updating packages in {owner}/{fork} from {owner}/{source}" in confirmed.stdout
    assert len(copr_cli("list-builds", fork).stdout.strip().splitlines()) == 2


def test_fork_by_another_user_lands_in_their_namespace(copr_cli, client, other_client, owner,
                                                       copr_stack, copr_created, project, tmp_path):
    source = project()
    build_hello(client, owner, source, tmp_path)
    bob = next(user for user in copr_stack["users"] if user != owner)
    fork = f"{source}-of-{bob}"
    copr_created.add(bob, fork, bob)
    try:
        forked = copr_cli("fork", f"{owner}/{source}", fork, user=bob)
        assert forked.returncode == 0, forked.stderr
        assert f"Forking project {owner}/{source} for you into {bob}/{fork}" in forked.stdout
        assert other_client.project_proxy.get(bob, fork).full_name == f"{bob}/{fork}"
        assert [b.source_package["name"] for b in other_client.build_proxy.get_list(bob, fork)] == [
            "hello"]
        # ... and it is bob's: alice may not change it.
        assert copr_cli("modify", f"{bob}/{fork}", "--description", "alice was here").returncode == 7
    finally:
        with contextlib.suppress(Exception):
            wait_all_finished(other_client, bob, fork)
            other_client.project_proxy.delete(bob, fork)


# -- delete ---------------------------------------------------------------------------------------


def test_delete_build_removes_its_results(copr_cli, client, owner, backend_url, project, tmp_path):
    name = project()
    package = f"del-{secrets.token_hex(2)}"
    kept, gone = build_hello(client, owner, name, tmp_path, package, package)
    srpm_builds = f"{backend_url}/results/{owner}/{name}/srpm-builds/{gone:08d}/"
    for build_id in (kept, gone):
        assert served(chroot_dir(backend_url, owner, name, build_id, package))
    assert served(srpm_builds)

    deleted = copr_cli("delete-build", str(gone))
    assert deleted.returncode == 0, deleted.stderr
    wait_gone(chroot_dir(backend_url, owner, name, gone, package))
    # As upstream's backend: the delete leaves srpm-builds/<id> (pruned by age, prune_days).
    assert served(srpm_builds)
    assert copr_cli("status", str(gone)).returncode == 1
    # The other build of the same package is untouched.
    assert served(chroot_dir(backend_url, owner, name, kept, package))
    assert copr_cli("status", str(kept)).stdout.strip() == "succeeded"


def test_delete_package_removes_its_builds_results(copr_cli, client, owner, backend_url, project,
                                                   tmp_path):
    name = project()
    first, second, other = build_hello(client, owner, name, tmp_path, "example", "example",
                                       "bystander")
    assert served(chroot_dir(backend_url, owner, name, first, "example"))

    deleted = copr_cli("delete-package", name, "--name", "example")
    assert deleted.returncode == 0, deleted.stderr
    for build_id in (first, second):
        wait_gone(chroot_dir(backend_url, owner, name, build_id, "example"))
        assert copr_cli("status", str(build_id)).returncode == 1
    assert served(chroot_dir(backend_url, owner, name, other, "bystander"))
    assert copr_cli("list-package-names", name).stdout.split() == ["bystander"]


def test_delete_project_makes_its_results_answer_404(copr_cli, client, owner, backend_url,
                                                     project, tmp_path):
    name = project()
    build_hello(client, owner, name, tmp_path, "example")
    url = f"{backend_url}/results/{owner}/{name}/"
    assert requests.get(url, timeout=10).status_code == 200
    # Upstream deletes the package first, then the project, in quick succession (two actions).
    client.package_proxy.delete(owner, name, "example")
    deleted = copr_cli("delete", name)
    assert deleted.returncode == 0, deleted.stderr
    assert deleted.stdout.strip() == f"Project {name} has been deleted."
    wait_gone(url)
    # Nothing of it is left to serve: its chroot directory is gone too, not just the listing.
    assert not served(f"{url}{CHROOT}/")
