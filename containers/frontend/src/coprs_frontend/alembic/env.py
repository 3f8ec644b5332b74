"""Alembic environment: the database URL comes from the container's DATABASE_URL."""

import os

import sqlalchemy
from alembic import context

engine = sqlalchemy.create_engine(os.environ["DATABASE_URL"], future=True)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
