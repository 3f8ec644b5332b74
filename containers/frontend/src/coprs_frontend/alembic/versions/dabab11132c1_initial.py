"""Initial schema: users (the first revision; later versions migrate from here).

Revision ID: dabab11132c1
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "dabab11132c1"
down_revision = None


def upgrade():
    op.create_table(
        "user",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(100), nullable=False, unique=True),
        sa.Column("api_login", sa.String(40), nullable=False, unique=True),
        sa.Column("api_token", sa.String(40), nullable=False),
        sa.Column("api_token_expiration", sa.Date, nullable=False),
        sa.Column("admin", sa.Boolean, nullable=False, server_default=sa.false()),
    )


def downgrade():
    op.drop_table("user")
