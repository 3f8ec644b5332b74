"""/api_3/package/: read, list, add, edit, reset, build, delete (upstream's apiv3_packages.py)."""

import json
import re

import flask
import sqlalchemy as sa

from ...db import session
from ...enums import SOURCE_NAMES, SOURCE_TYPES
from ...errors import AccessRestricted, BadRequest, Conflict, InvalidForm, ObjectNotFound
from ...actions_logic import delete_build_action, result_dirs
from ...logic import (NAME_MAX, PACKAGE_NAME_RE, arg, as_bool, as_list, build_dict,
                      build_finished, can_edit, form, get_copr, get_package, int_field,
                      login_required, package_dict, paginate)
from ...models import Package
from . import DELETE, POST, PUT, editable_copr, route
from .apiv3_build_methods import distgit_clone_url
from .apiv3_builds import build_copr, new_build

# The keys of each source type's Package.source_json, as upstream's package forms store them.
PACKAGE_SOURCE_FIELDS = {
    "scm": ("type", "clone_url", "subdirectory", "committish", "spec", "srpm_build_method"),
    "pypi": ("pypi_package_name", "pypi_package_version", "spec_generator", "spec_template",
             "python_versions"),
    "rubygems": ("gem_name",),
    "custom": ("script", "chroot", "builddeps", "resultdir", "repos"),
    "distgit": ("distgit", "namespace", "committish"),
}
# Request field -> source_json key (upstream's apiv3_packages.rename_fields, plus the SCM form's
# scm_type, which its source_json stores as "type").
PACKAGE_FIELD_RENAMES = {"source_build_method": "srpm_build_method", "scm_type": "type",
                         "script_builddeps": "builddeps", "script_resultdir": "resultdir",
                         "script_chroot": "chroot", "script_repos": "repos"}


def _package_fields(package: Package, source_type: str, data: dict) -> None:
    if source_type not in PACKAGE_SOURCE_FIELDS:
        raise BadRequest(f"Unsupported package source type {source_type}")
    # Lists arrive joined by spaces, except python_versions (upstream's get_form_compatible_data).
    data = {PACKAGE_FIELD_RENAMES.get(key, key):
            " ".join(map(str, value)) if isinstance(value, list) and key != "python_versions"
            else value for key, value in data.items()}
    # An edit keeps the stored values of the fields it does not send (upstream merges them).
    merged = {**package.source, **data}
    source = {key: merged[key] for key in PACKAGE_SOURCE_FIELDS[source_type] if key in merged}
    if source_type == "distgit":
        # Upstream's distgit package form stores the clone URL its builds clone.
        source = {"clone_url": distgit_clone_url(package.name, source.get("namespace")), **source}
    package.source_type = SOURCE_TYPES[source_type]
    package.source_json = json.dumps(source)
    if "webhook_rebuild" in data:
        package.webhook_rebuild = as_bool(data["webhook_rebuild"])
    if "max_builds" in data:
        errors: dict[str, list[str]] = {}
        package.max_builds = int_field(errors, "max_builds", data["max_builds"], 0, 100) or 0
        if errors:
            raise InvalidForm({"max_builds": errors["max_builds"][0]})
    if "chroot_denylist" in data:
        package.chroot_denylist = " ".join(as_list(data["chroot_denylist"]))


# Upstream's refusals (process_package_add_or_edit, PackagesLogic.reset/delete_package).
EDIT_DENIED = "You are not allowed to add or edit packages in this copr."


def _package_of_body(action: str) -> tuple[Package, dict]:
    """The package a body-addressed route names, if the user may `action` ("reset",
    "delete") it, and the body."""
    data = form()
    copr = get_copr(data.get("ownername"), data.get("projectname"))
    package = get_package(copr, data.get("package_name"))
    if not can_edit(flask.g.user, copr):
        raise AccessRestricted(f"You are not allowed to {action} package `{package.id}`.")
    return package, data


