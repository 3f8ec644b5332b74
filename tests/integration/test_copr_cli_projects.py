"""The real copr-cli against the frontend: projects, validation messages, auth and permissions."""

from __future__ import annotations

import re
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from harness import wait
from harness.model.components import all_components

from ..support.srpms import make_srpm
from .copr_stack import COPR_CLI, Stack, client_view, running

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def frontend(engine, built_images) -> Iterator[Stack]:
    """database + frontend only: what the frontend alone must answer."""
    with running(engine, components=["database", "frontend"]) as info:
        yield client_view(engine, info)


def config_value(stack: Stack, user: str, key: str) -> str:
    return re.search(rf"^{key} = (.*)$", Path(stack.config(user)).read_text(), re.MULTILINE)[1]


def name() -> str:
    return f"p{secrets.token_hex(4)}"


def test_create_and_duplicate(frontend):
    project = name()
    created = frontend.copr("create", project, "--chroot", "fedora-44-x86_64")
    assert created.returncode == 0, created.stderr
    assert f"/coprs/alice/{project}/" in created.stdout

    again = frontend.copr("create", project, "--chroot", "fedora-44-x86_64", "--chroot", "nope-1-x")
    assert again.returncode == 1
    assert f"- name: You already have a project named '{project}'." in again.stderr
    assert "- chroots: 'nope-1-x' is not a valid choice for this field" in again.stderr


def test_group_project_and_listing(frontend):
    project = name()
    assert frontend.copr("create", f"@copr/{project}", "--chroot", "epel-9-x86_64").returncode == 0
    listed = frontend.copr("list", "@copr")
    assert listed.returncode == 0 and f"Name: {project}" in listed.stdout
    api = requests.get(f"{frontend.frontend_url}/api_3/project",
                       params={"ownername": "@copr", "projectname": project}, timeout=10).json()
    assert api["full_name"] == f"@copr/{project}"
    assert list(api["chroot_repos"]) == ["epel-9-x86_64"]


def test_modify_shows_in_the_api_and_drops_chroots(frontend):
    project = name()
    frontend.copr("create", project, "--chroot", "fedora-44-x86_64", "--chroot", "epel-9-x86_64")
    modified = frontend.copr("modify", project, "--unlisted-on-hp", "on", "--module-hotfixes", "on",
                             "--chroot", "fedora-44-x86_64")
    assert modified.returncode == 0, modified.stderr
    api = requests.get(f"{frontend.frontend_url}/api_3/project",
                       params={"ownername": "alice", "projectname": project}, timeout=10).json()
    assert api["unlisted_on_hp"] is True and api["module_hotfixes"] is True
    assert list(api["chroot_repos"]) == ["fedora-44-x86_64"]
    assert frontend.copr("get-chroot", f"{project}/epel-9-x86_64").returncode == 1


def test_edit_chroot_and_reset(frontend):
    project = name()
    frontend.copr("create", project, "--chroot", "fedora-44-x86_64")
    chroot = f"{project}/fedora-44-x86_64"
    assert frontend.copr("edit-chroot", chroot, "--packages", "gcc make").returncode == 0
    assert '"gcc"' in frontend.copr("get-chroot", chroot).stdout
    bad = frontend.copr("edit-chroot", chroot, "--reset", "nonexisting")
    assert bad.returncode == 1
    assert "Trying to reset an invalid attribute: nonexisting" in bad.stderr
    assert frontend.copr("edit-chroot", chroot, "--reset", "additional_packages").returncode == 0
    assert '"gcc"' not in frontend.copr("get-chroot", chroot).stdout


def test_bad_token_is_refused_and_uploads_nothing(frontend, tmp_path):
    project = name()
    frontend.copr("create", project, "--chroot", "fedora-44-x86_64")
    text = open(frontend.config()).read()
    token_line = next(line for line in text.splitlines() if line.startswith("token = "))
    bad = tmp_path / "bad.conf"
    bad.write_text(text.replace(token_line, "token = " + "0" * 32))
    srpm = make_srpm(tmp_path / "srpm", "hello")
    result = frontend.copr("build", project, str(srpm), "--nowait", config=str(bad))
    assert result.returncode == 1
    assert "Login invalid/expired" in result.stderr
    assert "Uploading package" not in result.stdout
    listed = frontend.copr("list-builds", project)
    assert listed.stdout.strip() == ""


