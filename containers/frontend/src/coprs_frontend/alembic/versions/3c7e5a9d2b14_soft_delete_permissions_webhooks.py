"""Projects are marked deleted (a fork may still point at them, and the name is free again);
per-project permissions (builder/admin: nothing, requested, approved); webhook secrets.

Revision ID: 3c7e5a9d2b14
Revises: dabab11132c1
"""

# schema level: 1

from alembic import op

revision = "3c7e5a9d2b14"
down_revision = "dabab11132c1"


def upgrade():
    op.execute("ALTER TABLE copr ADD COLUMN deleted BOOLEAN NOT NULL DEFAULT false")
    op.execute("ALTER TABLE copr ADD COLUMN webhook_secret VARCHAR(100)")
    # A name is unique among the owner's live projects only (as upstream's partial indexes).
    op.execute("ALTER TABLE copr DROP CONSTRAINT copr_user_id_group_id_name_key")
    op.execute("CREATE UNIQUE INDEX copr_name_for_user_uniq ON copr (user_id, name) "
               "WHERE NOT deleted AND group_id IS NULL")
    op.execute("CREATE UNIQUE INDEX copr_name_in_group_uniq ON copr (group_id, name) "
               "WHERE NOT deleted AND group_id IS NOT NULL")
    op.execute("""
CREATE TABLE copr_permission (
    user_id INTEGER NOT NULL REFERENCES "user" (id),
    copr_id INTEGER NOT NULL REFERENCES copr (id),
    copr_builder SMALLINT NOT NULL DEFAULT 0,
    copr_admin SMALLINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, copr_id)
)""")


def downgrade():
    op.execute("DROP TABLE copr_permission")
    op.execute("DELETE FROM copr WHERE deleted")
    op.execute("DROP INDEX copr_name_in_group_uniq")
    op.execute("DROP INDEX copr_name_for_user_uniq")
    op.execute("ALTER TABLE copr ADD CONSTRAINT copr_user_id_group_id_name_key "
               "UNIQUE (user_id, group_id, name)")
    op.execute("ALTER TABLE copr DROP COLUMN webhook_secret")
    op.execute("ALTER TABLE copr DROP COLUMN deleted")
