"""/api_3/build-chroot/: a build's chroots and what each built (upstream's
apiv3_build_chroots.py)."""

import flask

from ...errors import ObjectNotFound
from ...logic import arg, build_chroot_dict, built_packages, get_build
from . import route

@route("/build-chroot")
def build_chroot_get():
    build = get_build(arg("build_id"))
    chroot = next((c for c in build.chroots if c.name == arg("chrootname")), None)
    if chroot is None:
        raise ObjectNotFound(f"Build {build.id} has no chroot {arg('chrootname')}")
    return flask.jsonify(build_chroot_dict(chroot))


@route("/build-chroot/list")
def build_chroot_list():
    build = get_build(arg("build_id"))
    items = [build_chroot_dict(c) for c in sorted(build.chroots, key=lambda c: c.name)]
    return flask.jsonify({"items": items, "meta": {"limit": None, "offset": 0, "order": "id",
                                                   "order_type": "ASC"}})


@route("/build-chroot/built-packages")
def build_chroot_built_packages():
    build = get_build(arg("build_id"))
    return flask.jsonify(built_packages(build).get(arg("chrootname"), {"packages": []}))
