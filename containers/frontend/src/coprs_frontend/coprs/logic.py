"""Shared frontend logic: authentication, permissions, lookups, derived states, serialisation."""

import base64
import functools
import hmac
import json
import re
from urllib.parse import urlparse

import flask
import sqlalchemy as sa

from . import app
from .db import session
from .enums import (ACTION_PRIORITY, ACTION_TYPES, FINISHED_STATES, SOURCE_NAMES, STATE_ORDER,
                    StatusEnum, state_name)
from .errors import AccessRestricted, BadRequest, InvalidForm, ObjectNotFound
from .models import (Action, Build, BuildChroot, Copr, CoprChroot, Group, MockChroot, Package,
                     User, now)

NAME_RE = re.compile(r"^[\w.-]+$")
PACKAGE_NAME_RE = r"^[-+_.a-zA-Z0-9]+$"


# -- requests -------------------------------------------------------------------------------------


def form() -> dict:
    """The request's fields: JSON body, or the `json` file part of a multipart upload."""
    request = flask.request
    if "json" in request.files:
        data = json.loads(request.files["json"].read() or b"{}")
    else:
        data = request.get_json(silent=True)
        if data is None:
            data = request.form.to_dict() if request.form else {}
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object")
    return {key: value for key, value in data.items() if value is not None}


def arg(name: str, default=None):
    return flask.request.args.get(name, default)


def as_bool(value) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("true", "1", "yes", "on", "y")


def as_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return str(value).split()


def paginate(query, model) -> dict:
    """A list response: items plus meta with integer limit/offset (copr-cli pages with them)."""
    limit = arg("limit")
    offset = int(arg("offset") or 0)
    order = arg("order") or "id"
    order_type = (arg("order_type") or "ASC").upper()
    column = getattr(model, order, model.id)
    query = query.order_by(column.desc() if order_type == "DESC" else column.asc())
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(int(limit))
    meta = {"limit": int(limit) if limit is not None else None, "offset": offset,
            "order": order, "order_type": order_type}
    return {"items": list(session.execute(query).scalars()), "meta": meta}


# -- users and permissions ------------------------------------------------------------------------


def _login_failed():
    host = urlparse(app.config["PUBLIC_URL"]).netloc
    response = flask.jsonify({
        "output": "notok",
        "error": f"Login invalid/expired. Please visit https://{host}/api to get or renew your API token.",
    })
    response.status_code = 401
    return response


