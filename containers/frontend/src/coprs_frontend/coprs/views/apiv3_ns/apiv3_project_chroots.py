"""/api_3/project-chroot/: a project's chroot settings and build config (upstream's
apiv3_project_chroots.py)."""

import flask

from ...build_config import additional_repos, api_repos, chroot_repos
from ...db import session
from ...errors import BadRequest
from ...logic import arg, as_bool, as_list, copr_chroot, form, get_copr, login_required
from ...models import CoprChroot
from . import PUT, editable_copr, route

CHROOT_FIELDS = {"additional_packages": "buildroot_pkgs", "additional_repos": "repos",
                 "additional_modules": "module_toggle", "with_opts": "with_opts",
                 "without_opts": "without_opts", "isolation": "isolation",
                 "bootstrap": "bootstrap", "bootstrap_image": "bootstrap_image",
                 "delete_after_days": "delete_after_days", "comps_name": "comps_name"}
CHROOT_LIST_COLUMNS = ("buildroot_pkgs", "repos", "module_toggle", "with_opts", "without_opts")
CHROOT_DEFAULTS = {"buildroot_pkgs": "", "repos": "", "module_toggle": "", "with_opts": "",
                   "without_opts": "", "isolation": "unchanged", "bootstrap": None,
                   "bootstrap_image": None, "delete_after_days": None, "comps_name": None}


def project_chroot_dict(chroot: CoprChroot) -> dict:
    return {
        "mock_chroot": chroot.name, "projectname": chroot.copr.name,
        "ownername": chroot.copr.owner_name, "comps_name": chroot.comps_name,
        "additional_repos": as_list(chroot.repos),
        "additional_packages": as_list(chroot.buildroot_pkgs),
        "additional_modules": [m for m in (chroot.module_toggle or "").split(", ") if m],
        "with_opts": as_list(chroot.with_opts), "without_opts": as_list(chroot.without_opts),
        "delete_after_days": chroot.delete_after_days, "isolation": chroot.isolation,
    }


@route("/project-chroot")
def project_chroot_get():
    copr = get_copr(arg("ownername"), arg("projectname"))
    return flask.jsonify(project_chroot_dict(copr_chroot(copr, arg("chrootname"))))


@route("/project-chroot/build-config")
def project_chroot_build_config():
    copr = get_copr(arg("ownername"), arg("projectname"))
    chroot = copr_chroot(copr, arg("chrootname"))
    # Upstream's ProjectChrootBuildConfig: no bootstrap fields (its marshalling drops them).
    return flask.jsonify({
        "chroot": chroot.name, "repos": api_repos(chroot_repos(chroot)),
        "additional_repos": additional_repos(chroot),
        "additional_packages": as_list(chroot.buildroot_pkgs),
        "additional_modules": as_list(chroot.module_toggle), "enable_net": copr.enable_net,
        "with_opts": as_list(chroot.with_opts), "without_opts": as_list(chroot.without_opts),
        "isolation": chroot.isolation,
    })


@route("/project-chroot/edit/<ownername>/<projectname>/<chrootname>", methods=PUT)
@login_required
@editable_copr()
def project_chroot_edit(copr, chrootname):
    chroot = copr_chroot(copr, chrootname)
    data = form()
    for field in as_list(data.pop("reset_fields", None)):
        column = CHROOT_FIELDS.get(field, field)
        if column not in CHROOT_DEFAULTS:
            # Upstream's wording, including its odd `...' quoting (copr's sanity test greps it).
            raise BadRequest(f"Trying to reset an invalid attribute: {field}\n"
                             f"See `copr-cli get-chroot {copr.full_name}/{chroot.name}' "
                             "for all the possible attributes")
        setattr(chroot, column, CHROOT_DEFAULTS[column])
    for field, column in CHROOT_FIELDS.items():
        if field not in data:
            continue
        # An empty string clears a list field (`edit-chroot --repos ''`), as upstream; the
        # other fields ignore it.
        if data[field] == "" and column not in CHROOT_LIST_COLUMNS:
            continue
        value = data[field]
        if field == "additional_modules":
            value = ", ".join(as_list(value) if isinstance(value, list) else str(value).split(","))
        elif isinstance(value, list):
            value = " ".join(str(v) for v in value)
        setattr(chroot, column, value)
    if "upload_comps" in flask.request.files:
        chroot.comps_name = flask.request.files["upload_comps"].filename
    if as_bool(data.get("delete_comps", False)):
        chroot.comps_name = None
    session.commit()
    return flask.jsonify(project_chroot_dict(chroot))
