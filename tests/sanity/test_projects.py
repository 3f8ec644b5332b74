"""Sanity: projects and their chroots, and who may change them.

What upstream's runtest.sh, auto-prune.sh, runtest-module-hotfixes.sh,
runtest-reset-to-defaults.sh and upload_authentication.sh check, against the mock stack:
copr-cli where its exit codes and messages are the point, python-copr for plain API calls.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from copr.v3 import Client
from copr.v3.exceptions import CoprAuthException, CoprNoResultException

from harness.gates import project_names

from ..support.srpms import make_srpm
from harness.gates.project_ledger import Recording

from .conftest import wait_all_finished

CHROOT = "fedora-44-x86_64"
OTHER_CHROOT = "fedora-rawhide-x86_64"
THIRD_CHROOT = "epel-9-x86_64"
SRPM_STORAGE = "/var/lib/copr/data/srpm_storage"  # where the frontend keeps uploaded SRPMs


def unique_name() -> str:
    """A new project name after the running test (a build lane of the report maps to it)."""
    return project_names.for_test()


@pytest.fixture
def made_by_cli(client, copr_created, copr_stack) -> Iterator[list[tuple[str, str]]]:
    """(owner, name) of projects a test makes itself with copr-cli, appended before it makes
    them; deleted after it (and at the session's end by the copr_created registry)."""
    made = Recording(copr_created, copr_stack["default_user"])
    yield made
    for owner, name in made:
        with contextlib.suppress(Exception):  # a test may have deleted it already
            wait_all_finished(client, owner, name)
            client.project_proxy.delete(owner, name)


def api_project(frontend_url: str, owner: str, name: str) -> dict:
    """GET /api_3/project, as upstream's tests read it with curl (anonymous)."""
    response = requests.get(f"{frontend_url}/api_3/project",
                            params={"ownername": owner, "projectname": name}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def get_chroot(copr_cli, owner: str, name: str, chroot: str = CHROOT) -> dict:
    result = copr_cli("get-chroot", f"{owner}/{name}/{chroot}")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# -- project lifecycle ----------------------------------------------------------------------------


def test_create_then_duplicate_and_unknown_chroot_fail_with_upstream_messages(
        copr_cli, frontend_url, owner, client, made_by_cli):
    name = unique_name()
    made_by_cli.append((owner, name))
    created = copr_cli("create", name, "--chroot", CHROOT)
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == (
        f"New project was successfully created: {frontend_url}/coprs/{owner}/{name}/")

    assert copr_cli("create", name, "--chroot", CHROOT).returncode == 1

    # Both field errors at once: copr-cli prints "Error: " on its own line, then one bullet each.
    both = copr_cli("create", name, "--chroot", "wrong-chroot-name")
    assert both.returncode == 1
    lines = both.stderr.splitlines()
    assert "Error: " in lines, both.stderr
    assert f"- name: You already have a project named '{name}'." in lines, both.stderr
    assert "- chroots: 'wrong-chroot-name' is not a valid choice for this field" in lines

    other = unique_name()
    made_by_cli.append((owner, other))
    unknown = copr_cli("create", other, "--chroot", "wrong-chroot-name")
    assert unknown.returncode == 1
    assert "'wrong-chroot-name' is not a valid choice for this field" in unknown.stderr
    with pytest.raises(CoprNoResultException):
        client.project_proxy.get(owner, other)


@pytest.mark.needs("group")
def test_group_project_duplicate_names_the_group(copr_cli, copr_stack, made_by_cli):
    group = copr_stack["group"]
    name = unique_name()
    made_by_cli.append((f"@{group}", name))
    created = copr_cli("create", f"@{group}/{name}", "--chroot", CHROOT)
    assert created.returncode == 0, created.stderr
    assert f"/coprs/g/{group}/{name}/" in created.stdout

    again = copr_cli("create", f"@{group}/{name}", "--chroot", CHROOT, "--chroot", "wrong-chroot-name")
    assert again.returncode == 1
    bullet = next(line for line in again.stderr.splitlines() if line.startswith("- name: "))
    # upstream: "- name: Group copr (fas: <FAS group>) already has a project named '<name>'."
    assert bullet.startswith(f"- name: Group {group} (fas: "), bullet
    assert bullet.endswith(f") already has a project named '{name}'."), bullet


def test_create_with_copr_repo_and_mock_config(copr_cli, owner, frontend_url, project, made_by_cli):
    parent = project()
    child = unique_name()
    made_by_cli.append((owner, child))
    created = copr_cli("create", child, "--chroot", CHROOT, "--repo", f"copr://{owner}/{parent}")
    assert created.returncode == 0, created.stderr
    assert api_project(frontend_url, owner, child)["additional_repos"] == [f"copr://{owner}/{parent}"]

    config = copr_cli("mock-config", f"{owner}/{child}", CHROOT)
    assert config.returncode == 0, config.stderr
    # The copr:// repository is expanded to the parent's results for that chroot.
    assert f"results/{owner}/{parent}/{CHROOT}/" in config.stdout, config.stdout
    assert f"results/{owner}/{child}/{CHROOT}/" in config.stdout
    assert f"config_opts['root'] = '{owner}-{child}_{CHROOT}'" in config.stdout

    assert copr_cli("mock-config", "notexistent/notexistent", CHROOT).returncode == 1
    missing_chroot = copr_cli("mock-config", f"{owner}/{child}", "fedora-14-x86_64")
    assert missing_chroot.returncode == 1
    assert "fedora-14-x86_64" in missing_chroot.stderr


def test_modify_auto_prune_module_hotfixes_unlisted_shows_in_the_api(
        copr_cli, owner, frontend_url, made_by_cli):
    name = unique_name()
    made_by_cli.append((owner, name))
    created = copr_cli("create", name, "--chroot", CHROOT, "--auto-prune", "off",
                       "--module-hotfixes", "off", "--unlisted-on-hp", "on")
    assert created.returncode == 0, created.stderr
    before = api_project(frontend_url, owner, name)
    assert (before["auto_prune"], before["module_hotfixes"], before["unlisted_on_hp"]) == (
        False, False, True)

    modified = copr_cli("modify", name, "--auto-prune", "on", "--module-hotfixes", "on",
                        "--unlisted-on-hp", "off")
    assert modified.returncode == 0, modified.stderr
    after = api_project(frontend_url, owner, name)
    assert (after["auto_prune"], after["module_hotfixes"], after["unlisted_on_hp"]) == (
        True, True, False)
    # modify changes only what it is told: the chroots stay.
    assert list(after["chroot_repos"]) == [CHROOT]
    # module_hotfixes reaches the project's repository in the mock config.
    config = copr_cli("mock-config", f"{owner}/{name}", CHROOT)
    assert "module_hotfixes=True" in config.stdout, config.stdout


def test_delete_wrong_name_fails_and_deleted_project_leaves_the_list(copr_cli, owner, made_by_cli):
    wrong = copr_cli("delete", f"{unique_name()}-wrong-name")
    assert wrong.returncode == 1
    assert "does not exist" in wrong.stderr

    name = unique_name()
    made_by_cli.append((owner, name))
    assert copr_cli("create", name, "--chroot", CHROOT).returncode == 0
    assert f"Name: {name}\n" in copr_cli("list").stdout
    deleted = copr_cli("delete", name)
    assert deleted.returncode == 0, deleted.stderr
    assert deleted.stdout.strip() == f"Project {name} has been deleted."
    listed = copr_cli("list")
    assert listed.returncode == 0
    assert f"Name: {name}\n" not in listed.stdout
    assert copr_cli("get", f"{owner}/{name}").returncode == 1


# -- chroots --------------------------------------------------------------------------------------


@pytest.mark.chroots(THIRD_CHROOT, OTHER_CHROOT)
def test_modify_chroots_drops_the_others(copr_cli, owner, frontend_url, project):
    name = project(CHROOT, THIRD_CHROOT)
    modified = copr_cli("modify", name, "--chroot", CHROOT, "--chroot", OTHER_CHROOT)
    assert modified.returncode == 0, modified.stderr
    assert sorted(api_project(frontend_url, owner, name)["chroot_repos"]) == sorted(
        [CHROOT, OTHER_CHROOT])
    assert copr_cli("get-chroot", f"{name}/{THIRD_CHROOT}").returncode == 1
    assert copr_cli("get-chroot", f"{name}/{CHROOT}").returncode == 0
    assert copr_cli("get-chroot", f"{name}/{OTHER_CHROOT}").returncode == 0

    bad = copr_cli("modify", name, "--chroot", "non-existing-1")
    assert bad.returncode == 1
    assert "'non-existing-1' is not a valid choice for this field" in bad.stderr
    assert sorted(api_project(frontend_url, owner, name)["chroot_repos"]) == sorted(
        [CHROOT, OTHER_CHROOT])


def test_edit_chroot_and_reset_fields_to_defaults(copr_cli, owner, project):
    name = project()
    fresh = get_chroot(copr_cli, owner, name)
    edited = copr_cli("edit-chroot", f"{name}/{CHROOT}", "--isolation", "simple",
                      "--modules", "foo:bar", "--packages", "foo bar baz", "--rpmbuild-with=--foo")
    assert edited.returncode == 0, edited.stderr
    assert "Edit chroot operation was successful." in edited.stdout
    chroot = get_chroot(copr_cli, owner, name)
    assert chroot["additional_packages"] == ["foo", "bar", "baz"]
    assert chroot["additional_modules"] == ["foo:bar"]
    assert chroot["isolation"] == "simple"
    assert chroot["with_opts"] == ["--foo"]

    # Reset one field: the others stay.
    assert copr_cli("edit-chroot", f"{name}/{CHROOT}", "--reset", "additional_packages").returncode == 0
    chroot = get_chroot(copr_cli, owner, name)
    assert chroot["additional_packages"] == []
    assert (chroot["additional_modules"], chroot["isolation"], chroot["with_opts"]) == (
        ["foo:bar"], "simple", ["--foo"])

    assert copr_cli("edit-chroot", f"{name}/{CHROOT}", "--reset", "additional_modules").returncode == 0
    chroot = get_chroot(copr_cli, owner, name)
    assert chroot["additional_modules"] == []
    assert (chroot["isolation"], chroot["with_opts"]) == ("simple", ["--foo"])

    # Several at once; then the chroot is exactly as it was fresh.
    reset = copr_cli("edit-chroot", f"{name}/{CHROOT}", "--reset", "isolation", "--reset", "with_opts")
    assert reset.returncode == 0, reset.stderr
    chroot = get_chroot(copr_cli, owner, name)
    assert chroot["isolation"] == "unchanged" and chroot["with_opts"] == []
    assert chroot == fresh

    bad = copr_cli("edit-chroot", f"{name}/{CHROOT}", "--reset", "nonexisting")
    assert bad.returncode == 1
    assert "Trying to reset an invalid attribute: nonexisting" in bad.stderr
    assert (f"copr-cli get-chroot {owner}/{name}/{CHROOT}' for all the possible attributes"
            in bad.stderr), bad.stderr


def test_edit_chroot_repos_packages_and_comps(copr_cli, owner, project, tmp_path):
    name = project()
    path = f"{name}/{CHROOT}"
    comps = tmp_path / f"comps-{secrets.token_hex(3)}.xml"
    comps.write_text("<comps><group><id>nfs</id><packagelist>"
                     "<packagereq>nfs-utils</packagereq></packagelist></group></comps>\n")
    assert copr_cli("edit-chroot", path, "--upload-comps", str(comps)).returncode == 0
    assert get_chroot(copr_cli, owner, name)["comps_name"] == comps.name
    assert copr_cli("edit-chroot", path, "--delete-comps").returncode == 0
    assert get_chroot(copr_cli, owner, name)["comps_name"] is None

    edited = copr_cli("edit-chroot", path, "--repos", "http://foo/repo http://bar/repo",
                      "--packages", "gcc")
    assert edited.returncode == 0, edited.stderr
    chroot = get_chroot(copr_cli, owner, name)
    assert chroot["additional_repos"] == ["http://foo/repo", "http://bar/repo"]
    assert chroot["additional_packages"] == ["gcc"]
    # The build config (what builders get) carries them too.
    config = copr_cli("mock-config", f"{owner}/{name}", CHROOT)
    assert "baseurl=http://foo/repo" in config.stdout and "baseurl=http://bar/repo" in config.stdout
    assert "'gcc'" in config.stdout, config.stdout

    # Empty strings clear the lists.
    cleared = copr_cli("edit-chroot", path, "--repos", "", "--packages", "")
    assert cleared.returncode == 0, cleared.stderr
    chroot = get_chroot(copr_cli, owner, name)
    assert chroot["additional_repos"] == [] and chroot["additional_packages"] == []

    assert copr_cli("edit-chroot", f"{name}/fedora-44-x86_65").returncode == 1


# -- permissions ----------------------------------------------------------------------------------


def test_bad_token_is_refused_and_uploads_nothing(copr_cli, copr_stack, owner, client, project,
                                                  stack_host, tmp_path):
    name = project()
    good = Path(copr_stack["users"][owner]).read_text()
    token = next(line for line in good.splitlines() if line.startswith("token"))
    bad = tmp_path / "copr-bad.conf"
    bad.write_text(good.replace(token, "token = " + "x" * 32))
    package = f"auth-test-{secrets.token_hex(3)}"
    srpm = make_srpm(tmp_path / "srpm", package)

    result = copr_cli("build", name, str(srpm), config=str(bad))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Login invalid/expired" in result.stderr
    assert "Uploading package" not in result.stdout
    assert list(client.build_proxy.get_list(owner, name)) == []
    stored = stack_host("frontend").run(f"find {SRPM_STORAGE} -name '{package}-*'")
    assert stored.rc == 0 and stored.stdout.strip() == "", stored.stdout

    # The same SRPM with the good token goes through (so the refusal was about the token).
    accepted = copr_cli("build", name, str(srpm), "--nowait")
    assert accepted.returncode == 0, accepted.stderr
    assert "Uploading package" in accepted.stdout


def test_another_users_project_cannot_be_modified(copr_cli, owner, frontend_url, project,
                                                  other_client: Client, copr_stack):
    name = project(description="alice's")
    bob = next(user for user in copr_stack["users"] if user != owner)

    for args in (("modify", f"{owner}/{name}", "--description", "bob was here"),
                 ("edit-chroot", f"{owner}/{name}/{CHROOT}", "--packages", "gcc"),
                 ("add-package-scm", f"{owner}/{name}", "--name", "intruder",
                  "--clone-url", "https://example.invalid/x.git"),
                 ("delete", f"{owner}/{name}")):
        result = copr_cli(*args, user=bob)
        assert result.returncode == 7, (args, result.stderr)
        assert "Operation requires API authentication" in result.stderr

    with pytest.raises(CoprAuthException, match="Only owners and admins may update"):
        other_client.project_proxy.edit(owner, name, description="bob was here")
    with pytest.raises(CoprAuthException):
        other_client.project_proxy.delete(owner, name)
    with pytest.raises(CoprAuthException):
        other_client.package_proxy.add(owner, name, "intruder", "rubygems", {"gem_name": "x"})

    after = api_project(frontend_url, owner, name)
    assert after["description"] == "alice's"
    assert get_chroot(copr_cli, owner, name)["additional_packages"] == []
    assert copr_cli("list-package-names", name).stdout.strip() == ""
