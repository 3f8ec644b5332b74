"""APIv3 (/api_3/): the blueprint, its route helper and the decorators the routes share.

One module per upstream module (views/apiv3_ns/apiv3_*.py upstream), so a route is where a
Copr developer would look for it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import flask

from ...errors import AccessRestricted
from ...logic import can_edit, get_copr

apiv3_ns = flask.Blueprint("apiv3_ns", __name__, url_prefix="/api_3")

# Upstream's HTTP method sets: writes take POST and the verb python-copr uses.
GET = ("GET",)
POST = ("POST",)
PUT = ("POST", "PUT")
DELETE = ("POST", "DELETE")

DEFAULT_DENIED = "User '{user}' can not modify project '{project}'."
# Upstream's @editable_copr refusal (permissions, regenerate-repos).
NOT_ADMIN = "User '{user}' can not see permissions for project '{project}' (missing admin rights)"


def route(rule: str, methods: tuple[str, ...] = GET):
    """Register with and without a trailing slash (the client calls both spellings)."""

    def decorate(view):
        apiv3_ns.add_url_rule(rule, view_func=view, methods=list(methods), strict_slashes=False)
        return view

    return decorate


def editable_copr(denied: str = DEFAULT_DENIED) -> Callable:
    """Load the project the URL's <ownername>/<projectname> names and refuse (403, `denied`
    formatted with {user} and {project}) a user who may not edit it; the view gets `copr`.
    Goes below `login_required`, which sets the user."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(ownername: str, projectname: str, **kwargs):
            copr = get_copr(ownername, projectname)
            user = flask.g.user
            if not can_edit(user, copr):
                raise AccessRestricted(denied.format(user=user.username, project=copr.full_name))
            return view(copr, **kwargs)

        return wrapper

    return decorate


def register(app: flask.Flask) -> None:
    """Import every route module (they add their routes to the blueprint), then mount it."""
    from . import (apiv3_build_chroots, apiv3_build_methods, apiv3_builds,  # noqa: F401
                   apiv3_general,
                   apiv3_mock_chroots, apiv3_monitor, apiv3_packages, apiv3_permissions,
                   apiv3_project_chroots, apiv3_projects, apiv3_rpmrepo, apiv3_webhooks)
    app.register_blueprint(apiv3_ns)
