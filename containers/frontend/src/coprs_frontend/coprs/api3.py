"""APIv3 (/api_3/): the paths, fields, errors and pagination copr-cli 2.6 and python-copr 2.7 use."""

import json
import os
import re
import secrets
from urllib.parse import parse_qs, urlencode, urlparse, urlunparse

import flask
import sqlalchemy as sa

from . import app
from .db import session
from .enums import SOURCE_TYPES, StatusEnum
from .errors import AccessRestricted, BadRequest, InvalidForm, ObjectNotFound
from .logic import (NAME_RE, PACKAGE_NAME_RE, arg, as_bool, as_list, build_chroot_dict, build_dict,
                    build_finished, built_packages, check_chroots, copr_chroot, createrepo_action,
                    createrepo_actions,
                    delete_build_action, form, gen_key_action, get_build, get_copr, get_package,
                    login_required, mock_chroots, package_dict, paginate, project_dict,
                    require_edit, result_dirs, add_action)
from .models import (Batch, Build, BuildChroot, Copr, CoprChroot, Group, MockChroot, Package,
                     User, now)

api = flask.Blueprint("api3", __name__, url_prefix="/api_3")


def route(rule: str, methods: tuple[str, ...] = ("GET",)):
    """Register with and without a trailing slash (the client calls both spellings)."""

    def decorate(view):
        api.add_url_rule(rule, view_func=view, methods=list(methods), strict_slashes=False)
        return view

    return decorate


@route("/")
def root():
    return flask.jsonify({"version": 3})


@route("/auth-check")
@login_required
def auth_check():
    return flask.jsonify({"id": flask.g.user.id, "name": flask.g.user.username})


@route("/mock-chroots/list")
def mock_chroots_list():
    return flask.jsonify({name: chroot.comment or "" for name, chroot in sorted(mock_chroots().items())})


# -- projects -------------------------------------------------------------------------------------

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
    for key in ("repo_priority", "delete_after_days"):
        if key in data:
            setattr(copr, key, int(data[key]) if data[key] not in ("", None) else None)
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
    query = sa.select(Copr.id).filter_by(name=name)
    query = query.filter(Copr.group_id == group.id) if group else query.filter(
        Copr.user_id == owner.id, Copr.group_id.is_(None))
    return session.execute(query).first() is not None


def _validate_name(name: str | None, owner: User, group: Group | None, exist_ok: bool = False) -> dict:
    errors = {}
    if not name:
        errors["name"] = "This field is required."
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
    query = sa.select(Copr)
    ownername = arg("ownername")
    if ownername and ownername.startswith("@"):
        query = query.join(Group, Copr.group_id == Group.id).filter(Group.name == ownername[1:])
    elif ownername:
        query = query.join(User, Copr.user_id == User.id).filter(
            User.username == ownername, Copr.group_id.is_(None))
    page = paginate(query, Copr)
    page["items"] = [project_dict(copr) for copr in page["items"]]
    return flask.jsonify(page)


@route("/project/add/<ownername>", methods=("POST",))
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


@route("/project/edit/<ownername>/<projectname>", methods=("PUT", "POST"))
@login_required
def project_edit(ownername, projectname):
    copr = get_copr(ownername, projectname)
    require_edit(flask.g.user, copr, "Only owners and admins may update their projects.")
    data = form()
    _apply_project_fields(copr, data, "repos")
    added = _set_chroots(copr, as_list(data["chroots"])) if data.get("chroots") else []
    if added:
        createrepo_actions(copr, added, "chroots added")
    session.commit()
    return flask.jsonify(project_dict(copr))


@route("/project/delete/<ownername>/<projectname>", methods=("DELETE", "POST"))
@login_required
def project_delete(ownername, projectname):
    copr = get_copr(ownername, projectname)
    require_edit(flask.g.user, copr, "Only owners and admins may delete their projects.")
    if any(not build_finished(build) for build in copr.builds):
        raise BadRequest("Can not delete a project with unfinished builds; cancel them first.")
    result = project_dict(copr)
    add_action("delete", copr, {"ownername": copr.owner_name, "project_dirnames": [copr.name],
                                "storage": 0}, object_type="copr")
    for build in list(copr.builds):
        session.delete(build)
    session.delete(copr)
    session.commit()
    return flask.jsonify(result)


@route("/project/fork/<ownername>/<projectname>", methods=("POST", "PUT"))
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
                    source_json=old.source_json, source_status=StatusEnum.succeeded,
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


