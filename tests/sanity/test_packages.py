"""Sanity: package definitions (upstream runtest.sh's Project4 section and friends).

add/edit/reset/delete of several source types, package-name validation, `list-packages`
counts, and `get-package --with-latest-build --with-latest-succeeded-build`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from copr.v3.exceptions import CoprNoResultException

from ..support.srpms import fixture_srpm, make_srpm
from .conftest import wait_build

CHROOT = "fedora-44-x86_64"
CLONE_URL = "https://example.invalid/copr-hello.git"
OK = "Create or edit operation was successful."


def get_package(copr_cli, project: str, name: str, *flags: str) -> dict:
    result = copr_cli("get-package", project, "--name", name, *flags)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def list_packages(copr_cli, project: str, *flags: str) -> list[dict]:
    result = copr_cli("list-packages", project, *flags)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def custom_script(folder: Path) -> str:
    script = folder / "build.sh"
    script.write_text("#! /bin/sh -x\necho building\n")
    return str(script)


# source type -> (add arguments, source_dict after add, edit arguments, source_dict after edit)
SOURCE_TYPES = {
    "rubygems": (["--gem", "yyy"], {"gem_name": "yyy"}, ["--gem", "zzz"], {"gem_name": "zzz"}),
    "scm": (["--clone-url", CLONE_URL, "--method", "tito", "--spec", "hello.spec",
             "--subdir", "pkg"],
            {"clone_url": CLONE_URL, "type": "git", "source_build_method": "tito",
             "spec": "hello.spec", "subdirectory": "pkg"},
            ["--clone-url", CLONE_URL + "2", "--commit", "rpkg-util", "--method", "rpkg"],
            {"clone_url": CLONE_URL + "2", "committish": "rpkg-util",
             "source_build_method": "rpkg"}),
    "pypi": (["--packagename", "foo", "--packageversion", "1.0"],
             {"pypi_package_name": "foo", "pypi_package_version": "1.0"},
             ["--packagename", "foo", "--packageversion", "2.0", "--spec-generator", "pyp2spec"],
             {"pypi_package_name": "foo", "pypi_package_version": "2.0",
              "spec_generator": "pyp2spec"}),
    "custom": (["--script", "{script}", "--script-chroot", CHROOT,
                "--script-builddeps", "git make", "--script-resultdir", "out"],
               {"script": "#! /bin/sh -x\necho building\n", "chroot": CHROOT,
                "builddeps": "git make", "resultdir": "out"},
               ["--script", "{script}", "--script-resultdir", "results"],
               {"script": "#! /bin/sh -x\necho building\n", "resultdir": "results"}),
    "distgit": (["--distgit", "fedora", "--commit", "f44"],
                {"distgit": "fedora", "committish": "f44"},
                ["--distgit", "fedora", "--commit", "rawhide"],
                {"distgit": "fedora", "committish": "rawhide"}),
}


@pytest.mark.parametrize("source_type", sorted(SOURCE_TYPES))
def test_add_and_edit_package_of_each_source_type(copr_cli, project, source_type, tmp_path):
    name = project()
    script = custom_script(tmp_path)
    add, after_add, edit, after_edit = SOURCE_TYPES[source_type]

    added = copr_cli(f"add-package-{source_type}", name, "--name", "xxx",
                     *[arg.format(script=script) for arg in add])
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == OK
    package = get_package(copr_cli, name, "xxx")
    assert (package["name"], package["source_type"]) == ("xxx", source_type)
    assert after_add.items() <= package["source_dict"].items(), package["source_dict"]

    edited = copr_cli(f"edit-package-{source_type}", name, "--name", "xxx",
                      *[arg.format(script=script) for arg in edit])
    assert edited.returncode == 0, edited.stderr
    package = get_package(copr_cli, name, "xxx")
    assert package["source_type"] == source_type
    assert after_edit.items() <= package["source_dict"].items(), package["source_dict"]
    assert len(list_packages(copr_cli, name)) == 1


def test_reset_package_unsets_its_source(copr_cli, client, owner, project):
    name = project()
    client.package_proxy.add(owner, name, "xxx", "rubygems", {"gem_name": "yyy"})
    added = copr_cli("add-package-scm", name, "--name", "test_package_reset",
                     "--clone-url", CLONE_URL, "--method", "tito")
    assert added.returncode == 0, added.stderr
    package = get_package(copr_cli, name, "test_package_reset")
    assert package["source_type"] == "scm"
    assert package["source_dict"]["clone_url"] == CLONE_URL

    reset = copr_cli("reset-package", name, "--name", "test_package_reset")
    assert reset.returncode == 0, reset.stderr
    package = get_package(copr_cli, name, "test_package_reset")
    assert package["source_type"] == "unset"
    assert package["source_dict"] == {}
    # Resetting one package leaves the other alone.
    assert client.package_proxy.get(owner, name, "xxx").source_dict == {"gem_name": "yyy"}
    assert len(list_packages(copr_cli, name)) == 2


def test_delete_package_and_counts(copr_cli, client, owner, project):
    name = project()
    for package in ("xxx", "test_package_reset"):
        client.package_proxy.add(owner, name, package, "rubygems", {"gem_name": "yyy"})
    added = copr_cli("add-package-scm", name, "--name", "test_package_delete",
                     "--clone-url", CLONE_URL, "--method", "tito")
    assert added.returncode == 0, added.stderr
    assert copr_cli("get-package", name, "--name", "test_package_delete").returncode == 0
    assert len(list_packages(copr_cli, name)) == 3

    deleted = copr_cli("delete-package", name, "--name", "test_package_delete")
    assert deleted.returncode == 0, deleted.stderr
    missing = copr_cli("get-package", name, "--name", "test_package_delete")
    assert missing.returncode == 1
    assert "No package with name test_package_delete" in missing.stderr
    assert len(list_packages(copr_cli, name)) == 2
    names = copr_cli("list-package-names", name).stdout.split()
    assert sorted(names) == ["test_package_reset", "xxx"]
    with pytest.raises(CoprNoResultException):
        client.package_proxy.get(owner, name, "test_package_delete")


def test_package_name_validation(copr_cli, project):
    name = project()
    accepted = ("gcc-c++", "python3-ndg_httpsclient", "python-boolean.py")
    for package in accepted:
        added = copr_cli("add-package-rubygems", name, "--name", package, "--gem", "yyy")
        assert added.returncode == 0, (package, added.stderr)
    for package in ("x:x", "x@x"):
        refused = copr_cli("add-package-rubygems", name, "--name", package, "--gem", "yyy")
        assert refused.returncode == 1, package
        assert "package_name" in refused.stderr, refused.stderr
    duplicate = copr_cli("add-package-rubygems", name, "--name", "gcc-c++", "--gem", "yyy")
    assert duplicate.returncode == 1
    assert "already exists" in duplicate.stderr
    packages = list_packages(copr_cli, name)
    assert len(packages) == 3
    assert sorted(p["name"] for p in packages) == sorted(accepted)


def test_get_package_with_latest_and_latest_succeeded_build(copr_cli, client, owner, project,
                                                             tmp_path):
    name = project()
    package = "latest-builds"
    good = make_srpm(tmp_path / "good", package)
    broken = fixture_srpm(tmp_path / "broken", "broken", name=package)
    # Submitted together (the ids keep the order: the failed build is the latest one).
    good_id = client.build_proxy.create_from_file(owner, name, str(good)).id
    bad_id = client.build_proxy.create_from_file(owner, name, str(broken)).id
    assert wait_build(client, good_id) == "succeeded"
    assert wait_build(client, bad_id) == "failed"

    plain = get_package(copr_cli, name, package)
    assert plain["source_type"] == "upload"
    assert plain["latest_build"] is None and plain["latest_succeeded_build"] is None

    both = get_package(copr_cli, name, package, "--with-latest-build",
                       "--with-latest-succeeded-build")
    assert (both["latest_build"]["id"], both["latest_build"]["state"]) == (bad_id, "failed")
    assert (both["latest_succeeded_build"]["id"], both["latest_succeeded_build"]["state"]) == (
        good_id, "succeeded")
    assert both["latest_succeeded_build"]["source_package"]["name"] == package

    only_latest = get_package(copr_cli, name, package, "--with-latest-build")
    assert only_latest["latest_build"]["id"] == bad_id
    assert only_latest["latest_succeeded_build"] is None

    listed = list_packages(copr_cli, name, "--with-latest-build", "--with-latest-succeeded-build")
    assert [(p["name"], p["latest_build"]["id"], p["latest_succeeded_build"]["id"])
            for p in listed] == [(package, bad_id, good_id)]
