"""The results tree (reference 3.4) and the job dicts the backend reports (3.3 step 13)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


from copr_backend import layout as layout_mod
from copr_backend import job as job_mod

PUBLIC = "http://127.0.0.1:41234/results"
INTERNAL = "http://backend:5002/results"

SRPM_TASK = {
    "task_id": "7", "build_id": 7, "project_owner": "@copr", "project_name": "tools",
    "project_dirname": "tools", "sandbox": "@copr/tools--alice", "background": False, "chroot": None,
    "source_type": 2, "source_json": "{}", "submitter": "alice", "appstream": False,
}
RPM_TASK = {
    "task_id": "7-fedora-44-x86_64", "build_id": 7, "project_owner": "alice", "project_name": "hello",
    "project_dirname": "hello", "chroot": "fedora-44-x86_64", "package_name": "hello",
    "package_version": "1.0-1", "timeout": 3600, "git_repo": "http://distgit/git/alice/hello/hello",
    "git_hash": "abc", "repos": [], "tags": [], "appstream": False,
}


@pytest.fixture
def tree(tmp_path: Path):
    return layout_mod.Layout(tmp_path / "results", PUBLIC, INTERNAL)


def test_target_dir_names() -> None:
    assert layout_mod.target_dir_name(7) == "00000007"
    assert layout_mod.target_dir_name("123456789", "hello") == "123456789-hello"
    assert layout_mod.target_dir_name(7, "hello") == "00000007-hello"


def test_paths(tree) -> None:
    root = tree.destdir
    assert tree.build_dir("@copr", "tools", "srpm-builds", 7, "ignored") == root / "@copr/tools/srpm-builds/00000007"
    assert tree.build_dir("alice", "hello", "fedora-44-x86_64", 7, "hello") == \
        root / "alice/hello/fedora-44-x86_64/00000007-hello"
    assert tree.pubkey_path("alice", "hello") == root / "alice/hello/pubkey.gpg"


def test_urls(tree) -> None:
    path = tree.build_dir("alice", "hello", "srpm-builds", 7) / "hello-1.0-1.src.rpm"
    assert tree.url(path) == f"{PUBLIC}/alice/hello/srpm-builds/00000007/hello-1.0-1.src.rpm"
    assert tree.url(path, internal=True) == f"{INTERNAL}/alice/hello/srpm-builds/00000007/hello-1.0-1.src.rpm"


@pytest.mark.parametrize("bad", ["..", ".", "a/b", "", "../../etc", "x y", None])
def test_names_from_the_frontend_cannot_leave_the_tree(tree, bad) -> None:
    with pytest.raises(layout_mod.LayoutError):
        tree.project_dir("alice", bad)


def test_srpm_job_dict() -> None:
    job = job_mod.BuildJob(dict(SRPM_TASK), status=6, started_on=100)
    data = job.to_dict()
    assert job.srpm and job.chroot == "srpm-builds"
    assert data["id"] == 7 and data["task_id"] == "7" and data["chroot"] == "srpm-builds"
    assert data["status"] == 6 and data["started_on"] == 100 and data["result_dir"] == "00000007"
    assert data["project_owner"] == "@copr" and data["sandbox"] == "@copr/tools--alice"
    assert data["mockchain_macros"]["copr_projectname"] == "tools"
    json.dumps(data)  # it goes on the wire


def test_rpm_job_dict() -> None:
    job = job_mod.BuildJob(dict(RPM_TASK), status=3)
    data = job.to_dict()
    assert not job.srpm and job.chroot == "fedora-44-x86_64" and job.timeout == 3600
    assert data["id"] == 7 and data["task_id"] == "7-fedora-44-x86_64"
    assert data["result_dir"] == "00000007-hello" and data["status"] == 3
    assert type(data["status"]) is int


def test_srpm_results(tree, tmp_path: Path) -> None:
    downloaded = tmp_path / "staging"
    downloaded.mkdir()
    (downloaded / "hello-1.0-1.src.rpm").write_bytes(b"rpm")
    (downloaded / "results.json").write_text(json.dumps(
        {"name": "hello", "epoch": 2, "version": "1.0", "release": "1", "architecture_specific_tags": {}}))
    job = job_mod.BuildJob(dict(SRPM_TASK))
    target = job.results_dir(tree)
    job.apply_results(downloaded, target, tree)
    assert job.pkg_name == "hello" and job.pkg_version == "2:1.0-1"
    # dist-git fetches it inside the stack: the internal URL.
    assert job.srpm_url == f"{INTERNAL}/@copr/tools/srpm-builds/00000007/hello-1.0-1.src.rpm"
    assert job.to_dict()["results"]["name"] == "hello"


def test_srpm_results_without_epoch(tree, tmp_path: Path) -> None:
    (tmp_path / "x.src.rpm").write_bytes(b"")
    (tmp_path / "results.json").write_text(json.dumps({"name": "x", "epoch": None, "version": "1", "release": "2"}))
    job = job_mod.BuildJob(dict(SRPM_TASK))
    job.apply_results(tmp_path, job.results_dir(tree), tree)
    assert job.pkg_version == "1-2"


def test_too_long_package_name(tree, tmp_path: Path) -> None:
    (tmp_path / "x.src.rpm").write_bytes(b"")
    (tmp_path / "results.json").write_text(json.dumps({"name": "x" * 101, "version": "1", "release": "1"}))
    job = job_mod.BuildJob(dict(SRPM_TASK))
    with pytest.raises(job_mod.ResultsError, match="Too long package name"):
        job.apply_results(tmp_path, job.results_dir(tree), tree)


def test_rpm_results(tree, tmp_path: Path) -> None:
    packages = [
        {"name": "hello", "epoch": None, "version": "1.0", "release": "1.fc44", "arch": "src"},
        {"name": "hello", "epoch": None, "version": "1.0", "release": "1.fc44", "arch": "x86_64"},
        {"name": "hello-doc", "epoch": 1, "version": "1.0", "release": "1.fc44", "arch": "noarch"},
    ]
    (tmp_path / "results.json").write_text(json.dumps({"packages": packages}))
    job = job_mod.BuildJob(dict(RPM_TASK))
    job.apply_results(tmp_path, job.results_dir(tree), tree)
    assert job.built_packages == "hello 1.0\nhello-doc 1.0"
    assert job.to_dict()["results"] == {"packages": packages}


def test_unreadable_results(tree, tmp_path: Path) -> None:
    job = job_mod.BuildJob(dict(RPM_TASK))
    with pytest.raises(job_mod.ResultsError, match="results.json"):
        job.apply_results(tmp_path, job.results_dir(tree), tree)
