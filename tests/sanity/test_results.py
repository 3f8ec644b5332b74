"""What a build leaves on the backend: results.json files matching the API's built packages,
download-build, signatures by the project's own key, and the repositories createrepo keeps
(upstream: runtest-build-results-json.sh, runtest-download-build.sh, runtest-createrepo.sh,
auto-createrepo.sh, runtest-regenerate-repos.sh; upstream never checks signatures, we do).
Everything is read through the backend's public URL, as a user of the Copr sees it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import requests

from harness import wait

from ..support.srpms import fixture_srpm
from ._builds import (
    CHROOT,
    build_dir,
    download,
    get_json,
    listed_files,
    served,
    served_package_counts,
    served_package_names,
    sort_packages,
    srpm_dir,
    submit,
)
from .conftest import wait_build, wait_url

AARCH64 = "fedora-44-aarch64"


@pytest.mark.chroots(AARCH64)
def test_results_json_match_the_built_packages(copr_cli, client, backend_url, owner, project,
                                               tmp_path):
    name = project(CHROOT, AARCH64)
    build_id = submit(copr_cli, name, fixture_srpm(tmp_path, "hello"))
    assert wait_build(client, build_id) == "succeeded"

    srpm_results = get_json(f"{backend_url}/results/{srpm_dir(owner, name, build_id)}/results.json")
    assert {key: srpm_results[key] for key in ("name", "epoch", "version", "release")} == {
        "name": "hello", "epoch": None, "version": "1.0", "release": "1"}
    assert served(f"{backend_url}/results/{srpm_dir(owner, name, build_id)}/success")

    api = client.build_proxy.get_built_packages(build_id)
    for chroot in (CHROOT, AARCH64):
        path = build_dir(owner, name, chroot, build_id, "hello")
        results = get_json(f"{backend_url}/results/{path}/results.json")
        assert sort_packages(results["packages"]) == [
            {"name": "hello", "epoch": None, "version": "1.0", "release": "1.fc44", "arch": "noarch"},
            {"name": "hello", "epoch": None, "version": "1.0", "release": "1.fc44", "arch": "src"},
        ]
        assert sort_packages(api[chroot]["packages"]) == sort_packages(results["packages"])
        per_chroot = client.build_chroot_proxy.get_built_packages(build_id, chroot)
        assert sort_packages(per_chroot["packages"]) == sort_packages(results["packages"])
        assert served(f"{backend_url}/results/{path}/success")


def test_subpackages_are_all_listed(copr_cli, client, backend_url, owner, project, tmp_path):
    name = project()
    build_id = submit(copr_cli, name, fixture_srpm(tmp_path, "subpackages"))
    assert wait_build(client, build_id) == "succeeded"

    expected = [("subpackages", "noarch"), ("subpackages", "src"), ("subpackages-extra", "noarch")]
    api = client.build_proxy.get_built_packages(build_id)[CHROOT]["packages"]
    assert sorted((p["name"], p["arch"]) for p in api) == expected
    path = build_dir(owner, name, CHROOT, build_id, "subpackages")
    results = get_json(f"{backend_url}/results/{path}/results.json")
    assert sorted((p["name"], p["arch"]) for p in results["packages"]) == expected
    assert listed_files(f"{backend_url}/results/{path}/", ".rpm") == [
        "subpackages-1.0-1.fc44.noarch.rpm", "subpackages-1.0-1.fc44.src.rpm",
        "subpackages-extra-1.0-1.fc44.noarch.rpm"]
    repo = f"{backend_url}/results/{owner}/{name}/{CHROOT}"
    assert served_package_names(repo) == [
        "subpackages-extra.noarch", "subpackages.noarch", "subpackages.src"]


@pytest.mark.chroots(AARCH64)
def test_download_build_fetches_the_rpms(copr_cli, client, project, tmp_path):
    name = project(CHROOT, AARCH64)
    build_id = submit(copr_cli, name, fixture_srpm(tmp_path / "src", "hello", name="fetched"))
    assert wait_build(client, build_id) == "succeeded"

    dest = tmp_path / "download"
    result = copr_cli("download-build", str(build_id), "--dest", str(dest))
    assert result.returncode == 0, result.stdout + result.stderr
    for chroot in (CHROOT, AARCH64):
        rpms = sorted(p.name for p in (dest / chroot).glob("*.rpm"))
        assert rpms == ["fetched-1.0-1.fc44.noarch.rpm", "fetched-1.0-1.fc44.src.rpm"], \
            sorted(str(p.relative_to(dest)) for p in dest.rglob("*"))
        assert (dest / chroot / "results.json").is_file()


@pytest.mark.chroots(AARCH64)
def test_every_built_rpm_verifies_against_the_project_key(copr_cli, client, backend_url, owner,
                                                          project, tmp_path):
    name = project(CHROOT, AARCH64)
    other = project()
    build_id = submit(copr_cli, name, fixture_srpm(tmp_path / "src", "subpackages", name="signed"))
    # A project's pubkey.gpg is published by its first RPM build (upstream's backend), so the
    # other project builds too.
    other_build = submit(copr_cli, other, fixture_srpm(tmp_path / "other", "hello"))
    assert wait_build(client, build_id) == "succeeded"
    assert wait_build(client, other_build) == "succeeded"

    def rpmdb(project_name: str) -> Path:
        """An RPM database holding only that project's public key."""
        key = wait_url(f"{backend_url}/results/{owner}/{project_name}/pubkey.gpg").text
        assert "BEGIN PGP PUBLIC KEY BLOCK" in key
        (tmp_path / f"{project_name}.gpg").write_text(key)
        db = tmp_path / f"rpmdb-{project_name}"
        db.mkdir()
        subprocess.run(["rpmkeys", "--dbpath", str(db), "--import", str(tmp_path / f"{project_name}.gpg")],
                       check=True)
        return db

    own, foreign = rpmdb(name), rpmdb(other)
    checked = []
    for chroot in (CHROOT, AARCH64):
        url = f"{backend_url}/results/{build_dir(owner, name, chroot, build_id, 'signed')}/"
        for rpm_name in listed_files(url, ".rpm"):
            rpm = download(url + rpm_name, tmp_path / f"{chroot}-{rpm_name}")
            good = subprocess.run(["rpmkeys", "--dbpath", str(own), "--checksig", str(rpm)],
                                  capture_output=True, text=True)
            assert good.returncode == 0 and "signatures OK" in good.stdout, good.stdout + good.stderr
            # Signed by this project's key, not just by some key of the stack.
            bad = subprocess.run(["rpmkeys", "--dbpath", str(foreign), "--checksig", str(rpm)],
                                 capture_output=True, text=True)
            assert bad.returncode != 0, bad.stdout
            checked.append(rpm_name)
    assert len(checked) == 6  # signed, signed-extra, the SRPM, in both chroots


