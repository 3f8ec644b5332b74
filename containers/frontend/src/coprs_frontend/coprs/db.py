"""The database session, one per request."""

import os

import sqlalchemy as sa
from sqlalchemy.orm import scoped_session, sessionmaker

from . import app

engine = sa.create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True, pool_size=5, future=True)
session = scoped_session(sessionmaker(bind=engine, future=True))


@app.teardown_appcontext
def _remove_session(_exc):
    session.remove()
