"""Users get a profile description, filled in for every existing user (release 2.8).

Revision ID: 5b2c9e1d4f60
Revises: dabab11132c1
"""

# schema level: 2

import sqlalchemy as sa
from alembic import op

revision = "5b2c9e1d4f60"
down_revision = "dabab11132c1"


def upgrade():
    op.add_column("user", sa.Column("profile_description", sa.Text, nullable=True))
    op.execute("UPDATE \"user\" SET profile_description = 'Copr user ' || username")
    # New users (made by code that does not know the column) get an empty description.
    op.alter_column("user", "profile_description", nullable=False, server_default="")


def downgrade():
    op.drop_column("user", "profile_description")
