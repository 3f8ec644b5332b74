"""/api_3/project/: read, list, add, edit, fork, delete, regenerate-repos (upstream's
apiv3_projects.py)."""

import flask
import sqlalchemy as sa

from ...db import session
from ...enums import StatusEnum
from ...errors import AccessRestricted, BadRequest, InvalidForm, ObjectNotFound
from ...actions_logic import add_action, createrepo_action, createrepo_actions, gen_key_action
from ...logic import (NAME_MAX, NAME_RE, arg, as_bool, as_list, build_finished, check_chroots,
                      form, get_copr, int_field, login_required, mock_chroots, paginate,
                      project_dict, require_edit)
from ...models import Build, BuildChroot, Copr, CoprChroot, Group, Package, User, now
from . import DELETE, NOT_ADMIN, POST, PUT, editable_copr, route

PROJECT_BOOLS = ("unlisted_on_hp", "enable_net", "persistent", "auto_prune", "module_hotfixes",
                 "appstream", "follow_fedora_branching", "multilib", "fedora_review")
PROJECT_TEXTS = ("description", "instructions", "homepage", "contact")


def _apply_project_fields(copr: Copr, data: dict, repos_key: str) -> None:
    for key in PROJECT_TEXTS:
        if key in data:
            setattr(copr, key, data[key])
    for key in PROJECT_BOOLS:
        if key in data:
            setattr(copr, key, as_bool(data[key]))
    if repos_key in data:
        copr.repos = " ".join(as_list(data[repos_key]))
    if "devel_mode" in data:
        copr.auto_createrepo = not as_bool(data["devel_mode"])
    for key in ("bootstrap", "isolation"):
        if data.get(key) and data[key] != "unchanged":
            setattr(copr, key, data[key])
    errors: dict[str, list[str]] = {}
    for key, low, high in (("repo_priority", 1, None), ("delete_after_days", -1, 720)):
        if key in data:
            setattr(copr, key, int_field(errors, key, data[key], low, high))
    if errors:
        raise InvalidForm({key: messages[0] for key, messages in errors.items()})
    if "runtime_dependencies" in data:
        copr.runtime_dependencies = " ".join(as_list(data["runtime_dependencies"]))
    if "packit_forge_projects_allowed" in data:
        copr.packit_forge_projects_allowed = " ".join(as_list(data["packit_forge_projects_allowed"]))


def _owner(user: User, ownername: str) -> tuple[User, Group | None]:
    if ownername.startswith("@"):
        group = session.execute(sa.select(Group).filter_by(name=ownername[1:])).scalar()
        if group is None:
            raise ObjectNotFound(f"Group {ownername[1:]} does not exist.")
        if user not in group.members and not user.admin:
            raise AccessRestricted(f"User '{user.username}' doesn't have access to the copr group "
                                   f"'{group.name}'.")
        return user, group
    if ownername != user.username and not user.admin:
        raise AccessRestricted(f"Only admins may create projects for other users "
                               f"(you are '{user.username}', not '{ownername}').")
    owner = session.execute(sa.select(User).filter_by(username=ownername)).scalar()
    if owner is None:
        raise ObjectNotFound(f"User {ownername} does not exist.")
    return owner, None


def _exists(owner: User, group: Group | None, name: str) -> bool:
    query = sa.select(Copr.id).filter_by(name=name, deleted=False)
    query = query.filter(Copr.group_id == group.id) if group else query.filter(
        Copr.user_id == owner.id, Copr.group_id.is_(None))
    return session.execute(query).first() is not None


def _validate_name(name: str | None, owner: User, group: Group | None, exist_ok: bool = False) -> dict:
    errors = {}
    if not name:
        errors["name"] = "This field is required."
    elif len(name) > NAME_MAX:
        errors["name"] = f"Field cannot be longer than {NAME_MAX} characters."
    elif not NAME_RE.match(name):
        errors["name"] = "Name must contain only letters, digits, underscores, dashes and dots."
    elif name.isdigit():
        errors["name"] = "Project's name can not be just number."
    elif not exist_ok and _exists(owner, group, name):
        # Upstream prints a group as "<name> (fas: <FAS group>)"; here the FAS name is the name.
        errors["name"] = (f"Group {group.name} (fas: {group.name}) already has a project named "
                          f"'{name}'." if group else f"You already have a project named '{name}'.")
    return errors