def test_createrepo_makes_the_repository(copr_cli, client, backend_url, owner, project, tmp_path):
    name = project()
    repo = f"{backend_url}/results/{owner}/{name}/{CHROOT}"
    # The project's createrepo action makes an empty repository before any build.
    wait_url(f"{repo}/repodata/repomd.xml")
    assert served_package_counts(repo) == {"primary": 0, "filelists": 0}
    # The project's key exists (its gen_gpg_key action runs first), but as upstream's backend
    # does, only the first RPM build publishes pubkey.gpg.
    pubkey = f"{backend_url}/results/{owner}/{name}/pubkey.gpg"
    assert not served(pubkey)

    build_id = submit(copr_cli, name, fixture_srpm(tmp_path, "hello"))
    assert wait_build(client, build_id) == "succeeded"
    assert "BEGIN PGP PUBLIC KEY BLOCK" in wait_url(pubkey).text
    assert served(f"{repo}/repodata/repomd.xml")
    assert served_package_counts(repo) == {"primary": 2, "filelists": 2}
    assert served_package_names(repo) == ["hello.noarch", "hello.src"]
    assert not served(f"{repo}/devel/")


def test_disabled_createrepo_puts_builds_in_devel(copr_cli, client, frontend_url, backend_url,
                                                  owner, project, tmp_path):
    name = project()
    modified = copr_cli("modify", name, "--disable_createrepo", "true")
    assert modified.returncode == 0, modified.stderr
    assert client.project_proxy.get(owner, name).devel_mode is True
    build_id = submit(copr_cli, name, fixture_srpm(tmp_path, "hello"))
    assert wait_build(client, build_id) == "succeeded"

    task = requests.get(f"{frontend_url}/backend/get-build-task/{build_id}-{CHROOT}", timeout=10).json()
    assert task["uses_devel_repo"] is True
    assert "copr_base_devel" in [repo["id"] for repo in task["repos"]]
    repo = f"{backend_url}/results/{owner}/{name}/{CHROOT}"
    assert served(f"{repo}/devel/repodata/repomd.xml")
    assert served_package_counts(f"{repo}/devel") == {"primary": 2, "filelists": 2}
    assert served_package_names(f"{repo}/devel") == ["hello.noarch", "hello.src"]
    # The public repository does not get the build until the repositories are regenerated.
    assert served_package_counts(repo) == {"primary": 0, "filelists": 0}


def test_regenerate_repos_adds_the_builds(copr_cli, client, backend_url, owner, project, tmp_path):
    name = project(devel_mode=True)
    build_id = submit(copr_cli, name, fixture_srpm(tmp_path, "hello"))
    assert wait_build(client, build_id) == "succeeded"
    repo = f"{backend_url}/results/{owner}/{name}/{CHROOT}"
    before = served_package_counts(repo)
    assert before == {"primary": 0, "filelists": 0}

    regenerated = copr_cli("regenerate-repos", name)
    assert regenerated.returncode == 0, regenerated.stderr

    def grown() -> dict[str, int]:
        try:
            counts = served_package_counts(repo)
        except (AssertionError, requests.RequestException) as error:  # read while createrepo_c replaced it
            raise wait.NotYet(f"{repo}/repodata is being rewritten: {error}") from None
        if counts == before:
            raise wait.NotYet(f"{repo} still has {counts}")
        return counts

    after = wait.until(grown, what=f"the packages of {repo} to grow", timeout=30)
    assert after == {"primary": 2, "filelists": 2}
    assert served_package_names(repo) == ["hello.noarch", "hello.src"]