@route("/project/regenerate-repos/<ownername>/<projectname>", methods=("PUT", "POST"))
@login_required
def project_regenerate(ownername, projectname):
    copr = get_copr(ownername, projectname)
    require_edit(flask.g.user, copr)
    createrepo_action(copr, [c.name for c in copr.chroots], "regenerate-repos")
    session.commit()
    return flask.jsonify(project_dict(copr))


# -- project chroots ------------------------------------------------------------------------------

CHROOT_FIELDS = {"additional_packages": "buildroot_pkgs", "additional_repos": "repos",
                 "additional_modules": "module_toggle", "with_opts": "with_opts",
                 "without_opts": "without_opts", "isolation": "isolation",
                 "bootstrap": "bootstrap", "bootstrap_image": "bootstrap_image",
                 "delete_after_days": "delete_after_days", "comps_name": "comps_name"}
CHROOT_LIST_COLUMNS = ("buildroot_pkgs", "repos", "module_toggle", "with_opts", "without_opts")
CHROOT_DEFAULTS = {"buildroot_pkgs": "", "repos": "", "module_toggle": "", "with_opts": "",
                   "without_opts": "", "isolation": "unchanged", "bootstrap": None,
                   "bootstrap_image": None, "delete_after_days": None, "comps_name": None}


def project_chroot_dict(chroot: CoprChroot) -> dict:
    return {
        "mock_chroot": chroot.name, "projectname": chroot.copr.name,
        "ownername": chroot.copr.owner_name, "comps_name": chroot.comps_name,
        "additional_repos": as_list(chroot.repos),
        "additional_packages": as_list(chroot.buildroot_pkgs),
        "additional_modules": [m for m in (chroot.module_toggle or "").split(", ") if m],
        "with_opts": as_list(chroot.with_opts), "without_opts": as_list(chroot.without_opts),
        "delete_after_days": chroot.delete_after_days, "isolation": chroot.isolation,
    }


DEFAULT_REPO_PRIORITY = 99  # upstream leaves the default priority out of the repo entries


def _copr_of_repo(url: str) -> Copr | None:
    """The project a copr://<owner>/<project> repository names, if it exists."""
    parsed = urlparse(url)
    if parsed.scheme != "copr":
        return None
    try:
        return get_copr(parsed.netloc, parsed.path.split("/")[1])
    except (ObjectNotFound, BadRequest, IndexError):
        return None


def _expand_repo_url(chroot_name: str, url: str, internal: bool) -> str:
    """Upstream's pre_process_repo_url: copr://o/p becomes that project's results for this
    chroot, a `priority` query parameter is dropped, $chroot and $distname are expanded."""
    parsed = urlparse(url)
    query = parse_qs(parsed.query)
    if parsed.scheme == "copr":
        base = app.config["BACKEND_INTERNAL_URL" if internal else "BACKEND_PUBLIC_URL"]
        url = f"{base}/results/{parsed.netloc}/{parsed.path.split('/')[1]}/{chroot_name}/"
    elif "priority" in query:
        query.pop("priority")
        url = urlunparse(parsed._replace(query=urlencode(query, doseq=True)))
    return url.replace("$chroot", chroot_name).replace("$distname", chroot_name.rsplit("-", 2)[0])


def _repo_name(url: str) -> str:
    """Upstream's generate_repo_name: the URL with runs of other characters turned to '_'."""
    return re.sub(r"_+", "_", re.sub(r"[^a-zA-Z0-9]", "_", url)).strip("_")


def chroot_repos(chroot: CoprChroot, internal: bool = False) -> list[dict]:
    """The `repos` of a build config, shaped as upstream's BuildConfigLogic makes them."""
    from .logic import results_url
    copr = chroot.copr
    base = results_url(copr, internal)
    repos = [{"id": "copr_base", "baseurl": f"{base}/{chroot.name}/", "name": "Copr repository",
              "repo_gpgcheck": False}]
    if copr.module_hotfixes:
        repos[0]["module_hotfixes"] = True
    if not copr.auto_createrepo:
        repos.append({"id": "copr_base_devel", "baseurl": f"{base}/{chroot.name}/devel/",
                      "name": "Copr buildroot", "repo_gpgcheck": False})
    if copr.repo_priority not in (None, DEFAULT_REPO_PRIORITY):
        for repo in repos:
            repo["priority"] = copr.repo_priority
    for url in as_list(copr.repos) + as_list(chroot.repos):
        repo = {"id": _repo_name(url), "baseurl": _expand_repo_url(chroot.name, url, internal),
                "name": "Additional repo " + _repo_name(url)}
        priority = parse_qs(urlparse(url).query).get("priority")
        if priority:
            repo["priority"] = int(priority[0]) if priority[0].isnumeric() else priority[0]
        other = _copr_of_repo(url)
        if other is not None:
            repo["repo_gpgcheck"] = False
            if other.module_hotfixes:
                repo["module_hotfixes"] = True
        repos.append(repo)
    return repos