def test_another_users_project_cannot_be_modified(frontend):
    project = name()
    frontend.copr("create", project, "--chroot", "fedora-44-x86_64")
    result = frontend.copr("modify", f"alice/{project}", "--description", "bob was here", user="bob")
    assert result.returncode == 7, result.stderr
    assert frontend.copr("delete", f"alice/{project}", user="bob").returncode == 7
    api = requests.get(f"{frontend.frontend_url}/api_3/project",
                       params={"ownername": "alice", "projectname": project}, timeout=10).json()
    assert api["description"] != "bob was here"


def test_build_into_missing_project_or_bad_chroot(frontend, tmp_path):
    srpm = make_srpm(tmp_path, "hello")
    missing = frontend.copr("build", f"nope{secrets.token_hex(3)}", str(srpm), "--nowait")
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    assert "Uploading package" not in missing.stdout
    project = name()
    frontend.copr("create", project, "--chroot", "fedora-44-x86_64")
    bad = frontend.copr("build", project, str(srpm), "--nowait", "--chroot", "nope-1-x")
    assert bad.returncode == 1 and "not a valid choice" in bad.stderr


def test_pagination_meta_is_integer_and_empty_past_the_end(frontend):
    project = name()
    frontend.copr("create", project, "--chroot", "fedora-44-x86_64")
    params = {"ownername": "alice", "projectname": project, "limit": 1000, "offset": 1000}
    page = requests.get(f"{frontend.frontend_url}/api_3/build/list", params=params, timeout=10).json()
    assert page == {"items": [], "meta": {"limit": 1000, "offset": 1000, "order": "id",
                                          "order_type": "ASC"}}


def test_backend_routes_carry_the_api_header_and_need_the_password(frontend):
    response = requests.get(f"{frontend.frontend_url}/backend/pending-jobs/", timeout=10)
    assert response.headers["Copr-FE-BE-API-Version"] == "9"
    denied = requests.post(f"{frontend.frontend_url}/backend/update/", json={"builds": []},
                           auth=("user", "wrong"), timeout=10)
    assert denied.status_code == 401
    assert denied.text.strip() == "You have to provide the correct password"


def test_packages_crud_and_name_validation(frontend):
    project = name()
    frontend.copr("create", project, "--chroot", "fedora-44-x86_64")
    for package in ("gcc-c++", "python-boolean.py"):
        added = frontend.copr("add-package-scm", project, "--name", package,
                              "--clone-url", "https://example.invalid/x.git")
        assert added.returncode == 0, added.stderr
    for bad in ("x:x", "x@x"):
        refused = frontend.copr("add-package-scm", project, "--name", bad,
                                "--clone-url", "https://example.invalid/x.git")
        assert refused.returncode == 1, bad
    names = frontend.copr("list-package-names", project)
    assert sorted(names.stdout.split()) == ["gcc-c++", "python-boolean.py"]
    assert frontend.copr("edit-package-scm", project, "--name", "gcc-c++",
                         "--clone-url", "https://example.invalid/y.git").returncode == 0
    assert "y.git" in frontend.copr("get-package", project, "--name", "gcc-c++").stdout
    assert frontend.copr("reset-package", project, "--name", "gcc-c++").returncode == 0
    assert '"source_type": "unset"' in frontend.copr("get-package", project, "--name", "gcc-c++").stdout
    assert frontend.copr("delete-package", project, "--name", "gcc-c++").returncode == 0
    assert frontend.copr("list-package-names", project).stdout.split() == ["python-boolean.py"]


def test_non_ascii_text_is_stored_and_looked_up(frontend):
    """The database is UTF-8, as production's: SQL_ASCII answered 500 to both (issue 18, 6)."""
    project = name()
    created = frontend.copr("create", project, "--chroot", "fedora-44-x86_64",
                            "--description", "café ☕")
    assert created.returncode == 0, created.stderr
    api = requests.get(f"{frontend.frontend_url}/api_3/project",
                       params={"ownername": "alice", "projectname": project}, timeout=10)
    assert api.json()["description"] == "café ☕"
    missing = requests.get(f"{frontend.frontend_url}/api_3/project",
                           params={"ownername": "alice", "projectname": "café"}, timeout=10)
    assert missing.status_code == 404, missing.text
    assert missing.json() == {"error": "Project alice/café does not exist."}


