"""/api_3/monitor: the latest build of every package in every chroot (upstream's
apiv3_monitor.py, which streams the same JSON)."""

import flask

from ...enums import state_name
from ...errors import BadRequest
from ...logic import arg, build_chroot_dict, get_copr
from ...models import BuildChroot, Copr
from . import route

ADDITIONAL_FIELDS = ("url_build_log", "url_backend_log", "url_build")


def _log_url(chroot: BuildChroot, name: str, raw_states: tuple[str, ...]) -> str | None:
    """Upstream's _compressed_log_variant: the plain log while it is written, then .gz."""
    url = build_chroot_dict(chroot)["result_url"]
    if not url:
        return None
    state = state_name(chroot.status)
    return f"{url}{name}" if state in raw_states else f"{url}{name}.gz"


def _packages(copr: Copr, fields: set[str]) -> list[dict]:
    packages = []
    for package in sorted(copr.packages, key=lambda p: p.name):
        latest: dict[str, BuildChroot] = {}
        for build in sorted(package.builds, key=lambda b: b.id):
            for chroot in build.chroots:
                latest[chroot.name] = chroot
        chroots = {}
        for name, chroot in sorted(latest.items()):
            entry = {"state": state_name(chroot.status), "status": chroot.status,
                     "build_id": chroot.build_id}
            if "url_build_log" in fields:
                entry["url_build_log"] = _log_url(chroot, "builder-live.log", ("running",))
            if "url_backend_log" in fields:
                entry["url_backend_log"] = _log_url(chroot, "backend.log",
                                                    ("pending", "starting", "running"))
            entry["pkg_version"] = chroot.build.pkg_version
            chroots[name] = entry
        packages.append({"name": package.name, "chroots": chroots})
    return packages


@route("/monitor")
def monitor():
    copr = get_copr(arg("ownername"), arg("projectname"))
    fields = set(flask.request.args.getlist("additional_fields[]"))
    bad = sorted(field for field in fields if field not in ADDITIONAL_FIELDS)
    if bad:
        raise BadRequest("Wrong additional_fields argument(s): " + ", ".join(bad))
    return flask.jsonify({"output": "ok", "message": "Project monitor request successful",
                          "packages": _packages(copr, fields)})
