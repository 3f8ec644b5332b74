"""copr-rpmbuild (containers/builder/src/copr_rpmbuild): chroot names, dist tags, Copr macros, arch exclusion."""


import pytest

from copr_rpmbuild.errors import TaskError
from copr_rpmbuild.helpers import arch_exclusion, build_id_of, copr_macros, distro_macros, split_chroot


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


@pytest.mark.parametrize(("arch", "exclusive", "exclude", "excluded"), [
    ("x86_64", [], [], False),
    ("x86_64", [], ["x86_64"], True),
    ("x86_64", [], ["i686", "ppc64le"], False),
    ("x86_64", ["aarch64"], [], True),
    ("x86_64", ["x86_64", "aarch64"], [], False),
    ("s390x", ["x86_64", "noarch"], [], False),  # noarch among the exclusive arches builds anywhere
    ("x86_64", ["x86_64"], ["x86_64"], True),  # ExcludeArch wins
])
def test_arch_exclusion(arch: str, exclusive: list[str], exclude: list[str], excluded: bool) -> None:
    reason = arch_exclusion(arch, exclusive, exclude)
    assert (reason is not None) == excluded
    if reason:
        assert arch in reason
