"""/api_3/rpmrepo/: what DNF5's copr plugin reads to set up a project's repositories
(upstream's apiv3_rpmrepo.py)."""

from urllib.parse import urlparse

import flask

from ... import app
from ...build_config import repo_name
from ...errors import ObjectNotFound
from ...logic import as_list, get_copr
from ...models import Copr
from . import route


def _host() -> str:
    return urlparse(app.config["PUBLIC_URL"]).netloc.split(":")[0]


def _dependencies(copr: Copr) -> list[dict]:
    """The runtime dependencies, followed transitively through copr:// ones (upstream's
    get_transitive_runtime_dependencies)."""
    internal: list[Copr] = []
    external: list[str] = []
    queue, seen = [copr], {copr.id}
    while queue:
        current = queue.pop(0)
        for dep in as_list(current.runtime_dependencies):
            parsed = urlparse(dep)
            if parsed.scheme != "copr":
                if dep not in external:
                    external.append(dep)
                continue
            try:
                other = get_copr(parsed.netloc, parsed.path.strip("/").split("/")[0])
            except ObjectNotFound:
                continue
            if other.id not in seen:
                seen.add(other.id)
                internal.append(other)
                queue.append(other)
    host, result = _host(), []
    for index, dep in enumerate(internal, start=1):
        result.append({"opts": {
            "id": f"coprdep:{host}:{dep.owner_name.replace('@', 'group_')}:{dep.name}",
            "name": f"Copr {host}/{copr.owner_name}/{copr.name} runtime dependency #{index} - "
                    f"{dep.owner_name}/{dep.name}"},
            "type": "copr", "data": {"owner": dep.owner_name, "projectname": dep.name}})
    for index, url in enumerate(external, start=len(internal) + 1):
        result.append({"opts": {
            "id": f"coprdep:{repo_name(url)}",
            "name": f"Copr {host}/{copr.owner_name}/{copr.name} external runtime dependency "
                    f"#{index} - {repo_name(url)}"},
            "type": "external_baseurl", "data": {"pattern": url}})
    return result


@route("/rpmrepo/<ownername>/<dirname>/<name_release>")
def rpmrepo(ownername, dirname, name_release):
    """The project's repositories by distribution and architecture. `name_release` only
    counts downloads upstream (no statistics here); a directory `p:pr:1` is project `p`."""
    copr = get_copr(ownername, dirname.split(":")[0])
    options: dict = {}
    if copr.module_hotfixes:
        options["module_hotfixes"] = "1"
    if copr.repo_priority:
        options["priority"] = copr.repo_priority
    repos: dict[str, dict] = {}
    for chroot in copr.active_chroots:
        mock = chroot.mock_chroot
        arch = repos.setdefault(mock.name_release, {"arch": {}})["arch"][mock.arch] = {
            "opts": dict(options)}
        if chroot.delete_after_days is not None:
            arch["delete_after_days"] = chroot.delete_after_days
    data = {"results_url": f"{app.config['BACKEND_PUBLIC_URL']}/results", "repos": repos,
            "directories": {copr.name: {}}, "dependencies": _dependencies(copr)}
    if copr.delete_after_days is not None:
        data["delete_after_days"] = copr.delete_after_days
    return flask.jsonify(data)
