"""The task records the backend and copr-rpmbuild read from the /backend/ routes (upstream's
`get-build-task` and `get-srpm-build-task` answers, and the short forms in `pending-jobs`)."""

from . import app
from .build_config import chroot_repos
from .logic import as_list
from .models import Build, BuildChroot


def sandbox(build: Build) -> str:
    submitter = build.user.username if build.user else "unknown"
    return f"{build.copr.owner_name}/{build.copr.name}--{submitter}"


def small_srpm(build: Build) -> dict:
    return {"task_id": str(build.id), "build_id": build.id, "project_owner": build.copr.owner_name,
            "sandbox": sandbox(build), "background": build.is_background, "chroot": None}


def small_rpm(chroot: BuildChroot) -> dict:
    build = chroot.build
    return {"task_id": chroot.task_id, "build_id": build.id, "project_owner": build.copr.owner_name,
            "sandbox": sandbox(build), "background": build.is_background, "chroot": chroot.name,
            "tags": [], "allow_user_ssh": False}


def _distributions(chroots) -> list[str]:
    return sorted({c.mock_chroot.name_release for c in chroots})


def srpm_task(build: Build) -> dict:
    copr = build.copr
    record = small_srpm(build)
    record.update({
        "source_type": build.source_type, "source_json": build.source_json,
        "submitter": build.user.username if build.user else None, "project_name": copr.name,
        "project_dirname": copr.name, "package_name": build.package.name if build.package else None,
        "appstream": copr.appstream, "repos": [], "timeout": build.timeout,
        "distributions_in_project": _distributions(copr.chroots),
        "distributions_in_build": _distributions(build.chroots),
    })
    return record


def rpm_task(chroot: BuildChroot) -> dict:
    build, copr = chroot.build, chroot.build.copr
    project_chroot = next((c for c in copr.chroots if c.name == chroot.name), None)
    package = build.package.name if build.package else None
    record = small_rpm(chroot)
    record.update({
        "project_name": copr.name, "project_dirname": copr.name,
        "submitter": build.user.username if build.user else None, "memory_reqs": 2048,
        "timeout": build.timeout, "enable_net": build.enable_net,
        "git_repo": f"{app.config['DIST_GIT_CLONE_URL']}/{copr.owner_name}/{copr.name}/{package}",
        "git_hash": chroot.git_hash, "package_name": package, "package_version": build.pkg_version,
        "uses_devel_repo": not copr.auto_createrepo,
        "isolation": build.isolation if build.isolation != "unchanged" else (
            project_chroot.isolation if project_chroot and project_chroot.isolation != "unchanged"
            else copr.isolation),
        "fedora_review": copr.fedora_review, "appstream": copr.appstream,
        "repo_priority": copr.repo_priority, "ssh_public_keys": None, "storage": 0,
        "repos": chroot_repos(project_chroot, internal=True) if project_chroot else [],
        "buildroot_pkgs": as_list(project_chroot.buildroot_pkgs) if project_chroot else [],
        "with_opts": as_list(project_chroot.with_opts) if project_chroot else [],
        "without_opts": as_list(project_chroot.without_opts) if project_chroot else [],
        "bootstrap": build.bootstrap or copr.bootstrap,
    })
    return record
