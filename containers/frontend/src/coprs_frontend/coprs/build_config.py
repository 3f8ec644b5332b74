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


def repo_name(url: str) -> str:
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
        repo = {"id": repo_name(url), "baseurl": _expand_repo_url(chroot.name, url, internal),
                "name": "Additional repo " + repo_name(url)}
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


REPO_KEYS = ("baseurl", "module_hotfixes", "priority", "repo_gpgcheck", "id", "name")


def api_repos(repos: list[dict]) -> list[dict]:
    """Repos as the APIv3 answers them: upstream marshals each with all six keys (null when
    unset); the backend's build tasks keep the short form."""
    return [{key: repo.get(key) for key in REPO_KEYS} for repo in repos]


def additional_repos(chroot: CoprChroot) -> list[str]:
    """Upstream's generate_additional_repos: the project itself, the chroot's and the
    project's repos, and the devel repository when createrepo is off."""
    copr = chroot.copr
    repos = [f"copr://{copr.full_name}"] + as_list(chroot.repos) + as_list(copr.repos)
    if not copr.auto_createrepo:
        repos.append(f"copr://{copr.full_name}/devel")
    return repos


def bootstrap_setup(copr: Copr, chroot: CoprChroot | None, build_bootstrap: str | None) -> dict:
    """bootstrap and bootstrap_image of a build's config (upstream's build_bootstrap_setup,
    marshalled: both keys always there, null when the default applies)."""
    bootstrap, image = copr.bootstrap or "default", None
    if chroot is not None and chroot.bootstrap and chroot.bootstrap != "unchanged":
        bootstrap, image = chroot.bootstrap, chroot.bootstrap_image
    if build_bootstrap and build_bootstrap != "unchanged":
        bootstrap = build_bootstrap
    if bootstrap == "default":
        return {"bootstrap": None, "bootstrap_image": None}
    return {"bootstrap": bootstrap,
            "bootstrap_image": image if bootstrap == "custom_image" else None}
