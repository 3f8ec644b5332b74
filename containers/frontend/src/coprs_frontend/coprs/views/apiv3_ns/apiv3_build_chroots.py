"""/api_3/build-chroot/: a build's chroots, their build config and what each built (upstream's
apiv3_build_chroots.py)."""

import flask
import sqlalchemy as sa

from ...build_config import additional_repos, api_repos, bootstrap_setup, chroot_repos
from ...errors import BadRequest, ObjectNotFound
from ...logic import (arg, as_list, build_chroot_dict, built_packages, get_build, int_field,
                      paginate)
from ...models import BuildChroot
from . import route
from .apiv3_builds import MEMORY_LIMIT


def _build_id() -> int:
    errors: dict[str, list[str]] = {}
    build_id = int_field(errors, "build_id", arg("build_id"))
    if errors:
        raise BadRequest(str(errors))
    if build_id is None:
        raise BadRequest("Missing argument build_id")
    return build_id


def get_build_chroot(build_id: int, chrootname: str | None) -> BuildChroot:
    """Upstream's ComplexLogic.get_build_chroot: 404 texts for a missing build or chroot."""
    if not chrootname:
        raise BadRequest("Missing argument chrootname")
    build = get_build(build_id)
    chroot = next((c for c in build.chroots if c.name == chrootname), None)
    if chroot is None:
        raise ObjectNotFound(f"Build {build.id} was not submitted to {chrootname} chroot.")
    return chroot


@route("/build-chroot")
def build_chroot_get():
    return flask.jsonify(build_chroot_dict(get_build_chroot(_build_id(), arg("chrootname"))))


@route("/build-chroot/list")
def build_chroot_list():
    """Paginated as upstream (by id unless asked otherwise; python-copr <= 1.105 asked for
    `order=name`, which upstream ignores)."""
    build = get_build(_build_id())
    query = sa.select(BuildChroot).filter_by(build_id=build.id)
    page = paginate(query, BuildChroot, ignore_orders=("name",))
    page["items"] = [build_chroot_dict(chroot) for chroot in page["items"]]
    return flask.jsonify(page)


@route("/build-chroot/build-config")
def build_chroot_build_config():
    """What the chroot of this build builds with (upstream's BuildChrootConfig fields)."""
    chroot = get_build_chroot(_build_id(), arg("chrootname"))
    build, copr = chroot.build, chroot.build.copr
    project_chroot = next((c for c in copr.chroots if c.name == chroot.name), None)
    return flask.jsonify({
        "repos": api_repos(chroot_repos(project_chroot)) if project_chroot else [],
        "additional_repos": additional_repos(project_chroot) if project_chroot else [],
        "additional_packages": as_list(project_chroot.buildroot_pkgs) if project_chroot else [],
        "with_opts": as_list(project_chroot.with_opts) if project_chroot else [],
        "without_opts": as_list(project_chroot.without_opts) if project_chroot else [],
        "memory_limit": MEMORY_LIMIT, "timeout": build.timeout, "enable_net": build.enable_net,
        "is_background": build.is_background,
        **bootstrap_setup(copr, project_chroot, build.bootstrap),
    })


@route("/build-chroot/built-packages")
def build_chroot_built_packages():
    chroot = get_build_chroot(_build_id(), arg("chrootname"))
    return flask.jsonify(built_packages(chroot.build)[chroot.name])
