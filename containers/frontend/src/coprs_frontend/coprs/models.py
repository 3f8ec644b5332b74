"""The frontend's database tables (SQLAlchemy ORM). The schema itself is made by alembic."""

import datetime
import json
import time

import sqlalchemy as sa
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()

user_group = sa.Table(
    "user_group", Base.metadata,
    sa.Column("user_id", sa.ForeignKey("user.id"), primary_key=True),
    sa.Column("group_id", sa.ForeignKey("group.id"), primary_key=True),
)


def now() -> int:
    return int(time.time())


class User(Base):
    __tablename__ = "user"
    id = sa.Column(sa.Integer, primary_key=True)
    username = sa.Column(sa.String(100), nullable=False, unique=True)
    api_login = sa.Column(sa.String(40), nullable=False, unique=True)
    api_token = sa.Column(sa.String(40), nullable=False)
    api_token_expiration = sa.Column(sa.Date, nullable=False)
    admin = sa.Column(sa.Boolean, nullable=False, default=False)
    groups = relationship("Group", secondary=user_group, back_populates="members")

    def token_valid(self) -> bool:
        return self.api_token_expiration >= datetime.date.today()


class Group(Base):
    __tablename__ = "group"
    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(100), nullable=False, unique=True)
    members = relationship("User", secondary=user_group, back_populates="groups")


class MockChroot(Base):
    __tablename__ = "mock_chroot"
    id = sa.Column(sa.Integer, primary_key=True)
    os_release = sa.Column(sa.String(50), nullable=False)
    os_version = sa.Column(sa.String(50), nullable=False)
    arch = sa.Column(sa.String(50), nullable=False)
    is_active = sa.Column(sa.Boolean, nullable=False, default=True)
    comment = sa.Column(sa.Text)

    @property
    def name(self) -> str:
        return f"{self.os_release}-{self.os_version}-{self.arch}"

    @property
    def name_release(self) -> str:
        return f"{self.os_release}-{self.os_version}"


class Copr(Base):
    """A project."""

    __tablename__ = "copr"
    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(100), nullable=False)
    user_id = sa.Column(sa.ForeignKey("user.id"), nullable=False)
    group_id = sa.Column(sa.ForeignKey("group.id"))
    description = sa.Column(sa.Text, default="")
    instructions = sa.Column(sa.Text, default="")
    homepage = sa.Column(sa.Text)
    contact = sa.Column(sa.Text)
    repos = sa.Column(sa.Text, default="")
    unlisted_on_hp = sa.Column(sa.Boolean, default=False)
    persistent = sa.Column(sa.Boolean, default=False)
    auto_prune = sa.Column(sa.Boolean, default=True)
    enable_net = sa.Column(sa.Boolean, default=False)
    auto_createrepo = sa.Column(sa.Boolean, default=True)
    bootstrap = sa.Column(sa.String(20), default="default")
    isolation = sa.Column(sa.String(20), default="default")
    module_hotfixes = sa.Column(sa.Boolean, default=False)
    appstream = sa.Column(sa.Boolean, default=False)
    follow_fedora_branching = sa.Column(sa.Boolean, default=True)
    repo_priority = sa.Column(sa.Integer)
    delete_after_days = sa.Column(sa.Integer)
    multilib = sa.Column(sa.Boolean, default=False)
    fedora_review = sa.Column(sa.Boolean, default=False)
    runtime_dependencies = sa.Column(sa.Text, default="")
    packit_forge_projects_allowed = sa.Column(sa.Text, default="")
    forked_from_id = sa.Column(sa.ForeignKey("copr.id"))
    created_on = sa.Column(sa.Integer, default=now)
    # A deleted project keeps its row (forks point at it); its name is free again (the unique
    # indexes cover live projects only).
    deleted = sa.Column(sa.Boolean, nullable=False, default=False)
    webhook_secret = sa.Column(sa.String(100))
    user = relationship("User")
    group = relationship("Group")
    chroots = relationship("CoprChroot", back_populates="copr", cascade="all, delete-orphan")
    packages = relationship("Package", back_populates="copr", cascade="all, delete-orphan")
    builds = relationship("Build", back_populates="copr", cascade="all, delete-orphan")
    permissions = relationship("CoprPermission", back_populates="copr",
                               cascade="all, delete-orphan")

    @property
    def owner_name(self) -> str:
        return f"@{self.group.name}" if self.group else self.user.username

    @property
    def full_name(self) -> str:
        return f"{self.owner_name}/{self.name}"

    @property
    def active_chroots(self) -> list["CoprChroot"]:
        return sorted(self.chroots, key=lambda c: c.mock_chroot.name)


class CoprPermission(Base):
    """What a user other than the owner may do in a project: builder and admin are each
    0 nothing, 1 requested, 2 approved (upstream's PermissionEnum)."""

    __tablename__ = "copr_permission"
    user_id = sa.Column(sa.ForeignKey("user.id"), primary_key=True)
    copr_id = sa.Column(sa.ForeignKey("copr.id"), primary_key=True)
    copr_builder = sa.Column(sa.SmallInteger, nullable=False, default=0)
    copr_admin = sa.Column(sa.SmallInteger, nullable=False, default=0)
    user = relationship("User")
    copr = relationship("Copr", back_populates="permissions")