@route("/project-chroot")
def project_chroot_get():
    copr = get_copr(arg("ownername"), arg("projectname"))
    return flask.jsonify(project_chroot_dict(copr_chroot(copr, arg("chrootname"))))


@route("/project-chroot/build-config")
def project_chroot_build_config():
    copr = get_copr(arg("ownername"), arg("projectname"))
    chroot = copr_chroot(copr, arg("chrootname"))
    return flask.jsonify({
        "chroot": chroot.name, "repos": chroot_repos(chroot),
        "additional_repos": as_list(chroot.repos),
        "additional_packages": as_list(chroot.buildroot_pkgs),
        "additional_modules": as_list(chroot.module_toggle), "enable_net": copr.enable_net,
        "with_opts": as_list(chroot.with_opts), "without_opts": as_list(chroot.without_opts),
        "isolation": chroot.isolation, "bootstrap": chroot.bootstrap or copr.bootstrap,
        "bootstrap_image": chroot.bootstrap_image,
    })


@route("/project-chroot/edit/<ownername>/<projectname>/<chrootname>", methods=("PUT", "POST"))
@login_required
def project_chroot_edit(ownername, projectname, chrootname):
    copr = get_copr(ownername, projectname)
    require_edit(flask.g.user, copr)
    chroot = copr_chroot(copr, chrootname)
    data = form()
    for field in as_list(data.pop("reset_fields", None)):
        column = CHROOT_FIELDS.get(field, field)
        if column not in CHROOT_DEFAULTS:
            # Upstream's wording, including its odd `...' quoting (copr's sanity test greps it).
            raise BadRequest(f"Trying to reset an invalid attribute: {field}\n"
                             f"See `copr-cli get-chroot {copr.full_name}/{chroot.name}' "
                             "for all the possible attributes")
        setattr(chroot, column, CHROOT_DEFAULTS[column])
    for field, column in CHROOT_FIELDS.items():
        if field not in data:
            continue
        # An empty string clears a list field (`edit-chroot --repos ''`), as upstream; the
        # other fields ignore it.
        if data[field] == "" and column not in CHROOT_LIST_COLUMNS:
            continue
        value = data[field]
        if field == "additional_modules":
            value = ", ".join(as_list(value) if isinstance(value, list) else str(value).split(","))
        elif isinstance(value, list):
            value = " ".join(str(v) for v in value)
        setattr(chroot, column, value)
    if "upload_comps" in flask.request.files:
        chroot.comps_name = flask.request.files["upload_comps"].filename
    if as_bool(data.get("delete_comps", False)):
        chroot.comps_name = None
    session.commit()
    return flask.jsonify(project_chroot_dict(chroot))


# -- builds ---------------------------------------------------------------------------------------


def _build_copr(data: dict) -> Copr:
    copr = get_copr(data.get("ownername"), data.get("projectname"))
    user = flask.g.user
    if not (user.admin or copr.user_id == user.id or (copr.group and user in copr.group.members)):
        raise AccessRestricted(f"User {user.username} is not allowed to build in the copr: "
                               f"{copr.full_name}")
    return copr


def _build_chroots(copr: Copr, data: dict) -> list[MockChroot]:
    project = {c.name: c.mock_chroot for c in copr.chroots}
    requested = as_list(data.get("chroots")) or list(project)
    bad = [name for name in requested if name not in project]
    if bad:
        raise InvalidForm({"chroots": f"'{bad[0]}' is not a valid choice for this field"})
    excluded = set(as_list(data.get("exclude_chroots")))
    return [project[name] for name in requested if name not in excluded]


