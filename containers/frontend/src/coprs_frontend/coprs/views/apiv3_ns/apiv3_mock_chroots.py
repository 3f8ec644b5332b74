"""/api_3/mock-chroots/ (upstream's apiv3_mock_chroots.py)."""

import flask

from ...logic import mock_chroots
from . import route


@route("/mock-chroots/list")
def mock_chroots_list():
    return flask.jsonify({name: chroot.comment or "" for name, chroot in sorted(mock_chroots().items())})
