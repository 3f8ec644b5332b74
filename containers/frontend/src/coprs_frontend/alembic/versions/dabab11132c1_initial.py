"""Initial schema: users, groups, chroots, projects, packages, builds, actions.

Revision ID: dabab11132c1
Revises:
"""

# schema level: 1

from alembic import op

revision = "dabab11132c1"
down_revision = None

# Frozen here on purpose: later revisions change the schema from this starting point.
SCHEMA = """
CREATE TABLE action (
    id SERIAL NOT NULL,
    action_type INTEGER NOT NULL,
    object_type VARCHAR(20),
    object_id INTEGER,
    old_value VARCHAR(255),
    new_value VARCHAR(255),
    priority INTEGER,
    data TEXT,
    result INTEGER,
    message TEXT,
    created_on INTEGER,
    ended_on INTEGER,
    copr_id INTEGER,
    PRIMARY KEY (id)
);
CREATE TABLE batch (
    id SERIAL NOT NULL,
    blocked_by_id INTEGER,
    PRIMARY KEY (id),
    FOREIGN KEY(blocked_by_id) REFERENCES batch (id)
);
CREATE TABLE cancel_request (
    what VARCHAR(100) NOT NULL,
    PRIMARY KEY (what)
);
CREATE TABLE "group" (
    id SERIAL NOT NULL,
    name VARCHAR(100) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (name)
);
CREATE TABLE mock_chroot (
    id SERIAL NOT NULL,
    os_release VARCHAR(50) NOT NULL,
    os_version VARCHAR(50) NOT NULL,
    arch VARCHAR(50) NOT NULL,
    is_active BOOLEAN NOT NULL,
    comment TEXT,
    PRIMARY KEY (id)
);
CREATE TABLE "user" (
    id SERIAL NOT NULL,
    username VARCHAR(100) NOT NULL,
    api_login VARCHAR(40) NOT NULL,
    api_token VARCHAR(40) NOT NULL,
    api_token_expiration DATE NOT NULL,
    admin BOOLEAN NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (username),
    UNIQUE (api_login)
);
CREATE TABLE copr (
    id SERIAL NOT NULL,
    name VARCHAR(100) NOT NULL,
    user_id INTEGER NOT NULL,
    group_id INTEGER,
    description TEXT,
    instructions TEXT,
    homepage TEXT,
    contact TEXT,
    repos TEXT,
    unlisted_on_hp BOOLEAN,
    persistent BOOLEAN,
    auto_prune BOOLEAN,
    enable_net BOOLEAN,
    auto_createrepo BOOLEAN,
    bootstrap VARCHAR(20),
    isolation VARCHAR(20),
    module_hotfixes BOOLEAN,
    appstream BOOLEAN,
    follow_fedora_branching BOOLEAN,
    repo_priority INTEGER,
    delete_after_days INTEGER,
    multilib BOOLEAN,
    fedora_review BOOLEAN,
    runtime_dependencies TEXT,
    packit_forge_projects_allowed TEXT,
    forked_from_id INTEGER,
    created_on INTEGER,
    PRIMARY KEY (id),
    UNIQUE (user_id, group_id, name),
    FOREIGN KEY(user_id) REFERENCES "user" (id),
    FOREIGN KEY(group_id) REFERENCES "group" (id),
    FOREIGN KEY(forked_from_id) REFERENCES copr (id)
);
CREATE TABLE user_group (
    user_id INTEGER NOT NULL,
    group_id INTEGER NOT NULL,
    PRIMARY KEY (user_id, group_id),
    FOREIGN KEY(user_id) REFERENCES "user" (id),
    FOREIGN KEY(group_id) REFERENCES "group" (id)
);
CREATE TABLE copr_chroot (
    id SERIAL NOT NULL,
    copr_id INTEGER NOT NULL,
    mock_chroot_id INTEGER NOT NULL,
    buildroot_pkgs TEXT,
    repos TEXT,
    module_toggle TEXT,
    with_opts TEXT,
    without_opts TEXT,
    isolation VARCHAR(20),
    bootstrap VARCHAR(20),
    bootstrap_image TEXT,
    comps_name TEXT,
    delete_after_days INTEGER,
    PRIMARY KEY (id),
    FOREIGN KEY(copr_id) REFERENCES copr (id),
    FOREIGN KEY(mock_chroot_id) REFERENCES mock_chroot (id)
);
CREATE TABLE package (
    id SERIAL NOT NULL,
    copr_id INTEGER NOT NULL,
    name VARCHAR(100) NOT NULL,
    source_type INTEGER,
    source_json TEXT,
    webhook_rebuild BOOLEAN,
    max_builds INTEGER,
    chroot_denylist TEXT,
    PRIMARY KEY (id),
    UNIQUE (copr_id, name),
    FOREIGN KEY(copr_id) REFERENCES copr (id)
);
CREATE TABLE build (
    id SERIAL NOT NULL,
    copr_id INTEGER NOT NULL,
    package_id INTEGER,
    user_id INTEGER,
    batch_id INTEGER,
    source_type INTEGER,
    source_json TEXT,
    source_status INTEGER,
    pkg_version TEXT,
    srpm_url TEXT,
    result_dir TEXT,
    submitted_on INTEGER,
    started_on INTEGER,
    ended_on INTEGER,
    timeout INTEGER,
    enable_net BOOLEAN,
    isolation VARCHAR(20),
    bootstrap VARCHAR(20),
    canceled BOOLEAN,
    is_background BOOLEAN,
    fail_type INTEGER,
    results_json TEXT,
    PRIMARY KEY (id),
    FOREIGN KEY(copr_id) REFERENCES copr (id),
    FOREIGN KEY(package_id) REFERENCES package (id),
    FOREIGN KEY(user_id) REFERENCES "user" (id),
    FOREIGN KEY(batch_id) REFERENCES batch (id)
);
CREATE TABLE build_chroot (
    id SERIAL NOT NULL,
    build_id INTEGER NOT NULL,
    mock_chroot_id INTEGER NOT NULL,
    status INTEGER,
    git_hash VARCHAR(40),
    started_on INTEGER,
    ended_on INTEGER,
    result_dir TEXT,
    PRIMARY KEY (id),
    FOREIGN KEY(build_id) REFERENCES build (id),
    FOREIGN KEY(mock_chroot_id) REFERENCES mock_chroot (id)
);
CREATE TABLE build_chroot_result (
    id SERIAL NOT NULL,
    build_chroot_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    epoch INTEGER,
    version TEXT NOT NULL,
    release TEXT NOT NULL,
    arch TEXT NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY(build_chroot_id) REFERENCES build_chroot (id)
);
"""

# The chroots this mock offers (labels only: builds use plain rpmbuild, no mock chroots).
MOCK_CHROOTS = [
    ("fedora", "43", "x86_64", ""),
    ("fedora", "44", "x86_64", ""),
    ("fedora", "44", "aarch64", ""),
    ("fedora", "rawhide", "x86_64", "the development branch"),
    ("epel", "9", "x86_64", ""),
    ("epel", "10", "x86_64", ""),
]


def upgrade():
    op.execute(SCHEMA)
    for release, version, arch, comment in MOCK_CHROOTS:
        op.execute(
            "INSERT INTO mock_chroot (os_release, os_version, arch, is_active, comment) "
            f"VALUES ('{release}', '{version}', '{arch}', true, '{comment}')"
        )


def downgrade():
    for table in ("build_chroot_result", "build_chroot", "build", "package", "copr_chroot",
                  "user_group", "copr", '"user"', "mock_chroot", '"group"', "cancel_request",
                  "batch", "action"):
        op.execute(f"DROP TABLE {table}")
