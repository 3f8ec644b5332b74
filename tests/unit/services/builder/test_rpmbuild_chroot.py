"""copr-rpmbuild (containers/builder/src/copr_rpmbuild): chroot names, dist tags, Copr macros, --copr names."""


import pytest

from copr_rpmbuild.errors import TaskError
from copr_rpmbuild.helpers import (build_id_of, copr_chroot_to_task_id, copr_macros, distro_macros, parse_copr_name,
                                   split_chroot)


@pytest.mark.parametrize(("chroot", "distro", "arch"), [
    ("fedora-44-x86_64", "fedora-44", "x86_64"),
    ("fedora-rawhide-aarch64", "fedora-rawhide", "aarch64"),
    ("centos-stream-9-ppc64le", "centos-stream-9", "ppc64le"),
    ("epel-9-s390x", "epel-9", "s390x"),
])
def test_split_chroot(chroot: str, distro: str, arch: str) -> None:
    assert split_chroot(chroot) == (distro, arch)


@pytest.mark.parametrize("chroot", ["", "fedora", "x86_64", "fedora-44", "-x86_64", "fedora-44-"])
def test_split_chroot_rejects_non_chroots(chroot: str) -> None:
    with pytest.raises(TaskError, match="not a chroot name"):
        split_chroot(chroot)


@pytest.mark.parametrize(("distro", "expected"), [
    ("fedora-44", {"dist": ".fc44", "fedora": "44"}),
    ("fedora-rawhide", {"dist": ".fc45", "fedora": "45"}),
    ("epel-9", {"dist": ".el9", "rhel": "9", "epel": "9"}),
    ("epel-10.1", {"dist": ".el10", "rhel": "10", "epel": "10"}),
    ("centos-stream-10", {"dist": ".el10", "rhel": "10"}),
    ("rhel-8", {"dist": ".el8", "rhel": "8"}),
    ("mageia-9", {"dist": ".mga9", "mageia": "9"}),
    ("opensuse-tumbleweed", {}),
    ("openeuler-22.03", {}),
])
def test_distro_macros(distro: str, expected: dict[str, str]) -> None:
    assert distro_macros(distro, rawhide_version=45) == expected


def test_rawhide_follows_the_configured_version() -> None:
    assert distro_macros("fedora-rawhide", rawhide_version=46)["dist"] == ".fc46"


@pytest.mark.parametrize(("task_id", "build_id"), [("7", "7"), ("7-fedora-44-x86_64", "7"), (12, "12")])
def test_build_id_of(task_id: str, build_id: str) -> None:
    assert build_id_of(task_id) == build_id


def test_build_id_of_rejects_garbage() -> None:
    with pytest.raises(TaskError):
        build_id_of("fedora-44-x86_64")


def test_copr_macros_for_a_user() -> None:
    assert copr_macros("alice", "hello", "7-fedora-44-x86_64", "Copr harness") == {
        "copr_username": "alice",
        "copr_projectname": "hello",
        "vendor": "Copr harness - user alice",
        "buildtag": ".copr7",
    }


def test_copr_macros_for_a_group_without_vendor() -> None:
    macros = copr_macros("@copr", "tools", "31", "Fedora Copr")
    assert macros["vendor"] == "Fedora Copr - group @copr"
    assert "vendor" not in copr_macros("@copr", "tools", "31", "")


@pytest.mark.parametrize(("copr", "owner", "project", "task_id"), [
    ("alice/hello", "alice", "hello", "alice-hello-fedora-44-x86_64"),
    ("@copr/tools", "@copr", "tools", "group_copr-tools-fedora-44-x86_64"),
])
def test_copr_option(copr: str, owner: str, project: str, task_id: str) -> None:
    assert parse_copr_name(copr) == (owner, project)
    assert copr_chroot_to_task_id(copr, "fedora-44-x86_64") == task_id
    # Upstream's %buildtag takes what precedes the first dash, build id or not.
    assert copr_macros(owner, project, task_id, "")["buildtag"] == f".copr{task_id.split('-')[0]}"


@pytest.mark.parametrize("copr", ["alice", "/hello", "alice/"])
def test_copr_option_needs_owner_and_project(copr: str) -> None:
    with pytest.raises(TaskError, match="owner/project"):
        parse_copr_name(copr)