class CoprChroot(Base):
    __tablename__ = "copr_chroot"
    id = sa.Column(sa.Integer, primary_key=True)
    copr_id = sa.Column(sa.ForeignKey("copr.id"), nullable=False)
    mock_chroot_id = sa.Column(sa.ForeignKey("mock_chroot.id"), nullable=False)
    buildroot_pkgs = sa.Column(sa.Text, default="")
    repos = sa.Column(sa.Text, default="")
    module_toggle = sa.Column(sa.Text, default="")
    with_opts = sa.Column(sa.Text, default="")
    without_opts = sa.Column(sa.Text, default="")
    isolation = sa.Column(sa.String(20), default="unchanged")
    bootstrap = sa.Column(sa.String(20))
    bootstrap_image = sa.Column(sa.Text)
    comps_name = sa.Column(sa.Text)
    delete_after_days = sa.Column(sa.Integer)
    copr = relationship("Copr", back_populates="chroots")
    mock_chroot = relationship("MockChroot")

    @property
    def name(self) -> str:
        return self.mock_chroot.name


class Package(Base):
    __tablename__ = "package"
    id = sa.Column(sa.Integer, primary_key=True)
    copr_id = sa.Column(sa.ForeignKey("copr.id"), nullable=False)
    name = sa.Column(sa.String(100), nullable=False)
    source_type = sa.Column(sa.Integer, default=0)
    source_json = sa.Column(sa.Text, default="{}")
    webhook_rebuild = sa.Column(sa.Boolean, default=False)
    max_builds = sa.Column(sa.Integer, default=0)
    chroot_denylist = sa.Column(sa.Text, default="")
    copr = relationship("Copr", back_populates="packages")
    builds = relationship("Build", back_populates="package")
    __table_args__ = (sa.UniqueConstraint("copr_id", "name"),)

    @property
    def source(self) -> dict:
        return json.loads(self.source_json or "{}")


class Batch(Base):
    __tablename__ = "batch"
    id = sa.Column(sa.Integer, primary_key=True)
    blocked_by_id = sa.Column(sa.ForeignKey("batch.id"))
    blocked_by = relationship("Batch", remote_side=[id])
    builds = relationship("Build", back_populates="batch")


class Build(Base):
    __tablename__ = "build"
    id = sa.Column(sa.Integer, primary_key=True)
    copr_id = sa.Column(sa.ForeignKey("copr.id"), nullable=False)
    package_id = sa.Column(sa.ForeignKey("package.id"))
    user_id = sa.Column(sa.ForeignKey("user.id"))
    batch_id = sa.Column(sa.ForeignKey("batch.id"))
    source_type = sa.Column(sa.Integer, default=0)
    source_json = sa.Column(sa.Text, default="{}")
    source_status = sa.Column(sa.Integer, default=4)
    pkg_version = sa.Column(sa.Text)
    srpm_url = sa.Column(sa.Text)
    result_dir = sa.Column(sa.Text, default="")
    submitted_on = sa.Column(sa.Integer, default=now)
    started_on = sa.Column(sa.Integer)
    ended_on = sa.Column(sa.Integer)
    timeout = sa.Column(sa.Integer, default=18000)
    enable_net = sa.Column(sa.Boolean, default=False)
    isolation = sa.Column(sa.String(20), default="unchanged")
    bootstrap = sa.Column(sa.String(20))
    canceled = sa.Column(sa.Boolean, default=False)
    is_background = sa.Column(sa.Boolean, default=False)
    fail_type = sa.Column(sa.Integer, default=0)
    results_json = sa.Column(sa.Text)
    copr = relationship("Copr", back_populates="builds")
    package = relationship("Package", back_populates="builds")
    user = relationship("User")
    batch = relationship("Batch", back_populates="builds")
    chroots = relationship("BuildChroot", back_populates="build", cascade="all, delete-orphan")


class BuildChroot(Base):
    __tablename__ = "build_chroot"
    id = sa.Column(sa.Integer, primary_key=True)
    build_id = sa.Column(sa.ForeignKey("build.id"), nullable=False)
    mock_chroot_id = sa.Column(sa.ForeignKey("mock_chroot.id"), nullable=False)
    status = sa.Column(sa.Integer, default=9)
    git_hash = sa.Column(sa.String(40))
    started_on = sa.Column(sa.Integer)
    ended_on = sa.Column(sa.Integer)
    result_dir = sa.Column(sa.Text, default="")
    build = relationship("Build", back_populates="chroots")
    mock_chroot = relationship("MockChroot")
    results = relationship("BuildChrootResult", cascade="all, delete-orphan")

    @property
    def name(self) -> str:
        return self.mock_chroot.name

    @property
    def task_id(self) -> str:
        return f"{self.build_id}-{self.name}"


class BuildChrootResult(Base):
    __tablename__ = "build_chroot_result"
    id = sa.Column(sa.Integer, primary_key=True)
    build_chroot_id = sa.Column(sa.ForeignKey("build_chroot.id"), nullable=False)
    name = sa.Column(sa.Text, nullable=False)
    epoch = sa.Column(sa.Integer)
    version = sa.Column(sa.Text, nullable=False)
    release = sa.Column(sa.Text, nullable=False)
    arch = sa.Column(sa.Text, nullable=False)


class Action(Base):
    __tablename__ = "action"
    id = sa.Column(sa.Integer, primary_key=True)
    action_type = sa.Column(sa.Integer, nullable=False)
    object_type = sa.Column(sa.String(20))
    object_id = sa.Column(sa.Integer)
    old_value = sa.Column(sa.String(255))
    new_value = sa.Column(sa.String(255))
    priority = sa.Column(sa.Integer, default=0)
    data = sa.Column(sa.Text)
    result = sa.Column(sa.Integer, default=0)
    message = sa.Column(sa.Text)
    created_on = sa.Column(sa.Integer, default=now)
    ended_on = sa.Column(sa.Integer)
    copr_id = sa.Column(sa.Integer)


class CancelRequest(Base):
    __tablename__ = "cancel_request"
    what = sa.Column(sa.String(100), primary_key=True)