def _new_build(copr: Copr, data: dict, source_type: str, source: dict,
               package: Package | None = None) -> Build:
    timeout = int(data.get("timeout") or 18000)
    build = Build(copr=copr, user=flask.g.user, package=package,
                  source_type=SOURCE_TYPES[source_type], source_json=json.dumps(source),
                  source_status=StatusEnum.pending, submitted_on=now(), timeout=timeout,
                  enable_net=as_bool(data.get("enable_net", copr.enable_net)),
                  isolation=data.get("isolation") or "unchanged",
                  bootstrap=data.get("bootstrap"),
                  is_background=as_bool(data.get("background", False)))
    for chroot in _build_chroots(copr, data):
        build.chroots.append(BuildChroot(mock_chroot=chroot, status=StatusEnum.waiting))
    _batch(build, data)
    session.add(build)
    return build


def _batch(build: Build, data: dict) -> None:
    """--after-build-id waits for another build's batch; --with-build-id joins it."""
    after, with_ = data.get("after_build_id"), data.get("with_build_id")
    if after and with_:
        raise BadRequest("Only one of after_build_id and with_build_id can be given")
    if not (after or with_):
        return
    other = get_build(after or with_)
    if other.batch is None:
        other.batch = Batch()
    if with_:
        if build_finished(other):
            raise BadRequest(f"Build {other.id} is already finished; can not build with it")
        build.batch = other.batch
    else:
        build.batch = Batch(blocked_by=other.batch)


@route("/build/<int:build_id>")
def build_get(build_id):
    return flask.jsonify(build_dict(get_build(build_id)))


@route("/build/list")
def build_list():
    copr = get_copr(arg("ownername"), arg("projectname"))
    query = sa.select(Build).filter_by(copr_id=copr.id)
    if arg("packagename"):
        query = query.join(Package).filter(Package.name == arg("packagename"))
    page = paginate(query, Build)
    items = [build_dict(build) for build in page["items"]]
    if arg("status"):
        items = [item for item in items if item["state"] == arg("status")]
    page["items"] = items
    return flask.jsonify(page)


@route("/build/check-before-build", methods=("POST",))
@login_required
def build_check():
    data = form()
    copr = _build_copr(data)
    _build_chroots(copr, data)
    return flask.jsonify({"message": "It should be safe to submit a build like this"})


@route("/build/create/upload", methods=("POST",))
@login_required
def build_create_upload():
    data = form()
    copr = _build_copr(data)
    upload = flask.request.files.get("pkgs")
    if upload is None or not upload.filename:
        raise InvalidForm({"pkgs": "This field is required."})
    filename = os.path.basename(upload.filename)
    if not filename.endswith((".src.rpm", ".spec")):
        raise InvalidForm({"pkgs": "Only .src.rpm and .spec files are allowed."})
    tmp = "tmp" + secrets.token_hex(6)
    folder = os.path.join(app.config["STORAGE_DIR"], tmp)
    os.makedirs(folder, exist_ok=True)
    upload.save(os.path.join(folder, filename))
    source = {"url": f"{app.config['INTERNAL_URL']}/tmp/{tmp}/{filename}", "pkg": filename, "tmp": tmp}
    build = _new_build(copr, data, "upload", source)
    session.commit()
    return flask.jsonify(build_dict(build))


@route("/build/create/url", methods=("POST",))
@login_required
def build_create_url():
    data = form()
    copr = _build_copr(data)
    urls = as_list(data.get("pkgs"))
    if not urls:
        raise InvalidForm({"pkgs": "URLs to packages are required"})
    for url in urls:
        if not re.match(r"^(https?|ftp)://", url) or not url.endswith((".src.rpm", ".spec")):
            raise InvalidForm({"pkgs": f"Please enter a valid URL of a .src.rpm or .spec: {url}"})
    builds = [_new_build(copr, data, "link", {"url": url}) for url in urls]
    session.commit()
    return flask.jsonify({"items": [build_dict(b) for b in builds], "meta": {}})


@route("/build/cancel/<int:build_id>", methods=("PUT", "POST"))
@login_required
def build_cancel(build_id):
    build = get_build(build_id)
    require_edit(flask.g.user, build.copr, f"You are not allowed to cancel build {build_id}.")
    if build_finished(build):
        raise BadRequest(f"Cannot cancel build {build_id}")
    from .models import CancelRequest
    build.canceled = True
    if build.source_status in (StatusEnum.starting, StatusEnum.running):
        session.merge(CancelRequest(what=str(build.id)))
    if build.source_status in (StatusEnum.pending, StatusEnum.starting, StatusEnum.running,
                               StatusEnum.importing):
        build.source_status = StatusEnum.canceled
    for chroot in build.chroots:
        if chroot.status in (StatusEnum.starting, StatusEnum.running):
            session.merge(CancelRequest(what=chroot.task_id))
        if chroot.status not in (StatusEnum.succeeded, StatusEnum.failed, StatusEnum.skipped):
            chroot.status = StatusEnum.canceled
            chroot.ended_on = now()
    session.commit()
    return flask.jsonify(build_dict(build))


