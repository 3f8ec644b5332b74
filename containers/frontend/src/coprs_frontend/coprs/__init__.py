"""The mock Copr frontend's Flask application."""

import os

import copr_common
import flask
import sqlalchemy

from . import build_constants

app = flask.Flask(__name__)
engine = sqlalchemy.create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True, future=True)


@app.get("/api_3/")
@app.get("/api_3")
def api_root():
    """The APIv3 root: python-copr checks it answers {"version": 3}."""
    return flask.jsonify({"version": 3})


@app.get("/health")
def health():
    """Readiness: the database answers and the schema is at a revision."""
    with engine.connect() as connection:
        revision = connection.execute(sqlalchemy.text("SELECT version_num FROM alembic_version")).scalar()
    return flask.jsonify(
        {
            "version": build_constants.VERSION,
            "copr_common": copr_common.__version__,
            "fe_be_api": build_constants.FE_BE_API_VERSION,
            "schema": revision,
        }
    )
