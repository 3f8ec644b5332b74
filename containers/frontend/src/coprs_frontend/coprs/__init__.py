"""The mock Copr frontend: APIv3 for copr-cli/python-copr, /backend/ routes for the services."""

import logging
import os

import flask

from . import build_constants

app = flask.Flask(__name__)
app.config.update(
    PUBLIC_URL=os.environ.get("PUBLIC_URL", "http://localhost:5000").rstrip("/"),
    INTERNAL_URL=os.environ.get("INTERNAL_URL", "http://frontend:5000").rstrip("/"),
    BACKEND_PUBLIC_URL=os.environ.get("BACKEND_PUBLIC_URL", "").rstrip("/"),
    BACKEND_INTERNAL_URL=os.environ.get("BACKEND_INTERNAL_URL", "").rstrip("/"),
    DIST_GIT_CLONE_URL=os.environ.get("DIST_GIT_CLONE_URL", "").rstrip("/"),
    BACKEND_PASSWORD=os.environ.get("BACKEND_PASSWORD", ""),
    STORAGE_DIR=os.environ.get("SRPM_STORAGE_DIR", "/var/lib/copr/data/srpm_storage"),
    FE_BE_API_VERSION=build_constants.FE_BE_API_VERSION,
    MAX_CONTENT_LENGTH=200 * 2**20,
)
logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

# Routes register on import.
from . import backend_api, db, errors  # noqa: E402
from .views import apiv3_ns, coprs_ns, health, tmp_ns  # noqa: E402,F401

apiv3_ns.register(app)

__all__ = ["app", "backend_api", "db", "errors"]
