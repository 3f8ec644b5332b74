"""/api_3/build/: read, list, create (upload, url), cancel, delete (upstream's apiv3_builds.py)."""

import fnmatch
import json
import os
import re
import secrets

import flask
import sqlalchemy as sa

from ... import app
from ...db import session
from ...enums import SOURCE_NAMES, SOURCE_TYPES, StatusEnum, state_name
from ...errors import AccessRestricted, BadRequest, Conflict
from ...actions_logic import delete_build_action, delete_builds_action, result_dirs
from ...logic import (arg, as_bool, as_list, build_dict, build_finished, built_packages,
                      can_build_in, can_edit, form, get_build, get_copr, int_field,
                      login_required, paginate, results_url)
from ...models import Batch, Build, BuildChroot, CancelRequest, Copr, MockChroot, Package, now
from . import DELETE, POST, PUT, route


DEFAULT_BUILD_TIMEOUT = 5 * 3600
MEMORY_LIMIT = 2048  # what the backend's build tasks ask for (upstream: the build's memory_reqs)
MIN_BUILD_TIMEOUT, MAX_BUILD_TIMEOUT = 0, 108000  # upstream's config defaults


def build_copr(data: dict, errors: dict | None = None) -> Copr:
    """The project a build goes to, in upstream's order of refusals: 404 for a missing project,
    400 "Bad request parameters: {...}" for the form (`errors` from the caller, plus the
    build options'), 403 for a user who may not build there."""
    copr = get_copr(data.get("ownername"), data.get("projectname"))
    errors = {**(errors or {}), **build_option_errors(copr, data)}
    if errors:
        raise BadRequest(f"Bad request parameters: {errors}")
    user = flask.g.user
    if not can_build_in(user, copr):
        raise AccessRestricted(f"User {user.username} is not allowed to build in the copr: "
                               f"{copr.full_name}")
    return copr


def build_option_errors(copr: Copr, data: dict) -> dict[str, list[str]]:
    """Upstream's build form checks of the options every build method shares."""
    errors: dict[str, list[str]] = {}
    names = sorted(c.name for c in copr.chroots)
    for field in ("chroots", "exclude_chroots"):
        for pattern in as_list(data.get(field)):
            if pattern not in names and not fnmatch.filter(names, pattern):
                errors.setdefault(field, []).append(f"'{pattern}' is not a valid choice for "
                                                    "this field.")
    int_field(errors, "timeout", data.get("timeout"), MIN_BUILD_TIMEOUT, MAX_BUILD_TIMEOUT)
    after = int_field(errors, "after_build_id", data.get("after_build_id"))
    with_ = int_field(errors, "with_build_id", data.get("with_build_id"))
    if after and with_:
        for field in ("after_build_id", "with_build_id"):
            errors.setdefault(field, []).append("Only one batch option can be specified")
    for field, build_id in (("after_build_id", after), ("with_build_id", with_)):
        if build_id and session.get(Build, build_id) is None:
            errors.setdefault(field, []).append(f"Build {build_id} not found")
    return errors


def _build_chroots(copr: Copr, data: dict) -> list[MockChroot]:
    """The chroots (names or patterns, as upstream's expand_chroots) minus the excluded ones."""
    project = {c.name: c.mock_chroot for c in copr.chroots}
    names = sorted(project)

    def expand(patterns: list[str]) -> set[str]:
        return {name for pattern in patterns for name in fnmatch.filter(names, pattern)}

    chosen = expand(as_list(data.get("chroots"))) or set(names)
    chosen -= expand(as_list(data.get("exclude_chroots")))
    return [project[name] for name in sorted(chosen)]