def current_user() -> User | None:
    """The user of a valid HTTP Basic `login:token`, or None."""
    header = flask.request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None
    try:
        login, _, token = base64.b64decode(header[6:]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    user = session.execute(sa.select(User).filter_by(api_login=login)).scalar()
    if (user is None or not user.api_token
            or not hmac.compare_digest(user.api_token.encode(), token.encode())
            or not user.token_valid()):
        return None
    return user


def login_required(view):
    """Writes need a valid API token; otherwise 401 with upstream's body."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        user = current_user()
        if user is None:
            return _login_failed()
        flask.g.user = user
        return view(*args, **kwargs)

    return wrapper


def can_edit(user: User, copr: Copr) -> bool:
    if user.admin:
        return True
    if copr.group is not None:
        return user in copr.group.members
    return copr.user_id == user.id


def require_edit(user: User, copr: Copr, message: str | None = None) -> None:
    if not can_edit(user, copr):
        raise AccessRestricted(message or f"User '{user.username}' can not modify project "
                                          f"'{copr.full_name}'.")


# -- lookups --------------------------------------------------------------------------------------


def get_copr(ownername: str | None, projectname: str | None) -> Copr:
    if not ownername or not projectname:
        raise BadRequest("ownername and projectname are required")
    query = sa.select(Copr).filter_by(name=projectname)
    if ownername.startswith("@"):
        query = query.join(Group, Copr.group_id == Group.id).filter(Group.name == ownername[1:])
        missing = f"Project @{ownername[1:]}/{projectname} does not exist."
    else:
        query = query.join(User, Copr.user_id == User.id).filter(
            User.username == ownername, Copr.group_id.is_(None))
        missing = f"Project {ownername}/{projectname} does not exist."
    copr = session.execute(query).scalar()
    if copr is None:
        raise ObjectNotFound(missing)
    return copr


def get_build(build_id) -> Build:
    build = session.get(Build, int(build_id)) if str(build_id).isdigit() else None
    if build is None:
        raise ObjectNotFound(f"Build {build_id} does not exist.")
    return build


def get_package(copr: Copr, name: str | None) -> Package:
    package = next((p for p in copr.packages if p.name == name), None)
    if package is None:
        raise ObjectNotFound(f"No package with name {name} in copr {copr.name}")
    return package


def mock_chroots() -> dict[str, MockChroot]:
    rows = session.execute(sa.select(MockChroot).filter_by(is_active=True)).scalars()
    return {chroot.name: chroot for chroot in rows}


def copr_chroot(copr: Copr, name: str) -> CoprChroot:
    chroot = next((c for c in copr.chroots if c.name == name), None)
    if chroot is None:
        raise ObjectNotFound(f"Chroot name {name} does not exist in Copr {copr.full_name}.")
    return chroot


def check_chroots(names: list[str], field: str = "chroots") -> list[MockChroot]:
    known = mock_chroots()
    for name in names:
        if name not in known:
            raise InvalidForm({field: f"'{name}' is not a valid choice for this field"})
    return [known[name] for name in names]


# -- derived values -------------------------------------------------------------------------------


def build_state(build: Build) -> str:
    """Upstream's rule: source state first, then the most telling chroot state."""
    if build.canceled:
        return "canceled"
    if build.source_status in (StatusEnum.starting, StatusEnum.pending, StatusEnum.running,
                               StatusEnum.importing, StatusEnum.failed, StatusEnum.canceled):
        return state_name(build.source_status)
    states = {chroot.status for chroot in build.chroots}
    for state in STATE_ORDER:
        if state in states:
            return state_name(state)
    if states == {StatusEnum.waiting}:
        return "pending"
    return "waiting" if not states else state_name(min(states))


def build_finished(build: Build) -> bool:
    return build_state(build) in {state_name(s) for s in FINISHED_STATES} | {"forked"}


def results_url(copr: Copr, internal: bool = False) -> str:
    base = app.config["BACKEND_INTERNAL_URL" if internal else "BACKEND_PUBLIC_URL"]
    return f"{base}/results/{copr.owner_name}/{copr.name}"


def project_dict(copr: Copr) -> dict:
    return {
        "id": copr.id, "name": copr.name, "ownername": copr.owner_name,
        "full_name": copr.full_name, "homepage": copr.homepage, "contact": copr.contact,
        "description": copr.description, "instructions": copr.instructions,
        "devel_mode": not copr.auto_createrepo, "persistent": copr.persistent,
        "unlisted_on_hp": copr.unlisted_on_hp, "auto_prune": copr.auto_prune,
        "chroot_repos": {c.name: f"{results_url(copr)}/{c.name}/" for c in copr.active_chroots},
        "additional_repos": as_list(copr.repos), "enable_net": copr.enable_net,
        "bootstrap": copr.bootstrap, "isolation": copr.isolation,
        "module_hotfixes": copr.module_hotfixes, "appstream": copr.appstream,
        "packit_forge_projects_allowed": as_list(copr.packit_forge_projects_allowed),
        "follow_fedora_branching": copr.follow_fedora_branching,
        "repo_priority": copr.repo_priority, "storage": "backend",
    }


def build_dict(build: Build) -> dict:
    source = json.loads(build.source_json or "{}")
    started = [c.started_on for c in build.chroots if c.started_on] + (
        [build.started_on] if build.started_on else [])
    ended = [c.ended_on for c in build.chroots if c.ended_on]
    version = build.pkg_version
    return {
        "id": build.id, "state": build_state(build), "projectname": build.copr.name,
        "ownername": build.copr.owner_name, "repo_url": results_url(build.copr),
        "source_package": {"name": build.package.name if build.package else None,
                           "version": version, "url": build.srpm_url or source.get("url")},
        "submitted_on": build.submitted_on, "started_on": min(started) if started else None,
        "ended_on": max(ended) if ended and build_finished(build) else None,
        "submitter": build.user.username if build.user else None,
        "chroots": sorted(c.name for c in build.chroots),
        "project_dirname": build.copr.name, "is_background": build.is_background,
    }


def build_chroot_dict(chroot: BuildChroot) -> dict:
    copr = chroot.build.copr
    url = f"{results_url(copr)}/{chroot.name}/{chroot.result_dir}/" if chroot.result_dir else None
    return {"name": chroot.name, "state": state_name(chroot.status),
            "started_on": chroot.started_on, "ended_on": chroot.ended_on, "result_url": url}


def package_dict(package: Package, with_latest: bool = False, with_succeeded: bool = False) -> dict:
    source = dict(package.source)
    if "srpm_build_method" in source:
        source["source_build_method"] = source.pop("srpm_build_method")
    builds = sorted(package.builds, key=lambda b: b.id)
    latest = builds[-1] if builds else None
    succeeded = [b for b in builds if build_state(b) == "succeeded"]
    return {
        "id": package.id, "name": package.name, "ownername": package.copr.owner_name,
        "projectname": package.copr.name,
        "source_type": SOURCE_NAMES.get(package.source_type, "unset"), "source_dict": source,
        "auto_rebuild": package.webhook_rebuild,
        "builds": {
            "latest": build_dict(latest) if with_latest and latest else None,
            "latest_succeeded": build_dict(succeeded[-1]) if with_succeeded and succeeded else None,
        },
    }


def built_packages(build: Build) -> dict:
    return {c.name: {"packages": [{"name": r.name, "epoch": r.epoch, "version": r.version,
                                   "release": r.release, "arch": r.arch} for r in c.results]}
            for c in build.chroots}


# -- actions --------------------------------------------------------------------------------------


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
