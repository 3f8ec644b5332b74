"""/coprs/<owner>/<project>/repo/<name_release>/[<file>]: the .repo file `dnf copr enable`
downloads (upstream's coprs_general.generate_repo_file and repos.py).

One deliberate difference: a request that came through the frontend's internal URL (a client
inside the stack) gets the backend's internal URL in baseurl and gpgkey, and the internal host
name in the repo id (dnf's copr plugin finds the repository by its hub's host name); anything
else gets the public ones, as upstream always does. Runtime dependencies and multilib repositories are left out.
"""

import base64
import json
from urllib.parse import urlparse

import flask

from .. import app
from ..errors import ObjectNotFound
from ..logic import get_copr

# Upstream puts $releasever in the baseurl of these distributions (mageia: not for cauldron).
RELEASEVER_DISTROS = ("fedora", "centos-stream", "opensuse-leap", "mageia")


def _urls() -> tuple[str, str]:
    """(the frontend's host name, the backend's URL) as the requesting client knows them."""
    internal = flask.request.host_url.rstrip("/") == app.config["INTERNAL_URL"]
    frontend = app.config["INTERNAL_URL" if internal else "PUBLIC_URL"]
    return (urlparse(frontend).hostname or "",
            app.config["BACKEND_INTERNAL_URL" if internal else "BACKEND_PUBLIC_URL"])


def _not_found(text: str, available: list[str] | None = None) -> flask.Response:
    response = flask.Response(text, status=404, mimetype="text/plain")
    if available is not None:
        data = json.dumps({"available chroots": available}).encode()
        response.headers["Copr-Error-Data"] = base64.b64encode(data).decode()
    return response


@app.get("/coprs/<username>/<copr_dirname>/repo/<name_release>/", defaults={"repofile": None})
@app.get("/coprs/<username>/<copr_dirname>/repo/<name_release>/<repofile>")
@app.get("/coprs/g/<group>/<copr_dirname>/repo/<name_release>/", defaults={"repofile": None})
@app.get("/coprs/g/<group>/<copr_dirname>/repo/<name_release>/<repofile>")
def repo_file(copr_dirname, name_release, repofile, username=None, group=None):
    owner = f"@{group}" if group else username
    try:
        copr = get_copr(owner, copr_dirname.split(":")[0])
    except ObjectNotFound as error:
        return _not_found(error.message)
    arch = flask.request.args.get("arch")
    searched = f"{name_release}-{arch}" if arch else name_release
    chroots = sorted(c.mock_chroot.name for c in copr.active_chroots)
    matching = [c.mock_chroot for c in copr.active_chroots if c.mock_chroot.name.startswith(searched)]
    if not matching:
        text = f"Chroot {searched} does not exist in {copr.full_name}.\n"
        text += ("Available chroots:\n" + "".join(f"{name}\n" for name in chroots) if chroots
                 else f"There are no enabled chroots in {copr.full_name}.")
        return _not_found(text, chroots)
    mock = sorted(matching, key=lambda m: m.name)[-1]
    version = "$releasever" if mock.os_release in RELEASEVER_DISTROS and \
        not (mock.os_release == "mageia" and mock.os_version == "cauldron") else mock.os_version
    host, backend = _urls()
    results = f"{backend}/results/{copr.owner_name}/{copr_dirname}/"
    lines = [
        f"[copr:{host}:{copr.owner_name.replace('@', 'group_')}:{copr_dirname}]",
        f"name=Copr repo for {copr_dirname} owned by {copr.owner_name}",
        f"baseurl={results}{mock.os_release}-{version}-$basearch/",
        "type=rpm-md", "skip_if_unavailable=True", "gpgcheck=1",
        f"gpgkey={results}pubkey.gpg", "repo_gpgcheck=0", "enabled=1", "enabled_metadata=1",
    ]
    if copr.module_hotfixes:
        lines.append("module_hotfixes=1")
    if copr.repo_priority is not None:
        lines.append(f"priority={copr.repo_priority}")
    return flask.Response("\n".join(lines) + "\n", mimetype="text/plain")