def new_build(copr: Copr, data: dict, source_type: str, source: dict,
              package: Package | None = None) -> Build:
    """A pending build of `copr` (options already checked by build_copr)."""
    timeout = int(data.get("timeout") or DEFAULT_BUILD_TIMEOUT)
    build = Build(copr=copr, user=flask.g.user, package=package,
                  source_type=SOURCE_TYPES[source_type], source_json=json.dumps(source),
                  source_status=StatusEnum.pending, submitted_on=now(), timeout=timeout,
                  enable_net=as_bool(data.get("enable_net", copr.enable_net)),
                  isolation=data.get("isolation") or "unchanged",
                  bootstrap=data.get("bootstrap"),
                  is_background=as_bool(data.get("background", False)))
    for chroot in _build_chroots(copr, data):
        build.chroots.append(BuildChroot(mock_chroot=chroot, status=StatusEnum.waiting))
    _batch(build, data)
    session.add(build)
    return build


def _batch(build: Build, data: dict) -> None:
    """--after-build-id waits for another build's batch; --with-build-id joins it."""
    after, with_ = data.get("after_build_id"), data.get("with_build_id")
    if not (after or with_):
        return
    other = get_build(after or with_)
    if other.batch is None:
        other.batch = Batch()
    if with_:
        if build_finished(other):
            raise BadRequest(f"Build {other.id} is already finished; can not build with it")
        build.batch = other.batch
    else:
        build.batch = Batch(blocked_by=other.batch)


@route("/build/<int:build_id>")
def build_get(build_id):
    return flask.jsonify(build_dict(get_build(build_id)))


@route("/build/list")
def build_list():
    """As upstream: with `status`, the page is cut after filtering (a build's state is derived,
    not a column), so `limit` counts matching builds; `offset` still counts all of them."""
    copr = get_copr(arg("ownername"), arg("projectname"))
    query = sa.select(Build).filter_by(copr_id=copr.id)
    if arg("packagename"):
        query = query.join(Package).filter(Package.name == arg("packagename"))
    status = arg("status")
    page = paginate(query, Build, with_limit=not status)
    items = [build_dict(build) for build in page["items"]]
    if status:
        items = [item for item in items if item["state"] == status][:page["meta"]["limit"]]
    page["items"] = items
    return flask.jsonify(page)


@route("/build/source-chroot/<int:build_id>")
def build_source_chroot(build_id):
    """The SRPM step of a build: its state and the folder of its results and logs."""
    build = get_build(build_id)
    return flask.jsonify({"state": state_name(build.source_status),
                          "result_url": f"{results_url(build.copr)}/srpm-builds/{build.id:08d}"})


@route("/build/source-build-config/<int:build_id>")
def build_source_build_config(build_id):
    build = get_build(build_id)
    return flask.jsonify({"source_type": SOURCE_NAMES.get(build.source_type, "unset"),
                          "source_dict": json.loads(build.source_json or "{}"),
                          "memory_limit": MEMORY_LIMIT, "timeout": build.timeout,
                          "is_background": build.is_background})


@route("/build/check-before-build", methods=POST)
@login_required
def build_check():
    """Upstream checks the permission before the form here (and words the refusal apart)."""
    data = form()
    copr = get_copr(data.get("ownername"), data.get("projectname"))
    if not can_build_in(flask.g.user, copr):
        raise AccessRestricted(f"User '{flask.g.user.username}' is not allowed to build in "
                               f"'{copr.full_name}'")
    build_copr(data)
    return flask.jsonify({"message": "It should be safe to submit a build like this"})


@route("/build/create/upload", methods=POST)
@login_required
def build_create_upload():
    data = form()
    upload = flask.request.files.get("pkgs")
    filename = os.path.basename(upload.filename) if upload is not None else ""
    errors = {}
    if not filename:
        errors["pkgs"] = ["This field is required."]
    elif not filename.endswith((".src.rpm", ".spec")):
        errors["pkgs"] = ["Only .src.rpm and .spec files are allowed."]
    copr = build_copr(data, errors)
    tmp = "tmp" + secrets.token_hex(6)
    folder = os.path.join(app.config["STORAGE_DIR"], tmp)
    os.makedirs(folder, exist_ok=True)
    upload.save(os.path.join(folder, filename))
    source = {"url": f"{app.config['INTERNAL_URL']}/tmp/{tmp}/{filename}", "pkg": filename, "tmp": tmp}
    build = new_build(copr, data, "upload", source)
    session.commit()
    return flask.jsonify(build_dict(build))


