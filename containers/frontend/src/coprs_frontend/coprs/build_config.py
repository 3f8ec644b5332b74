"""What a chroot of a project builds with: the repositories of its build config, shaped as
upstream's BuildConfigLogic makes them (the APIv3 and the backend's build tasks share them)."""

import re
from urllib.parse import parse_qs, urlencode, urlparse, urlunparse

from . import app
from .errors import BadRequest, ObjectNotFound
from .logic import as_list, get_copr, results_url
from .models import Copr, CoprChroot


DEFAULT_REPO_PRIORITY = 99  # upstream leaves the default priority out of the repo entries


def _copr_of_repo(url: str) -> Copr | None:
    """The project a copr://<owner>/<project> repository names, if it exists."""
    parsed = urlparse(url)
    if parsed.scheme != "copr":
        return None
    try:
        return get_copr(parsed.netloc, parsed.path.split("/")[1])
    except (ObjectNotFound, BadRequest, IndexError):
        return None


def _expand_repo_url(chroot_name: str, url: str, internal: bool) -> str:
    """Upstream's pre_process_repo_url: copr://o/p becomes that project's results for this
    chroot, a `priority` query parameter is dropped, $chroot and $distname are expanded."""
    parsed = urlparse(url)
    query = parse_qs(parsed.query)
    if parsed.scheme == "copr":
        base = app.config["BACKEND_INTERNAL_URL" if internal else "BACKEND_PUBLIC_URL"]
        url = f"{base}/results/{parsed.netloc}/{parsed.path.split('/')[1]}/{chroot_name}/"
    elif "priority" in query:
        query.pop("priority")
        url = urlunparse(parsed._replace(query=urlencode(query, doseq=True)))
    return url.replace("$chroot", chroot_name).replace("$distname", chroot_name.rsplit("-", 2)[0])


def _repo_name(url: str) -> str:
    """Upstream's generate_repo_name: the URL with runs of other characters turned to '_'."""
    return re.sub(r"_+", "_", re.sub(r"[^a-zA-Z0-9]", "_", url)).strip("_")


def chroot_repos(chroot: CoprChroot, internal: bool = False) -> list[dict]:
    """The `repos` of a build config, shaped as upstream's BuildConfigLogic makes them."""
    copr = chroot.copr
    base = results_url(copr, internal)
    repos = [{"id": "copr_base", "baseurl": f"{base}/{chroot.name}/", "name": "Copr repository",
              "repo_gpgcheck": False}]
    if copr.module_hotfixes:
        repos[0]["module_hotfixes"] = True
    if not copr.auto_createrepo:
        repos.append({"id": "copr_base_devel", "baseurl": f"{base}/{chroot.name}/devel/",
                      "name": "Copr buildroot", "repo_gpgcheck": False})
    if copr.repo_priority not in (None, DEFAULT_REPO_PRIORITY):
        for repo in repos:
            repo["priority"] = copr.repo_priority
    for url in as_list(copr.repos) + as_list(chroot.repos):
        repo = {"id": _repo_name(url), "baseurl": _expand_repo_url(chroot.name, url, internal),
                "name": "Additional repo " + _repo_name(url)}
        priority = parse_qs(urlparse(url).query).get("priority")
        if priority:
            repo["priority"] = int(priority[0]) if priority[0].isnumeric() else priority[0]
        other = _copr_of_repo(url)
        if other is not None:
            repo["repo_gpgcheck"] = False
            if other.module_hotfixes:
                repo["module_hotfixes"] = True
        repos.append(repo)
    return repos
