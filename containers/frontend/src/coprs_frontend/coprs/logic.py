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
from .enums import FINISHED_STATES, SOURCE_NAMES, STATE_ORDER, StatusEnum, state_name
from .errors import AccessRestricted, BadRequest, InvalidForm, ObjectNotFound
from .models import (Build, BuildChroot, Copr, CoprChroot, CoprPermission, Group, MockChroot,
                     Package, User)

NAME_RE = re.compile(r"^[\w.-]+$")
NAME_MAX = 100  # project and package names are VARCHAR(100), as upstream's columns
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


# wtforms' messages, which upstream's forms answer with.
NOT_INTEGER = "Not a valid integer value."
NOT_A_CHOICE = "Not a valid choice."


def int_field(errors: dict, name: str, value, minimum: int | None = None,
              maximum: int | None = None) -> int | None:
    """`value` as an integer, or None when it is absent; a bad value adds upstream's form error
    for `name` to `errors` (wtforms' IntegerField and NumberRange wording)."""
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors.setdefault(name, []).append(NOT_INTEGER)
        return None
    if maximum is not None and minimum is not None and not minimum <= number <= maximum:
        errors.setdefault(name, []).append(f"Number must be between {minimum} and {maximum}.")
    elif minimum is not None and number < minimum:
        errors.setdefault(name, []).append(f"Number must be at least {minimum}.")
    return number


def pagination(ignore_orders: tuple[str, ...] = ()) -> dict:
    """limit, offset, order and order_type of the query string, checked like upstream's
    PaginationForm (400 with its errors dict; negative numbers are refused too, where upstream's
    database would fail)."""
    errors: dict[str, list[str]] = {}
    limit = int_field(errors, "limit", arg("limit"), minimum=0)
    offset = int_field(errors, "offset", arg("offset"), minimum=0)
    order_type = arg("order_type") or "ASC"
    if order_type not in ("ASC", "DESC"):
        errors["order_type"] = [NOT_A_CHOICE]
    if errors:
        raise BadRequest(str(errors))
    order = arg("order") if arg("order") not in ignore_orders else None
    return {"limit": limit or None, "offset": offset or 0, "order": order or "id",
            "order_type": order_type}


def order_column(model, order: str):
    """The column `order` names; upstream's texts when it is not one."""
    if not hasattr(model, order):
        raise BadRequest(f"Cannot order by {order}, {model.__tablename__} doesn't have such "
                         "property")
    if order not in sa.inspect(model).column_attrs.keys():
        raise BadRequest(f"Cannot order by {order}")
    return getattr(model, order)


def paginate(query, model, with_limit: bool = True, ignore_orders: tuple[str, ...] = ()) -> dict:
    """A list response: items plus meta with integer limit/offset (copr-cli pages with them).
    Without `with_limit`, the caller cuts the page itself (after filtering); `ignore_orders`
    are orderings an old client asks for that fall back to the default."""
    meta = pagination(ignore_orders)
    column = order_column(model, meta["order"])
    query = query.order_by(column.desc() if meta["order_type"] == "DESC" else column.asc())
    if meta["offset"]:
        query = query.offset(meta["offset"])
    if meta["limit"] and with_limit:
        query = query.limit(meta["limit"])
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


APPROVED = 2  # upstream's PermissionEnum: nothing 0, request 1, approved 2


def permission(user: User, copr: Copr) -> CoprPermission | None:
    return next((p for p in copr.permissions if p.user_id == user.id), None)


def can_edit(user: User, copr: Copr) -> bool:
    """Upstream's User.can_edit: the owner, a member of the owning group, an admin, or a user
    whose admin permission was approved."""
    if user.admin:
        return True
    if copr.group is not None and user in copr.group.members:
        return True
    if copr.group is None and copr.user_id == user.id:
        return True
    granted = permission(user, copr)
    return granted is not None and granted.copr_admin == APPROVED


def can_build_in(user: User, copr: Copr) -> bool:
    """May `user` submit builds into `copr`? (upstream's User.can_build_in: editors, and users
    with an approved builder or admin permission)."""
    if can_edit(user, copr):
        return True
    granted = permission(user, copr)
    return granted is not None and APPROVED in (granted.copr_builder, granted.copr_admin)


def require_edit(user: User, copr: Copr, message: str | None = None) -> None:
    if not can_edit(user, copr):
        raise AccessRestricted(message or f"User '{user.username}' can not modify project "
                                          f"'{copr.full_name}'.")


# -- lookups --------------------------------------------------------------------------------------


def get_copr(ownername: str | None, projectname: str | None) -> Copr:
    """A live (not deleted) project; 400 "Missing argument X" or 404 as upstream."""
    for name, value in (("ownername", ownername), ("projectname", projectname)):
        if not value:
            raise BadRequest(f"Missing argument {name}")
    query = sa.select(Copr).filter_by(name=projectname, deleted=False)
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
