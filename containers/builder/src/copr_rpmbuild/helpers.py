"""Chroot names and the RPM macros a Copr build defines (upstream: copr_rpmbuild/helpers.py)."""

from __future__ import annotations

from .errors import TaskError


def split_chroot(chroot: str) -> tuple[str, str]:
    """Split a chroot name into its distribution and architecture: fedora-44-x86_64 -> fedora-44."""
    distro, _, arch = chroot.rpartition("-")
    if not distro or not arch or "-" not in distro:
        raise TaskError(f"'{chroot}' is not a chroot name like fedora-44-x86_64")
    return distro, arch


def distro_macros(distro: str, rawhide_version: int) -> dict[str, str]:
    """RPM macros a Fedora-like buildroot of `distro` (e.g. fedora-44) defines: %dist and friends.

    fedora-rawhide builds as Fedora `rawhide_version`. Unknown distributions get no macros, so
    `%{?dist}` expands to nothing there.
    """
    name, _, release = distro.rpartition("-")
    if name == "fedora" and release == "rawhide":
        release = str(rawhide_version)
    major = release.split(".")[0]
    if not major.isdigit():
        return {}
    if name == "fedora":
        return {"dist": f".fc{major}", "fedora": major}
    if name == "epel":
        return {"dist": f".el{major}", "rhel": major, "epel": major}
    if name in ("centos-stream", "rhel", "almalinux", "rocky"):
        return {"dist": f".el{major}", "rhel": major}
    if name == "mageia":
        return {"dist": f".mga{major}", "mageia": major}
    return {}


def build_id_of(task_id: str) -> str:
    """The build id in a task id: '7-fedora-44-x86_64' -> '7', '7' -> '7'."""
    build_id = str(task_id).split("-", 1)[0]
    if not build_id.isdigit():
        raise TaskError(f"task_id '{task_id}' does not start with a build id")
    return build_id


def copr_macros(project_owner: str, project_name: str, task_id: str, vendor_name: str) -> dict[str, str]:
    """The macros every Copr build defines: %copr_username, %copr_projectname, %vendor, %buildtag."""
    kind = "group" if project_owner.startswith("@") else "user"
    macros = {"copr_username": project_owner, "copr_projectname": project_name}
    if vendor_name:
        macros["vendor"] = f"{vendor_name} - {kind} {project_owner}"
    if task_id:
        # Upstream's rule: whatever precedes the first dash (a --copr task id has no build id).
        macros["buildtag"] = ".copr" + str(task_id).split("-", 1)[0]
    return macros


def parse_copr_name(name: str) -> tuple[str, str]:
    """--copr owner/project (a group as @group/project) -> (owner, project)."""
    owner, slash, project = name.partition("/")
    if not owner or not slash or not project:
        raise TaskError(f"--copr {name!r} is not owner/project (or @group/project)")
    return owner, project


def copr_chroot_to_task_id(copr: str, chroot: str) -> str:
    """The task id upstream makes up for --copr: @group/project + chroot -> group_group-project-chroot."""
    return copr.replace("@", "group_").replace("/", "-") + "-" + chroot


def define_args(macros: dict[str, str]) -> list[str]:
    """--define arguments for rpm, rpmbuild and rpmspec."""
    args = []
    for name, value in macros.items():
        args += ["--define", f"{name} {value}"]
    return args
