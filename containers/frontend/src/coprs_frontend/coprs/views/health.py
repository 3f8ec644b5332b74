"""/health: the readiness probe (the stand-in's own route; upstream has none)."""

import flask
import sqlalchemy as sa

from .. import app
from ..db import session


@app.get("/health")
def health():
    """Readiness: the database answers and the schema is at a revision."""
    from .. import build_constants
    revision = session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    return flask.jsonify({"version": build_constants.VERSION, "fe_be_api": app.config["FE_BE_API_VERSION"],
                          "schema": revision})
