"""Actions queued for the backend (upstream's logic/actions_logic.py): createrepo, keys,
deletes, forks."""

import json

from .db import session
from .enums import ACTION_PRIORITY, ACTION_TYPES
from .models import Action, Build, Copr, now


def add_action(kind: str, copr: Copr | None, data: dict, object_type: str = "copr",
               object_id: int | None = None, old_value: str | None = None,
               new_value: str | None = None) -> Action:
    """Queue an action for the backend."""
    action = Action(action_type=ACTION_TYPES[kind], object_type=object_type,
                    object_id=object_id if object_id is not None else (copr.id if copr else None),
                    old_value=old_value, new_value=new_value,
                    priority=ACTION_PRIORITY.get(kind, 0), data=json.dumps(data),
                    result=0, created_on=now(), copr_id=copr.id if copr else None)
    session.add(action)
    return action


def createrepo_action(copr: Copr, chroots: list[str], reason: str, devel: bool = False) -> Action:
    """Queue createrepo of the public repositories (with `devel`, of the devel ones)."""
    return add_action("createrepo", copr, {
        "ownername": copr.owner_name, "projectname": copr.name,
        "project_dirnames": [copr.name], "chroots": chroots, "appstream": copr.appstream,
        "storage": 0, "reason": reason, "persistent": copr.persistent, "devel": devel,
    })


def createrepo_actions(copr: Copr, chroots: list[str], reason: str) -> None:
    """New chroots get a public repository, and a devel one too when createrepo is off."""
    createrepo_action(copr, chroots, reason)
    if not copr.auto_createrepo:
        createrepo_action(copr, chroots, reason, devel=True)


def gen_key_action(copr: Copr) -> Action:
    return add_action("gen_gpg_key", copr, {"ownername": copr.owner_name,
                                            "projectname": copr.name,
                                            "appstream": copr.appstream})


def result_dirs(build: Build) -> dict[str, list[str]]:
    dirs: dict[str, list[str]] = {}
    if build.result_dir:
        dirs["srpm-builds"] = [build.result_dir]
    for chroot in build.chroots:
        if chroot.result_dir:
            dirs.setdefault(chroot.name, []).append(chroot.result_dir)
    return dirs


def delete_build_action(build: Build) -> Action:
    copr = build.copr
    return add_action("delete", copr, {
        "ownername": copr.owner_name, "projectname": copr.name, "project_dirname": copr.name,
        "chroot_builddirs": result_dirs(build), "appstream": copr.appstream,
        "devel": not copr.auto_createrepo, "storage": 0,
    }, object_type="build", object_id=build.id)


def delete_builds_action(builds: list[Build]) -> Action:
    """One delete action for several builds of one project (upstream's object_type "builds")."""
    copr = builds[0].copr
    chroot_builddirs: dict[str, list[str]] = {}
    for build in builds:
        for chroot, dirs in result_dirs(build).items():
            chroot_builddirs.setdefault(chroot, []).extend(dirs)
    return add_action("delete", copr, {
        "ownername": copr.owner_name, "projectname": copr.name, "appstream": copr.appstream,
        "project_dirnames": {copr.name: chroot_builddirs}, "storage": 0,
        "devel": not copr.auto_createrepo, "build_ids": [build.id for build in builds],
    }, object_type="builds", object_id=None)
