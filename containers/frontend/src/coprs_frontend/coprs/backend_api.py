"""The /backend/ routes the backend, dist-git and builders use (with the FE-BE API header)."""

import base64
import functools
import hmac
import json

import flask
import sqlalchemy as sa

from . import app
from .db import session
from .enums import FAIL_TYPES, StatusEnum
from .logic import build_finished
from .build_tasks import rpm_task, sandbox, small_rpm, small_srpm, srpm_task
from .models import Action, Build, BuildChroot, BuildChrootResult, CancelRequest, Package, now

backend = flask.Blueprint("backend", __name__, url_prefix="/backend")

FINISHED = (StatusEnum.failed, StatusEnum.succeeded, StatusEnum.canceled, StatusEnum.skipped)


@backend.after_request
def _api_version(response):
    response.headers["Copr-FE-BE-API-Version"] = str(app.config["FE_BE_API_VERSION"])
    return response


def backend_auth(view):
    """Writes need the backend password (only the password counts, as upstream)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        header = flask.request.headers.get("Authorization", "")
        password = ""
        if header.startswith("Basic "):
            try:
                password = base64.b64decode(header[6:]).decode().partition(":")[2]
            except (ValueError, UnicodeDecodeError):
                password = ""
        expected = app.config["BACKEND_PASSWORD"].encode()
        # An unset password refuses everything; compare_digest: no timing oracle.
        if not expected or not hmac.compare_digest(password.encode(), expected):
            return flask.Response("You have to provide the correct password\n", 401,
                                  mimetype="text/plain")
        return view(*args, **kwargs)

    return wrapper


def route(rule: str, methods: tuple[str, ...] = ("GET",)):
    def decorate(view):
        backend.add_url_rule(rule, view_func=view, methods=list(methods), strict_slashes=False)
        return view

    return decorate


def body() -> dict:
    data = flask.request.get_json(silent=True, force=True)
    return data if isinstance(data, (dict, list)) or data is None else {}


def _batch_blocked(build: Build) -> bool:
    blocker = build.batch.blocked_by if build.batch else None
    return blocker is not None and not all(build_finished(b) for b in blocker.builds)


@route("/pending-jobs/")
def pending_jobs():
    active = (StatusEnum.pending, StatusEnum.starting, StatusEnum.running)
    srpm = session.execute(sa.select(Build).filter(
        Build.source_status.in_(active), Build.canceled.is_(False)).order_by(Build.id)).scalars()
    jobs = [small_srpm(b) for b in srpm if not _batch_blocked(b)]
    chroots = session.execute(sa.select(BuildChroot).join(Build).filter(
        BuildChroot.status.in_(active), Build.canceled.is_(False),
        Build.source_status == StatusEnum.succeeded).order_by(BuildChroot.id)).scalars()
    jobs += [small_rpm(c) for c in chroots if c.git_hash]
    return flask.jsonify(jobs)


@route("/get-build-task/<task_id>")
def get_build_task(task_id):
    build_id, _, chroot_name = task_id.partition("-")
    build = session.get(Build, int(build_id)) if build_id.isdigit() else None
    chroot = next((c for c in build.chroots if c.name == chroot_name), None) if build else None
    if chroot is None:
        return flask.jsonify(None)
    return flask.jsonify(rpm_task(chroot))


@route("/get-srpm-build-task/<build_id>")
def get_srpm_build_task(build_id):
    build = session.get(Build, int(build_id)) if str(build_id).isdigit() else None
    if build is None:
        return flask.jsonify({"msg": "Specified task ID not found"}), 404
    return flask.jsonify(srpm_task(build))


def _job_target(job: dict) -> tuple[Build | None, BuildChroot | None]:
    build = session.get(Build, int(job.get("build_id") or job.get("id") or 0))
    if build is None:
        return None, None
    chroot_name = job.get("chroot")
    if str(job.get("task_id")) == str(build.id) or chroot_name in (None, "srpm-builds"):
        return build, None
    return build, next((c for c in build.chroots if c.name == chroot_name), None)


@route("/starting_build/", methods=("POST", "PUT"))
@backend_auth
def starting_build():
    build, chroot = _job_target(body() or {})
    if build is None or build.canceled:
        return flask.jsonify({"can_start": False})
    if chroot is not None:
        if chroot.status in FINISHED:
            return flask.jsonify({"can_start": False})
        chroot.status = StatusEnum.starting
    elif build.source_status in FINISHED or build.source_status == StatusEnum.importing:
        return flask.jsonify({"can_start": False})
    else:
        build.source_status = StatusEnum.starting
    session.commit()
    return flask.jsonify({"can_start": True})


def _excluded(chroot: BuildChroot, tags: dict) -> bool:
    """ExclusiveArch/ExcludeArch of the SRPM (its results.json, per distribution) rule this chroot
    out, by upstream's rule (builds_logic.update_state_from_dict): the arch is missing from a
    non-empty ExclusiveArch, or listed in ExcludeArch. The builder never skips on its own."""
    arch_tags = tags.get(chroot.mock_chroot.name_release) or {}
    exclusive = arch_tags.get("exclusivearch") or []
    exclude = arch_tags.get("excludearch") or []
    arch = chroot.mock_chroot.arch
    return arch in exclude or bool(exclusive and arch not in exclusive)


def _update_srpm(build: Build, job: dict) -> None:
    status = job.get("status")
    if job.get("result_dir"):
        build.result_dir = job["result_dir"]
    if job.get("started_on"):
        build.started_on = build.started_on or job["started_on"]
    if job.get("srpm_url"):
        build.srpm_url = job["srpm_url"]
    if job.get("pkg_version"):
        build.pkg_version = job["pkg_version"]
    if job.get("results") is not None:
        build.results_json = json.dumps(job["results"])
    if job.get("pkg_name"):
        package = next((p for p in build.copr.packages if p.name == job["pkg_name"]), None)
        if package is None:
            package = Package(name=job["pkg_name"], source_type=build.source_type,
                              source_json=build.source_json)
            build.copr.packages.append(package)
        build.package = package
    if build.canceled or status is None:
        return
    if status == StatusEnum.succeeded:
        tags = (job.get("results") or {}).get("architecture_specific_tags") or {}
        for chroot in build.chroots:
            chroot.status = StatusEnum.skipped if _excluded(chroot, tags) else StatusEnum.waiting
            if chroot.status == StatusEnum.skipped:
                # As upstream's finish(): ended now (or when the SRPM build did), started then too.
                chroot.ended_on = job.get("ended_on") or now()
                chroot.started_on = job.get("started_on") or chroot.ended_on
        if all(c.status == StatusEnum.skipped for c in build.chroots):
            build.source_status = StatusEnum.succeeded
        else:
            build.source_status = StatusEnum.importing
    elif status in (StatusEnum.failed, StatusEnum.skipped):
        build.source_status = status
        build.fail_type = FAIL_TYPES["srpm_build_error"] if status == StatusEnum.failed else 0
        for chroot in build.chroots:
            chroot.status = status
            chroot.ended_on = job.get("ended_on") or now()
    elif status in (StatusEnum.starting, StatusEnum.running):
        build.source_status = status


def _update_rpm(chroot: BuildChroot, job: dict) -> None:
    status = job.get("status")
    if job.get("result_dir"):
        chroot.result_dir = job["result_dir"]
    if chroot.status in FINISHED or status is None:
        return  # canceled (or already final) stays so
    chroot.status = status
    if status in (StatusEnum.starting, StatusEnum.running):
        chroot.started_on = chroot.started_on or job.get("started_on") or now()
    if status in FINISHED:
        chroot.ended_on = job.get("ended_on") or now()
        packages = (job.get("results") or {}).get("packages") or []
        chroot.results = [BuildChrootResult(name=p["name"], epoch=p.get("epoch"),
                                            version=p["version"], release=p["release"],
                                            arch=p["arch"]) for p in packages]


@route("/update/", methods=("POST", "PUT"))
@backend_auth
def update():
    data = body() or {}
    result: dict = {}
    if "builds" in data:
        updated, missing = [], []
        for job in data["builds"]:
            build, chroot = _job_target(job)
            if build is None:
                missing.append(job.get("build_id") or job.get("id"))
                continue
            if chroot is None and (str(job.get("task_id")) == str(build.id)
                                   or job.get("chroot") in (None, "srpm-builds")):
                _update_srpm(build, job)
            elif chroot is not None:
                _update_rpm(chroot, job)
            else:
                missing.append(build.id)
                continue
            updated.append(build.id)
        result.update({"updated_builds_ids": updated, "non_existing_builds_ids": missing})
    if "actions" in data:
        updated, missing = [], []
        for item in data["actions"]:
            action = session.get(Action, int(item["id"]))
            if action is None:
                missing.append(item["id"])
                continue
            action.result = int(item.get("result", 0))
            action.message = item.get("message")
            action.ended_on = now()
            updated.append(action.id)
        result.update({"updated_actions_ids": updated, "non_existing_actions_ids": missing})
    session.commit()
    return flask.jsonify(result)


@route("/reschedule_build_chroot/", methods=("POST", "PUT"))
@backend_auth
def reschedule():
    data = body() or {}
    build, chroot = _job_target(data)
    target_status = chroot.status if chroot else (build.source_status if build else None)
    if build is None or target_status not in (StatusEnum.starting, StatusEnum.running):
        return flask.jsonify({"result": "noop", "msg": "build is not in progress"})
    if chroot is not None:
        chroot.status = StatusEnum.pending
    else:
        build.source_status = StatusEnum.pending
    session.commit()
    return flask.jsonify({"result": "done"})


@route("/build-tasks/cancel-requests/")
def cancel_requests():
    return flask.jsonify([r.what for r in session.execute(sa.select(CancelRequest)).scalars()])


@route("/build-tasks/canceled/<task_id>/", methods=("POST", "PUT"))
@backend_auth
def canceled(task_id):
    request = session.get(CancelRequest, task_id)
    if request is not None:
        session.delete(request)
    session.commit()
    return flask.jsonify("success")


# -- imports --------------------------------------------------------------------------------------


def chroot_to_branch(name: str) -> str:
    """fedora-rawhide -> master, fedora-N -> fN, epel N -> epelN (elN up to 6)."""
    release, version, _arch = name.rsplit("-", 2)
    if release == "fedora":
        return "master" if version == "rawhide" else f"f{version}"
    if release == "epel":
        return f"el{version}" if version.isdigit() and int(version) <= 6 else f"epel{version}"
    if release == "mageia":
        return "cauldron" if version == "cauldron" else f"mga{version}"
    return f"{release}{version}"


def import_record(build: Build) -> dict:
    branches = sorted({chroot_to_branch(c.name) for c in build.chroots
                       if c.status != StatusEnum.skipped})
    return {"build_id": build.id, "owner": build.copr.owner_name, "project": build.copr.name,
            "branches": branches, "pkg_name": build.package.name if build.package else None,
            "srpm_url": build.srpm_url, "sandbox": sandbox(build),
            "background": build.is_background}


@route("/importing/")
def importing():
    builds = session.execute(sa.select(Build).filter(
        Build.source_status == StatusEnum.importing, Build.canceled.is_(False)).order_by(Build.id)
    ).scalars()
    return flask.jsonify([import_record(b) for b in builds])


@route("/get-import-task/<build_id>")
def get_import_task(build_id):
    build = session.get(Build, int(build_id)) if str(build_id).isdigit() else None
    if build is None or build.source_status != StatusEnum.importing:
        return flask.jsonify(None)
    return flask.jsonify(import_record(build))


@route("/import-completed/", methods=("POST", "PUT"))
@backend_auth
def import_completed():
    data = body() or {}
    build = session.get(Build, int(data.get("build_id") or 0))
    if build is None:
        return flask.jsonify({"updated": False})
    commits = data.get("branch_commits")
    if not commits:
        build.source_status = StatusEnum.failed
        build.fail_type = FAIL_TYPES["srpm_import_failed"]
        for chroot in build.chroots:
            if chroot.status != StatusEnum.skipped:
                chroot.status = StatusEnum.failed
                chroot.ended_on = now()
    else:
        failed = False
        for chroot in build.chroots:
            if chroot.status == StatusEnum.skipped:
                continue
            commit = commits.get(chroot_to_branch(chroot.name))
            if commit:
                chroot.git_hash = commit
                chroot.status = StatusEnum.pending
            else:
                chroot.status = StatusEnum.failed
                chroot.ended_on = now()
                failed = True
        build.source_status = StatusEnum.failed if failed else StatusEnum.succeeded
        if failed:
            build.fail_type = FAIL_TYPES["srpm_import_failed"]
    session.commit()
    return flask.jsonify({"updated": True})


# -- actions --------------------------------------------------------------------------------------


def action_dict(action: Action) -> dict:
    return {key: getattr(action, key) for key in (
        "id", "action_type", "object_type", "object_id", "old_value", "new_value", "priority",
        "data", "result", "message", "created_on", "ended_on", "copr_id")}


def _waiting_actions() -> list[Action]:
    return list(session.execute(sa.select(Action).filter_by(result=0).order_by(
        Action.priority, Action.id)).scalars())


@route("/pending-actions/")
def pending_actions():
    return flask.jsonify([{"id": a.id, "priority": a.priority, "project_owner": None}
                          for a in _waiting_actions()])


@route("/pending-action/")
def pending_action():
    actions = _waiting_actions()
    if not actions:
        return flask.jsonify(None)
    record = action_dict(actions[0])
    for key in ("result", "message", "ended_on"):
        record.pop(key)
    return flask.jsonify(record)


@route("/pending-action-count/")
def pending_action_count():
    return flask.jsonify(len(_waiting_actions()))


@route("/action/<int:action_id>/")
def action(action_id):
    found = session.get(Action, action_id)
    if found is None:
        return flask.jsonify({"msg": "no such action"}), 404
    return flask.jsonify(action_dict(found))


app.register_blueprint(backend)