@route("/package/add/<ownername>/<projectname>/<package_name>/<source_type_text>", methods=POST)
@login_required
@editable_copr(EDIT_DENIED)
def package_add(copr, package_name, source_type_text):
    data = form()
    if source_type_text not in PACKAGE_SOURCE_FIELDS:
        raise BadRequest(f"Unsupported package source type {source_type_text}")
    if len(package_name) > NAME_MAX:
        raise InvalidForm({"package_name": f"Field cannot be longer than {NAME_MAX} characters."})
    if not re.match(PACKAGE_NAME_RE, package_name):
        raise InvalidForm({"package_name": f"Please enter a valid package name in {PACKAGE_NAME_RE}"})
    if any(p.name == package_name for p in copr.packages):
        raise Conflict(f"Package {package_name} already exists in copr {copr.full_name}.")
    package = Package(name=package_name)
    copr.packages.append(package)
    _package_fields(package, source_type_text, data)
    session.commit()
    return flask.jsonify(package_dict(package))


@route("/package/edit/<ownername>/<projectname>/<package_name>", methods=POST)
@route("/package/edit/<ownername>/<projectname>/<package_name>/<source_type_text>", methods=POST)
@login_required
def package_edit(ownername, projectname, package_name, source_type_text=None):
    """Without a type in the URL, the package keeps its own (upstream)."""
    copr = get_copr(ownername, projectname)
    package = next((p for p in copr.packages if p.name == package_name), None)
    if package is None:
        raise ObjectNotFound(f"Package {package_name} does not exists in copr {copr.full_name}.")
    if not can_edit(flask.g.user, copr):
        raise AccessRestricted(EDIT_DENIED)
    source_type_text = source_type_text or SOURCE_NAMES.get(package.source_type, "unset")
    if source_type_text not in PACKAGE_SOURCE_FIELDS:
        raise BadRequest(f"Unsupported package source type {source_type_text}")
    _package_fields(package, source_type_text, form())
    session.commit()
    return flask.jsonify(package_dict(package))


@route("/package")
def package_get():
    copr = get_copr(arg("ownername"), arg("projectname"))
    package = get_package(copr, arg("packagename"))
    return flask.jsonify(package_dict(package, as_bool(arg("with_latest_build", False)),
                                      as_bool(arg("with_latest_succeeded_build", False))))


@route("/package/list")
def package_list():
    copr = get_copr(arg("ownername"), arg("projectname"))
    page = paginate(sa.select(Package).filter_by(copr_id=copr.id), Package)
    latest = as_bool(arg("with_latest_build", False))
    succeeded = as_bool(arg("with_latest_succeeded_build", False))
    page["items"] = [package_dict(p, latest, succeeded) for p in page["items"]]
    return flask.jsonify(page)


@route("/package/reset", methods=PUT)
@login_required
def package_reset():
    package, _ = _package_of_body("reset")
    package.source_type = SOURCE_TYPES["unset"]
    package.source_json = "{}"
    session.commit()
    return flask.jsonify(package_dict(package))


@route("/package/delete", methods=DELETE)
@login_required
def package_delete():
    package, _ = _package_of_body("delete")
    result = package_dict(package)
    builds = list(package.builds)
    if any(not build_finished(b) for b in builds):
        raise BadRequest(f"Package {package.name} has unfinished builds; cancel them first.")
    for build in builds:
        if result_dirs(build):
            delete_build_action(build)
        session.delete(build)
    session.delete(package)
    session.commit()
    return flask.jsonify(result)


@route("/package/build", methods=POST)
@login_required
def package_build():
    data = form()
    copr = build_copr(data)
    package = get_package(copr, data.get("package_name"))
    if package.source_type == SOURCE_TYPES["unset"]:
        # Upstream's text, two spaces and all: its build_package hands the exception a sentence
        # where the exception expects a package name, so the name arrives wrapped in it.
        named = f"Unset default source for package {package.name}"
        raise BadRequest(f"Package '{named}' doesn't have the default source method "
                         "set, but it is required for the rebuild request.  Please configure "
                         "some source  method first")
    build = new_build(copr, data, SOURCE_NAMES[package.source_type], package.source, package)
    session.commit()
    return flask.jsonify(build_dict(build))
