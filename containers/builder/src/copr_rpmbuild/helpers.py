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
    macros["buildtag"] = f".copr{build_id_of(task_id)}"
    return macros


def arch_exclusion(arch: str, exclusivearch: list[str], excludearch: list[str]) -> str | None:
    """Why a spec cannot build for `arch` (None when it can), by its ExclusiveArch/ExcludeArch."""
    if arch in excludearch:
        return f"ExcludeArch ({' '.join(excludearch)}) excludes {arch}"
    # A noarch package that lists noarch as exclusive builds everywhere, as rpmbuild allows.
    if exclusivearch and arch not in exclusivearch and "noarch" not in exclusivearch:
        return f"ExclusiveArch ({' '.join(exclusivearch)}) does not include {arch}"
    return None


def define_args(macros: dict[str, str]) -> list[str]:
    """--define arguments for rpm, rpmbuild and rpmspec."""
    args = []
    for name, value in macros.items():
        args += ["--define", f"{name} {value}"]
    return args