def _set_chroots(copr: Copr, names: list[str]) -> list[str]:
    """Make the project's chroots exactly `names`; return the added ones."""
    wanted = {chroot.name: chroot for chroot in check_chroots(names)}
    current = {chroot.name: chroot for chroot in copr.chroots}
    for name, chroot in current.items():
        if name not in wanted:
            copr.chroots.remove(chroot)
    added = [name for name in wanted if name not in current]
    for name in added:
        copr.chroots.append(CoprChroot(mock_chroot=wanted[name]))
    return added


@route("/project")
def project_get():
    return flask.jsonify(project_dict(get_copr(arg("ownername"), arg("projectname"))))


@route("/project/list")
def project_list():
    query = sa.select(Copr).filter_by(deleted=False)
    ownername = arg("ownername")
    if ownername and ownername.startswith("@"):
        query = query.join(Group, Copr.group_id == Group.id).filter(Group.name == ownername[1:])
    elif ownername:
        query = query.join(User, Copr.user_id == User.id).filter(
            User.username == ownername, Copr.group_id.is_(None))
    page = paginate(query, Copr)
    page["items"] = [project_dict(copr) for copr in page["items"]]
    return flask.jsonify(page)


@route("/project/search")
def project_search():
    """Upstream searches a full-text index (whoosh) of names, descriptions and owners; here a
    case-insensitive substring of the name, description or owner. "owner/name" searches both
    parts, as upstream."""
    query_text = arg("query")
    if not query_text:
        raise BadRequest("Missing argument query")
    query = sa.select(Copr).filter_by(deleted=False).join(User, Copr.user_id == User.id)
    query = query.outerjoin(Group, Copr.group_id == Group.id)
    if "/" in query_text:
        owner, _, name = query_text.partition("/")
        owner_column = Group.name if owner.startswith("@") else User.username
        query = query.filter(Copr.name.ilike(f"%{name}%"),
                             owner_column.ilike(f"%{owner.lstrip('@')}%"))
    else:
        like = f"%{query_text}%"
        query = query.filter(sa.or_(Copr.name.ilike(like), Copr.description.ilike(like),
                                    User.username.ilike(like), Group.name.ilike(like)))
    page = paginate(query, Copr)
    page["items"] = [project_dict(copr) for copr in page["items"]]
    return flask.jsonify(page)


@route("/project/add/<ownername>", methods=POST)
@login_required
def project_add(ownername):
    data = form()
    user = flask.g.user
    owner, group = _owner(user, ownername)
    exist_ok = as_bool(arg("exist_ok", data.get("exist_ok", False)))
    name = data.get("name")
    errors = _validate_name(name, owner, group, exist_ok)
    chroots = as_list(data.get("chroots"))
    known = mock_chroots()
    bad = [c for c in chroots if c not in known]
    if bad:
        errors["chroots"] = f"'{bad[0]}' is not a valid choice for this field"
    if errors:
        raise InvalidForm(errors)
    if exist_ok and _exists(owner, group, name):
        return flask.jsonify(project_dict(get_copr(ownername, name)))
    copr = Copr(name=name, user=owner, group=group, created_on=now())
    _apply_project_fields(copr, data, "additional_repos")
    session.add(copr)
    _set_chroots(copr, chroots)
    session.flush()
    gen_key_action(copr)
    if chroots:
        createrepo_actions(copr, chroots, "project created")
    session.commit()
    return flask.jsonify(project_dict(copr))


@route("/project/edit/<ownername>/<projectname>", methods=PUT)
@login_required
@editable_copr("Only owners and admins may update their projects.")
def project_edit(copr):
    data = form()
    _apply_project_fields(copr, data, "repos")
    added = _set_chroots(copr, as_list(data["chroots"])) if data.get("chroots") else []
    if added:
        createrepo_actions(copr, added, "chroots added")
    session.commit()
    return flask.jsonify(project_dict(copr))


@route("/project/delete/<ownername>/<projectname>", methods=DELETE)
@login_required
def project_delete(ownername, projectname):
    """Upstream's delete_copr: the builds go, the project is marked deleted (a fork may point
    at it) and its name is free again; the backend removes the results."""
    copr = get_copr(ownername, projectname)
    user = flask.g.user
    if copr.persistent:
        raise AccessRestricted("This project is protected against deletion.")
    if copr.group is not None and not (user.admin or user in copr.group.members):
        # Upstream's raise_if_not_in_group; the FAS name is the group's name here.
        raise AccessRestricted(f"User '{user.username}' doesn't have access to the copr group "
                               f"'{copr.group.name}' (fas_name='{copr.group.name}')")
    if copr.group is None and not (user.admin or copr.user_id == user.id):
        raise AccessRestricted("Only owners may delete their projects.")
    running = [str(build.id) for build in copr.builds if not build_finished(build)]
    if running:
        raise BadRequest(f"Build(s) {', '.join(running)} are still running.\n")
    result = project_dict(copr)
    add_action("delete", copr, {"ownername": copr.owner_name, "project_dirnames": [copr.name],
                                "storage": 0}, object_type="copr")
    for build in list(copr.builds):
        session.delete(build)
    copr.deleted = True
    session.commit()
    return flask.jsonify(result)