def _delete_builds(builds: list[Build]) -> None:
    for build in builds:
        require_edit(flask.g.user, build.copr, f"You are not allowed to delete build {build.id}.")
        if not build_finished(build):
            raise BadRequest(f"Build {build.id} is not finished yet; cancel it first.")
    for build in builds:
        if result_dirs(build):
            delete_build_action(build)
        session.delete(build)
    session.commit()


@route("/build/delete/<int:build_id>", methods=("DELETE", "POST"))
@login_required
def build_delete(build_id):
    build = get_build(build_id)
    result = build_dict(build)
    _delete_builds([build])
    return flask.jsonify(result)


@route("/build/delete/list", methods=("DELETE", "POST"))
@login_required
def build_delete_list():
    ids = [int(i) for i in form().get("builds", [])]
    _delete_builds([get_build(i) for i in ids])
    return flask.jsonify({"builds": ids})


@route("/build/built-packages/<int:build_id>")
def build_built_packages(build_id):
    return flask.jsonify(built_packages(get_build(build_id)))


@route("/build-chroot")
def build_chroot_get():
    build = get_build(arg("build_id"))
    chroot = next((c for c in build.chroots if c.name == arg("chrootname")), None)
    if chroot is None:
        raise ObjectNotFound(f"Build {build.id} has no chroot {arg('chrootname')}")
    return flask.jsonify(build_chroot_dict(chroot))


@route("/build-chroot/list")
def build_chroot_list():
    build = get_build(arg("build_id"))
    items = [build_chroot_dict(c) for c in sorted(build.chroots, key=lambda c: c.name)]
    return flask.jsonify({"items": items, "meta": {"limit": None, "offset": 0, "order": "id",
                                                   "order_type": "ASC"}})


@route("/build-chroot/built-packages")
def build_chroot_built_packages():
    build = get_build(arg("build_id"))
    return flask.jsonify(built_packages(build).get(arg("chrootname"), {"packages": []}))


# -- packages -------------------------------------------------------------------------------------

# The keys of each source type's Package.source_json, as upstream's package forms store them.
PACKAGE_SOURCE_FIELDS = {
    "scm": ("type", "clone_url", "subdirectory", "committish", "spec", "srpm_build_method"),
    "pypi": ("pypi_package_name", "pypi_package_version", "spec_generator", "spec_template",
             "python_versions"),
    "rubygems": ("gem_name",),
    "custom": ("script", "chroot", "builddeps", "resultdir", "repos"),
    "distgit": ("distgit", "namespace", "committish"),
}
# Request field -> source_json key (upstream's apiv3_packages.rename_fields, plus the SCM form's
# scm_type, which its source_json stores as "type").
PACKAGE_FIELD_RENAMES = {"source_build_method": "srpm_build_method", "scm_type": "type",
                         "script_builddeps": "builddeps", "script_resultdir": "resultdir",
                         "script_chroot": "chroot", "script_repos": "repos"}


def _package_fields(package: Package, source_type: str, data: dict) -> None:
    if source_type not in PACKAGE_SOURCE_FIELDS:
        raise BadRequest(f"Unsupported source type: {source_type}")
    # Lists arrive joined by spaces, except python_versions (upstream's get_form_compatible_data).
    data = {PACKAGE_FIELD_RENAMES.get(key, key):
            " ".join(map(str, value)) if isinstance(value, list) and key != "python_versions"
            else value for key, value in data.items()}
    # An edit keeps the stored values of the fields it does not send (upstream merges them).
    merged = {**package.source, **data}
    source = {key: merged[key] for key in PACKAGE_SOURCE_FIELDS[source_type] if key in merged}
    package.source_type = SOURCE_TYPES[source_type]
    package.source_json = json.dumps(source)
    if "webhook_rebuild" in data:
        package.webhook_rebuild = as_bool(data["webhook_rebuild"])
    if "max_builds" in data:
        package.max_builds = int(data["max_builds"] or 0)
    if "chroot_denylist" in data:
        package.chroot_denylist = " ".join(as_list(data["chroot_denylist"]))


