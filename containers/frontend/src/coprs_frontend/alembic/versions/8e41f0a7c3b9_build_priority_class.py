"""Builds get a priority class -- a broken revision, kept to rehearse a failed migration: it adds
a NOT NULL column without a default, which fails as soon as the table has rows.

Revision ID: 8e41f0a7c3b9
Revises: 5b2c9e1d4f60
"""

# schema level: 3

import sqlalchemy as sa
from alembic import op

revision = "8e41f0a7c3b9"
down_revision = "5b2c9e1d4f60"


def upgrade():
    op.add_column("build", sa.Column("priority_class", sa.Integer, nullable=False))


def downgrade():
    op.drop_column("build", "priority_class")