def test_access_log_holds_no_credential(frontend, engine):
    """Neither the API login (gunicorn's %(u)s) nor a query string reaches the log (issue 18,
    14): the saved logs/frontend.log is readable by anyone who gets the report."""
    login = config_value(frontend, "alice", "login")
    token = config_value(frontend, "alice", "token")
    assert frontend.copr("whoami").returncode == 0  # whoami reads the config: no request
    checked = requests.get(f"{frontend.frontend_url}/api_3/auth-check", auth=(login, token),
                           timeout=10)
    assert checked.status_code == 200
    requests.get(f"{frontend.frontend_url}/api_3/project/list",
                 params={"ownername": "alice", "token": token}, timeout=10)
    [instance] = all_components()["frontend"].instances(frontend.run_id)
    container = instance.name

    def logged() -> str:
        # gunicorn writes the access line after the answer: it may reach the log a moment later.
        text = engine.logs(container)
        if "/api_3/auth-check" not in text or "/api_3/project/list" not in text:
            raise wait.NotYet("the two requests are not in the frontend's log yet")
        return text

    log = wait.until(logged, what="the frontend's access log lines", timeout=30)
    assert login not in log and token not in log


def test_forked_project_deletes_and_its_name_can_be_reused(frontend):
    """Upstream marks a deleted project instead of removing the row its fork points at: this
    answered 500 before (issue 14)."""
    project, fork = name(), name()
    assert frontend.copr("create", project, "--chroot", "fedora-44-x86_64").returncode == 0
    forked = frontend.copr("fork", project, fork)
    assert forked.returncode == 0, forked.stderr
    deleted = frontend.copr("delete", project)
    assert deleted.returncode == 0, deleted.stderr
    assert deleted.stdout.strip() == f"Project {project} has been deleted."
    assert frontend.copr("get", project).returncode == 1
    assert f"Name: {fork}\n" in frontend.copr("list").stdout
    again = frontend.copr("create", project, "--chroot", "epel-9-x86_64")
    assert again.returncode == 0, again.stderr
    api = requests.get(f"{frontend.frontend_url}/api_3/project",
                       params={"ownername": "alice", "projectname": project}, timeout=10).json()
    assert list(api["chroot_repos"]) == ["epel-9-x86_64"]


def test_permissions_with_copr_cli(frontend):
    """request-, edit- and list-permissions, and what an approved builder may then do."""
    project = name()
    assert frontend.copr("create", project, "--chroot", "fedora-44-x86_64").returncode == 0
    full = f"alice/{project}"
    url = "http://example.org/hello-1-1.src.rpm"
    assert frontend.copr("build", full, url, "--nowait", user="bob").returncode == 7
    assert frontend.copr("list-permissions", full).returncode == 1  # none set yet: 404
    requested = frontend.copr("request-permissions", full, "--builder", user="bob")
    assert requested.returncode == 0 and requested.stdout.strip() == "success", requested.stderr
    listed = frontend.copr("list-permissions", full)
    assert listed.stdout.splitlines() == ["bob:", "  admin: nothing", "  builder: request"]
    assert frontend.copr("edit-permissions", full, "--builder", "bob").stdout.strip() == "success"
    built = frontend.copr("build", full, url, "--nowait", user="bob")
    assert built.returncode == 0, built.stderr
    assert frontend.copr("modify", full, "--description", "bob", user="bob").returncode == 7
    refused = frontend.copr("edit-permissions", full, "--admin", "bob", user="bob")
    assert refused.returncode == 7
    assert "can not see permissions for project" in refused.stderr


def test_monitor_webhook_secret_and_api_token_with_copr_cli(frontend):
    project = name()
    assert frontend.copr("create", project, "--chroot", "fedora-44-x86_64").returncode == 0
    assert frontend.copr("monitor", project).returncode == 0
    answered = subprocess.run([COPR_CLI, "--config", frontend.config(), "new-webhook-secret",
                               project], input="y\n", capture_output=True, text=True, timeout=60)
    assert answered.returncode == 0, answered.stderr
    assert re.search(r"Generated new token: [0-9a-f-]{36}$", answered.stdout.strip())
    # bob's config gets a new login and token; the old pair stops working.
    old = (config_value(frontend, "bob", "login"), config_value(frontend, "bob", "token"))
    renewed = frontend.copr("new-api-token", user="bob")
    assert renewed.returncode == 0, renewed.stderr
    assert renewed.stdout.strip() == f"New API token was updated in {frontend.config('bob')}."
    new = (config_value(frontend, "bob", "login"), config_value(frontend, "bob", "token"))
    assert new != old
    check = f"{frontend.frontend_url}/api_3/auth-check"
    assert requests.get(check, auth=old, timeout=10).status_code == 401
    assert requests.get(check, auth=new, timeout=10).json()["name"] == "bob"