def _package_request(ownername, projectname) -> tuple[Copr, dict]:
    copr = get_copr(ownername, projectname)
    require_edit(flask.g.user, copr, f"User '{flask.g.user.username}' can not modify packages of "
                                     f"project '{copr.full_name}'.")
    return copr, form()


@route("/package/add/<ownername>/<projectname>/<package_name>/<source_type_text>", methods=("POST",))
@login_required
def package_add(ownername, projectname, package_name, source_type_text):
    copr, data = _package_request(ownername, projectname)
    if not re.match(PACKAGE_NAME_RE, package_name):
        raise InvalidForm({"package_name": f"Please enter a valid package name in {PACKAGE_NAME_RE}"})
    if any(p.name == package_name for p in copr.packages):
        raise BadRequest(f"Package {package_name} already exists in copr {copr.full_name}.")
    package = Package(name=package_name)
    copr.packages.append(package)
    _package_fields(package, source_type_text, data)
    session.commit()
    return flask.jsonify(package_dict(package))


@route("/package/edit/<ownername>/<projectname>/<package_name>/<source_type_text>",
       methods=("POST", "PUT"))
@login_required
def package_edit(ownername, projectname, package_name, source_type_text):
    copr, data = _package_request(ownername, projectname)
    package = get_package(copr, package_name)
    _package_fields(package, source_type_text, data)
    session.commit()
    return flask.jsonify(package_dict(package))


@route("/package")
def package_get():
    copr = get_copr(arg("ownername"), arg("projectname"))
    package = get_package(copr, arg("packagename"))
    return flask.jsonify(package_dict(package, as_bool(arg("with_latest_build", False)),
                                      as_bool(arg("with_latest_succeeded_build", False))))


@route("/package/list")
def package_list():
    copr = get_copr(arg("ownername"), arg("projectname"))
    page = paginate(sa.select(Package).filter_by(copr_id=copr.id), Package)
    latest = as_bool(arg("with_latest_build", False))
    succeeded = as_bool(arg("with_latest_succeeded_build", False))
    page["items"] = [package_dict(p, latest, succeeded) for p in page["items"]]
    return flask.jsonify(page)


@route("/package/reset", methods=("PUT", "POST"))
@login_required
def package_reset():
    data = form()
    copr, _ = _package_request(data.get("ownername"), data.get("projectname"))
    package = get_package(copr, data.get("package_name"))
    package.source_type = SOURCE_TYPES["unset"]
    package.source_json = "{}"
    session.commit()
    return flask.jsonify(package_dict(package))


@route("/package/delete", methods=("DELETE", "POST"))
@login_required
def package_delete():
    data = form()
    copr, _ = _package_request(data.get("ownername"), data.get("projectname"))
    package = get_package(copr, data.get("package_name"))
    result = package_dict(package)
    builds = list(package.builds)
    if any(not build_finished(b) for b in builds):
        raise BadRequest(f"Package {package.name} has unfinished builds; cancel them first.")
    for build in builds:
        if result_dirs(build):
            delete_build_action(build)
        session.delete(build)
    session.delete(package)
    session.commit()
    return flask.jsonify(result)


@route("/package/build", methods=("POST",))
@login_required
def package_build():
    data = form()
    copr = _build_copr(data)
    package = get_package(copr, data.get("package_name"))
    previous = max(package.builds, key=lambda b: b.id, default=None)
    if package.source_type != SOURCE_TYPES["unset"]:
        from .enums import SOURCE_NAMES
        build = _new_build(copr, data, SOURCE_NAMES[package.source_type], package.source, package)
    elif previous is not None:
        build = _new_build(copr, data, "link", {"url": previous.srpm_url}, package)
    else:
        raise BadRequest(f"Package {package.name} has no source to build from")
    session.commit()
    return flask.jsonify(build_dict(build))


@app.get("/health")
def health():
    """Readiness: the database answers and the schema is at a revision."""
    from . import build_constants
    revision = session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    return flask.jsonify({"version": build_constants.VERSION, "fe_be_api": app.config["FE_BE_API_VERSION"],
                          "schema": revision})


@app.get("/tmp/<tmp>/<filename>")
def uploaded_file(tmp, filename):
    """Uploaded SRPMs and specs, for the builder to download."""
    return flask.send_from_directory(os.path.join(app.config["STORAGE_DIR"], tmp), filename)


app.register_blueprint(api)
