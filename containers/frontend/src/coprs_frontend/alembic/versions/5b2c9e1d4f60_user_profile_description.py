"""Users get a profile description, filled in for every existing user (release 2.8).

Revision ID: 5b2c9e1d4f60
Revises: 3c7e5a9d2b14
"""

# schema level: 2

import sqlalchemy as sa
from alembic import op

revision = "5b2c9e1d4f60"
# Follows the level-1 revisions: every schema level is a prefix of the one chain.
down_revision = "3c7e5a9d2b14"


def upgrade():
    op.add_column("user", sa.Column("profile_description", sa.Text, nullable=True))
    op.execute("UPDATE \"user\" SET profile_description = 'Copr user ' || username")
    # New users (made by code that does not know the column) get an empty description.
    op.alter_column("user", "profile_description", nullable=False, server_default="")


def downgrade():
    op.drop_column("user", "profile_description")