@route("/project/fork/<ownername>/<projectname>", methods=PUT)
@login_required
def project_fork(ownername, projectname):
    source = get_copr(ownername, projectname)
    data = form()
    user = flask.g.user
    dst_owner = data.get("ownername") or user.username
    owner, group = _owner(user, dst_owner)
    name = data.get("name")
    errors = _validate_name(name, owner, group, exist_ok=True)
    if errors:
        raise InvalidForm(errors)
    if _exists(owner, group, name):
        target = get_copr(dst_owner, name)
        if not as_bool(data.get("confirm", False)):
            raise BadRequest(f"You are about to fork into existing project: {target.full_name}\n"
                             "Please use --confirm if you really want to do this")
        require_edit(user, target)
    else:
        target = Copr(name=name, user=owner, group=group, created_on=now(), forked_from_id=source.id)
        for key in PROJECT_TEXTS + PROJECT_BOOLS + ("repos", "auto_createrepo", "bootstrap",
                                                    "isolation", "repo_priority"):
            setattr(target, key, getattr(source, key))
        session.add(target)
        for chroot in source.chroots:
            target.chroots.append(CoprChroot(
                mock_chroot=chroot.mock_chroot, buildroot_pkgs=chroot.buildroot_pkgs,
                repos=chroot.repos, with_opts=chroot.with_opts, without_opts=chroot.without_opts,
                isolation=chroot.isolation, module_toggle=chroot.module_toggle))
    session.flush()
    builds_map = _fork_builds(source, target, user)
    add_action("fork", source, {"user": target.owner_name, "copr": target.name,
                                "builds_map": builds_map, "storage": 0},
               old_value=source.full_name, new_value=target.full_name)
    session.commit()
    return flask.jsonify(project_dict(target))


def _fork_builds(source: Copr, target: Copr, user: User) -> dict:
    """Copy the latest succeeded build of each package; the backend copies its results."""
    builds_map: dict[str, dict[str, str]] = {}
    for package in source.packages:
        succeeded = [b for b in package.builds if b.source_status == StatusEnum.succeeded and
                     any(c.status == StatusEnum.succeeded for c in b.chroots)]
        if not succeeded:
            continue
        old = max(succeeded, key=lambda b: b.id)
        new_package = next((p for p in target.packages if p.name == package.name), None)
        if new_package is None:
            new_package = Package(name=package.name, source_type=package.source_type,
                                  source_json=package.source_json)
            target.packages.append(new_package)
        new = Build(copr=target, package=new_package, user=user, source_type=old.source_type,
                    source_json=old.source_json, source_status=StatusEnum.forked,
                    pkg_version=old.pkg_version, srpm_url=old.srpm_url, submitted_on=now(),
                    timeout=old.timeout, results_json=old.results_json)
        session.add(new)
        session.flush()
        new.result_dir = f"{new.id:08d}"
        if old.result_dir:
            builds_map.setdefault("srpm-builds", {})[old.result_dir] = new.result_dir
        target_chroots = {c.name for c in target.chroots}
        for chroot in old.chroots:
            if chroot.status != StatusEnum.succeeded or chroot.name not in target_chroots:
                continue
            new_dir = f"{new.id:08d}-{package.name}"
            builds_map.setdefault(chroot.name, {})[chroot.result_dir] = new_dir
            copy = BuildChroot(mock_chroot=chroot.mock_chroot, status=StatusEnum.forked,
                               git_hash=chroot.git_hash, result_dir=new_dir,
                               started_on=chroot.started_on, ended_on=chroot.ended_on)
            copy.results = [type(r)(name=r.name, epoch=r.epoch, version=r.version,
                                    release=r.release, arch=r.arch) for r in chroot.results]
            new.chroots.append(copy)
    return builds_map


@route("/project/regenerate-repos/<ownername>/<projectname>", methods=PUT)
@login_required
@editable_copr(NOT_ADMIN)
def project_regenerate(copr):
    createrepo_action(copr, [c.name for c in copr.chroots], "regenerate-repos")
    session.commit()
    return flask.jsonify(project_dict(copr))
