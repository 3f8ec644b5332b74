"""/api_3/build/create/{scm,distgit,pypi,rubygems,custom}: builds by the source-generating methods.

Fields, defaults, form messages and the stored source_json follow upstream's forms
(PackageForm{Scm,DistGitSimple,PyPI,RubyGems,Custom}) and BuildsLogic.create_new_from_*. The
stack has one dist-git instance, "copr" (its own dist-git, DIST_GIT_CLONE_URL): a distgit build's
clone URL is <DIST_GIT_CLONE_URL>/<namespace>/<package>, namespace being "<owner>/<project>".
"""

import os
import re

import flask
import sqlalchemy as sa

from ... import app
from ...db import session
from ...logic import as_list, build_dict, form, login_required
from ...models import MockChroot
from . import POST, route
from .apiv3_builds import build_copr, new_build

REQUIRED = "This field is required."
NOT_A_CHOICE = "Not a valid choice."
DISTGIT_INSTANCES = ("copr",)
SRPM_BUILD_METHODS = ("rpkg", "tito", "tito_test", "make_srpm")
URL_RE = re.compile(r"^[a-z]+://([^/:]+|\[[0-9a-fA-F:]+\])(:[0-9]+)?(/.*)?$", re.IGNORECASE)
PACKAGE_NAME_MAX = 100  # upstream: Package.name's column length


def _text(data: dict, field: str, default: str = "") -> str:
    value = data.get(field)
    return default if value in (None, "") else str(value)


def _choice(errors: dict, data: dict, field: str, choices: tuple[str, ...], default: str) -> str:
    value = _text(data, field, default)
    if value not in choices:
        errors[field] = [NOT_A_CHOICE]
    return value


def _create(data: dict, errors: dict, source_type: str, source: dict):
    copr = build_copr(data, errors)
    build = new_build(copr, data, source_type, source)
    session.commit()
    return flask.jsonify(build_dict(build))


@route("/build/create/scm", methods=POST)
@login_required
def build_create_scm():
    data, errors = form(), {}
    clone_url = _text(data, "clone_url")
    if not clone_url:
        errors["clone_url"] = [REQUIRED]
    elif not URL_RE.match(clone_url):
        errors["clone_url"] = ["Invalid URL."]
    spec = _text(data, "spec")
    if spec and not spec.endswith(".spec"):
        errors["spec"] = ["RPM spec file must end with .spec"]
    # python-copr sends the SCM form's fields as scm_type and source_build_method.
    source = {
        "type": _choice(errors, {"type": data.get("scm_type")}, "type", ("git", "svn"), "git"),
        "clone_url": clone_url,
        "committish": _text(data, "committish"),
        "subdirectory": _text(data, "subdirectory"),
        "spec": spec,
        "srpm_build_method": _choice(
            errors, {"srpm_build_method": data.get("source_build_method") or data.get("srpm_build_method")},
            "srpm_build_method", SRPM_BUILD_METHODS, "rpkg"),
    }
    return _create(data, errors, "scm", source)


@route("/build/create/distgit", methods=POST)
@login_required
def build_create_distgit():
    data, errors = form(), {}
    package = _text(data, "package_name")
    if not package:
        errors["package_name"] = [REQUIRED]
    distgit = _text(data, "distgit", DISTGIT_INSTANCES[0])
    if distgit not in DISTGIT_INSTANCES:
        errors["distgit"] = [f"DistGit ID must be one of: {', '.join(DISTGIT_INSTANCES)}"]
    namespace = os.path.normpath(_text(data, "namespace")) if _text(data, "namespace") else ""
    if namespace.startswith(("/", "..")):
        errors["namespace"] = ["Invalid namespace."]
    source = {"clone_url": distgit_clone_url(package, namespace), "distgit": distgit}
    if namespace:
        source["namespace"] = namespace
    if _text(data, "committish"):
        source["committish"] = _text(data, "committish")
    return _create(data, errors, "distgit", source)


def distgit_clone_url(package: str, namespace: str | None) -> str:
    """The stack's dist-git clone URL of `package` in `namespace` ("<owner>/<project>")."""
    base = app.config["DIST_GIT_CLONE_URL"]
    return "/".join(part for part in (base, namespace, package) if part)


@route("/build/create/pypi", methods=POST)
@login_required
def build_create_pypi():
    data, errors = form(), {}
    name = _text(data, "pypi_package_name")
    if not name:
        errors["pypi_package_name"] = [REQUIRED]
    elif len(name) > PACKAGE_NAME_MAX - len("python-"):
        errors["pypi_package_name"] = [
            f"Field cannot be longer than {PACKAGE_NAME_MAX - len('python-')} characters."]
    versions = [str(v) for v in as_list(data.get("python_versions"))] or ["3"]
    if any(v not in ("3", "2") for v in versions):
        errors["python_versions"] = [f"'{next(v for v in versions if v not in ('3', '2'))}' "
                                     "is not a valid choice for this field."]
    source = {
        "pypi_package_name": name,
        "pypi_package_version": _text(data, "pypi_package_version"),
        "spec_generator": _choice(errors, data, "spec_generator", ("pyp2rpm", "pyp2spec"), "pyp2spec"),
        "spec_template": _choice(errors, data, "spec_template",
                                 ("", "fedora", "epel7", "mageia", "pld"), ""),
        "python_versions": versions,
    }
    return _create(data, errors, "pypi", source)


@route("/build/create/rubygems", methods=POST)
@login_required
def build_create_rubygems():
    data, errors = form(), {}
    gem = _text(data, "gem_name")
    if not gem:
        errors["gem_name"] = [REQUIRED]
    elif len(gem) > PACKAGE_NAME_MAX - len("rubygem-"):
        errors["gem_name"] = [
            f"Field cannot be longer than {PACKAGE_NAME_MAX - len('rubygem-')} characters."]
    return _create(data, errors, "rubygems", {"gem_name": gem})


@route("/build/create/custom", methods=POST)
@login_required
def build_create_custom():
    data, errors = form(), {}
    # Upstream's cleanup_script filter: CRLF line ends become LF.
    script = _text(data, "script").replace("\r\n", "\n")
    if not script.strip():
        errors["script"] = [REQUIRED]
    elif len(script) > 4096:
        errors["script"] = ["Maximum script size is 4kB"]
    chroot = _text(data, "chroot", "fedora-latest-x86_64")
    if chroot not in _custom_chroots():
        errors["chroot"] = [NOT_A_CHOICE]
    source = {"script": script, "chroot": chroot, "builddeps": _text(data, "builddeps"),
              "resultdir": _text(data, "resultdir"), "repos": " ".join(as_list(data.get("repos")))}
    return _create(data, errors, "custom", source)


def _custom_chroots() -> set[str]:
    """The active chroots, and fedora-latest-<arch> for the arches of active Fedora ones."""
    active = session.scalars(sa.select(MockChroot).filter_by(is_active=True)).all()
    return ({c.name for c in active}
            | {f"fedora-latest-{c.arch}" for c in active if c.os_release == "fedora"})
