"""/api_3/ itself, the login check and a new API token (upstream's apiv3_general.py and the
blueprint's root). GSSAPI login is not offered: the stack has no Kerberos."""

import datetime
import secrets
import string

import flask

from ...db import session
from ...logic import login_required
from . import POST, route

# Upstream's API_TOKEN_LENGTH and API_TOKEN_EXPIRATION; its login is shorter by the length of
# base64("copr") + "##".
TOKEN_LENGTH, LOGIN_LENGTH, TOKEN_DAYS = 30, 20, 180


def _random(length: int) -> str:
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(length))


@route("/")
def root():
    return flask.jsonify({"version": 3})


@route("/auth-check")
@login_required
def auth_check():
    return flask.jsonify({"id": flask.g.user.id, "name": flask.g.user.username})


@route("/api-token", methods=POST)
@login_required
def api_token():
    """A new login and token replace the old ones (which stop working at once)."""
    user = flask.g.user
    user.api_login, user.api_token = _random(LOGIN_LENGTH), _random(TOKEN_LENGTH)
    user.api_token_expiration = datetime.date.today() + datetime.timedelta(days=TOKEN_DAYS)
    session.commit()
    return flask.jsonify({"api_login": user.api_login, "api_token": user.api_token,
                          "expiration": str(user.api_token_expiration)})
