"""/api_3/webhook/: a project's webhook secret (upstream's apiv3_webhooks.py)."""

import uuid

import flask

from ...db import session
from ...logic import login_required
from . import NOT_ADMIN, POST, editable_copr, route


@route("/webhook/generate/<ownername>/<projectname>", methods=POST)
@login_required
@editable_copr(NOT_ADMIN)
def webhook_generate(copr):
    """A new secret replaces the previous one."""
    copr.webhook_secret = str(uuid.uuid4())
    session.commit()
    return flask.jsonify({"id": copr.id, "name": copr.name, "ownername": copr.owner_name,
                          "full_name": copr.full_name, "webhook_secret": copr.webhook_secret})
