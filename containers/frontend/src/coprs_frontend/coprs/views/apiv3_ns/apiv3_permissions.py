"""/api_3/project/permissions/: who may build in or administer a project besides its owner
(upstream's apiv3_permissions.py). An approved `builder` may build and cancel builds; an
approved `admin` may also edit the project (logic.can_build_in, logic.can_edit)."""

import flask
import sqlalchemy as sa

from ...db import session
from ...errors import BadRequest, ObjectNotFound
from ...logic import can_build_in, get_copr, login_required
from ...models import Copr, CoprPermission, User
from . import NOT_ADMIN, PUT, editable_copr, route

STATES = {"nothing": 0, "request": 1, "approved": 2}  # upstream's PermissionEnum
NAMES = {number: name for name, number in STATES.items()}
COLUMNS = {"admin": "copr_admin", "builder": "copr_builder"}


def _user(name: str) -> User:
    user = session.execute(sa.select(User).filter_by(username=name)).scalar()
    if user is None:
        raise ObjectNotFound(f"User {name} does not exist.")
    return user


def _check(user: User, copr: Copr, permission: str, state: str) -> None:
    """Upstream's validate_permission texts."""
    if permission not in COLUMNS:
        raise BadRequest(f"invalid permission '{permission}', allowed admin|builder")
    if state not in STATES:
        raise BadRequest(f"invalid '{permission}' permission state '{state}', use "
                         f"{'|'.join(STATES)}")
    if user.id == copr.user_id:
        raise BadRequest(f"user '{user.username}' is owner of the '{copr.full_name}' project")


def _row(user: User, copr: Copr) -> CoprPermission:
    row = session.get(CoprPermission, (user.id, copr.id))
    if row is None:
        row = CoprPermission(user_id=user.id, copr_id=copr.id, copr_builder=0, copr_admin=0)
        session.add(row)
    return row


def _body() -> object:
    return flask.request.get_json(silent=True)


@route("/project/permissions/can_build_in/<who>/<ownername>/<projectname>")
def permissions_can_build_in(who, ownername, projectname):
    user = _user(who)
    copr = get_copr(ownername, projectname)
    # Upstream names the owner as copr.owner.name: a group without its '@'.
    owner = copr.group.name if copr.group else copr.user.username
    return flask.jsonify({"who": user.username, "ownername": owner, "projectname": copr.name,
                          "can_build_in": can_build_in(user, copr)})


@route("/project/permissions/get/<ownername>/<projectname>")
@login_required
@editable_copr(NOT_ADMIN)
def permissions_get(copr):
    rows = [row for row in copr.permissions]
    if not rows:
        raise ObjectNotFound(f"No permissions set on {copr.full_name} project")
    return flask.jsonify({"permissions": {
        row.user.username: {"admin": NAMES[row.copr_admin], "builder": NAMES[row.copr_builder]}
        for row in sorted(rows, key=lambda r: r.user.username)}})


@route("/project/permissions/set/<ownername>/<projectname>", methods=PUT)
@login_required
@editable_copr(NOT_ADMIN)
def permissions_set(copr):
    permissions = _body()
    if not isinstance(permissions, dict):
        raise BadRequest("request is not a dictionary, expected format: "
                         "{'username': {'admin': 'nothing', 'builder': 'request'} ...}")
    if not permissions:
        raise BadRequest("no permission change requested")
    updated = []
    for username, changes in permissions.items():
        user = session.execute(sa.select(User).filter_by(username=username)).scalar()
        if user is None:
            raise BadRequest(f"user '{username}' doesn't exist in database")
        for permission, state in (changes or {}).items():
            _check(user, copr, permission, state)
            row = _row(user, copr)
            if getattr(row, COLUMNS[permission]) != STATES[state]:
                setattr(row, COLUMNS[permission], STATES[state])
                if username not in updated:
                    updated.append(username)
    session.commit()
    return flask.jsonify({"updated": updated})


@route("/project/permissions/request/<ownername>/<projectname>", methods=PUT)
@login_required
def permissions_request(ownername, projectname):
    copr = get_copr(ownername, projectname)
    roles = _body()
    if not isinstance(roles, dict):
        raise BadRequest("invalid 'roles' dict format, expected: "
                         "{'admin': True, 'builder': False}")
    if not roles:
        raise BadRequest("no permission requested")
    user, updated = flask.g.user, False
    for permission, wanted in roles.items():
        if not isinstance(wanted, bool):
            raise BadRequest(f"invalid '{permission}' permission request '{wanted}', "
                             "expected True or False")
        state = "request" if wanted else "nothing"
        _check(user, copr, permission, state)
        row = _row(user, copr)
        old = getattr(row, COLUMNS[permission])
        if old == STATES["approved"] and state == "request":
            raise BadRequest(f"You already are '{permission}' in '{copr.full_name}'")
        if old != STATES[state]:
            setattr(row, COLUMNS[permission], STATES[state])
            updated = True
    session.commit()
    return flask.jsonify({"updated": updated})
