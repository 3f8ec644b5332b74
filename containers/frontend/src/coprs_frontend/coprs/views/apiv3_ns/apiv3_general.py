"""/api_3/ itself and the login check (upstream's apiv3_general.py and the blueprint's root)."""

import flask

from ...logic import login_required
from . import route


@route("/")
def root():
    return flask.jsonify({"version": 3})


@route("/auth-check")
@login_required
def auth_check():
    return flask.jsonify({"id": flask.g.user.id, "name": flask.g.user.username})