@route("/build/create/url", methods=POST)
@login_required
def build_create_url():
    data = form()
    urls = as_list(data.get("pkgs"))
    errors = {}
    if not urls:
        errors["pkgs"] = ["URLs to packages are required"]
    for url in urls:
        if not re.match(r"^(https?|ftp)://", url) or not url.endswith((".src.rpm", ".spec")):
            errors["pkgs"] = [f"Please enter a valid URL of a .src.rpm or .spec: {url}"]
    copr = build_copr(data, errors)
    builds = [new_build(copr, data, "link", {"url": url}) for url in urls]
    session.commit()
    return flask.jsonify({"items": [build_dict(b) for b in builds], "meta": {}})


@route("/build/cancel/<int:build_id>", methods=PUT)
@login_required
def build_cancel(build_id):
    build = get_build(build_id)
    if not can_build_in(flask.g.user, build.copr):
        raise AccessRestricted("You are not allowed to cancel this build.")
    if build_finished(build):
        raise Conflict(f"Cannot cancel build {build_id}")
    build.canceled = True
    if build.source_status in (StatusEnum.starting, StatusEnum.running):
        session.merge(CancelRequest(what=str(build.id)))
    if build.source_status in (StatusEnum.pending, StatusEnum.starting, StatusEnum.running,
                               StatusEnum.importing):
        build.source_status = StatusEnum.canceled
    for chroot in build.chroots:
        if chroot.status in (StatusEnum.starting, StatusEnum.running):
            session.merge(CancelRequest(what=chroot.task_id))
        if chroot.status not in (StatusEnum.succeeded, StatusEnum.failed, StatusEnum.skipped):
            chroot.status = StatusEnum.canceled
            chroot.ended_on = now()
    session.commit()
    return flask.jsonify(build_dict(build))


@route("/build/delete/<int:build_id>", methods=DELETE)
@login_required
def build_delete(build_id):
    """Upstream raises an uncaught ActionInProgressException (500) for an unfinished build;
    the stand-in answers its text with 400."""
    build = get_build(build_id)
    user = flask.g.user
    if not can_edit(user, build.copr):
        raise AccessRestricted(f"User '{user.username}' can not delete build {build.id}")
    if not build_finished(build):
        raise BadRequest(f"User '{user.username}' can not delete build {build.id}")
    result = build_dict(build)
    if result_dirs(build):
        delete_build_action(build)
    session.delete(build)
    session.commit()
    return flask.jsonify(result)


@route("/build/delete/list", methods=DELETE)
@login_required
def build_delete_list():
    """Upstream's delete_builds: every problem in one 400, then one delete action for all."""
    errors = {}
    ids = [int_field(errors, "builds", value) for value in as_list(form().get("builds"))]
    if errors:
        raise BadRequest(str(errors))
    wanted = set(ids)
    builds = list(session.execute(sa.select(Build).filter(Build.id.in_(wanted))).scalars())
    missing = sorted(wanted - {build.id for build in builds})
    denied = [b.id for b in builds if not can_edit(flask.g.user, b.copr)]
    running = [b.id for b in builds if b.id not in denied and not build_finished(b)]
    message = ""
    if denied:
        message += f"You don't have permissions to delete build(s) {_ids(denied)}.\n"
    if running:
        message += f"Build(s) {_ids(running)} are still running.\n"
    if missing:
        message += f"Build(s) {_ids(missing)} don't exist.\n"
    if message:
        raise BadRequest(message)
    # One action per project (upstream refuses builds of several projects in one request).
    by_project: dict[int, list[Build]] = {}
    for build in builds:
        if result_dirs(build):
            by_project.setdefault(build.copr_id, []).append(build)
    for same_project in by_project.values():
        delete_builds_action(same_project)
    for build in builds:
        session.delete(build)
    session.commit()
    return flask.jsonify({"builds": ids})


def _ids(ids: list[int]) -> str:
    return ", ".join(map(str, ids))


@route("/build/built-packages/<int:build_id>")
def build_built_packages(build_id):
    return flask.jsonify(built_packages(get_build(build_id)))
