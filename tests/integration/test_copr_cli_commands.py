"""Every copr-cli command against one running stack, run as a user would, with upstream's outcome.

One stack and one real build serve the whole module: the build-method commands are asserted at
the API (the build is created with the method's source, as upstream stores it); whether each
method then builds is the sanity suite's business (tests/sanity/test_build_methods.py).
COVERAGE maps each copr-cli command to the test that runs it; `test_command_is_covered` fails
when the installed copr-cli gains a command that no test runs.
"""

from __future__ import annotations

import inspect
import json
import re
import secrets
import subprocess
from pathlib import Path

import pytest
import requests
from copr_cli.main import setup_parser

from ..support.srpms import fixture_srpm, make_srpm
from . import copr_cli_inprocess
from .copr_stack import COPR_CLI, Stack

pytestmark = pytest.mark.integration

CHROOT = "fedora-44-x86_64"


def installed_commands() -> list[str]:
    """The subcommands of the installed copr-cli, read from its own argument parser."""
    parser = setup_parser()
    [subparsers] = [a for a in parser._actions if isinstance(a.choices, dict)]  # noqa: SLF001
    return sorted(subparsers.choices)


def cli(copr: Stack, *args: str, user: str = "alice",
        stdin: str = "") -> subprocess.CompletedProcess[str]:
    """copr-cli ARGS as `user`, in this process."""
    return copr_cli_inprocess.run(copr.config(user), *args, stdin=stdin)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    """The stdout of a command that must have exited 0."""
    assert result.returncode == 0, f"exit {result.returncode}: {result.stdout}{result.stderr}"
    return result.stdout


def refused(result: subprocess.CompletedProcess[str], code: int, line: str) -> None:
    """copr-cli's answer to a frontend refusal: its exit code and upstream's message."""
    assert result.returncode == code, result.stdout + result.stderr
    assert f"Error: {line}" in result.stderr, result.stderr


def created_build(result: subprocess.CompletedProcess[str], project: str) -> int:
    out = ok(result)
    assert f"Build was added to {project}:" in out, out
    return int(re.search(r"^Created builds: (\d+)$", out, re.MULTILINE)[1])


def api(copr: Stack, path: str, **params) -> requests.Response:
    return requests.get(f"{copr.frontend_url}/api_3/{path}", params=params, timeout=10)


def project_api(copr: Stack, project: str) -> requests.Response:
    return api(copr, "project", ownername="alice", projectname=project)


def login_pair(copr: Stack, user: str) -> tuple[str, str]:
    """The API login and token in a user's copr-cli config."""
    text = Path(copr.config(user)).read_text()
    return tuple(re.search(rf"^{key} = (.*)$", text, re.MULTILINE)[1] for key in ("login", "token"))


def build_ids(copr: Stack, project: str) -> list[int]:
    builds = api(copr, "build/list", ownername="alice", projectname=project).json()["items"]
    return sorted(build["id"] for build in builds)


def source_config(copr: Stack, build_id: int) -> dict:
    answer = api(copr, f"build/source-build-config/{build_id}")
    assert answer.ok, answer.text
    return answer.json()


def create_project(copr: Stack) -> str:
    """`create` of a project of alice's with one chroot."""
    name = f"cmd{secrets.token_hex(3)}"
    out = ok(cli(copr, "create", name, "--chroot", CHROOT, "--description", "all commands"))
    url = f"{copr.frontend_url}/coprs/alice/{name}/"
    assert out.strip() == f"New project was successfully created: {url}"
    assert list(project_api(copr, name).json()["chroot_repos"]) == [CHROOT]
    return name


@pytest.fixture(scope="module")
def project(copr: Stack) -> str:
    """The project the module works in."""
    return create_project(copr)


def first_build(copr: Stack, project: str, folder: Path) -> int:
    """`build` of an uploaded SRPM, waited for: it must succeed."""
    srpm = make_srpm(folder, "hello")
    result = cli(copr, "build", project, str(srpm), "--nowait")
    assert f"Uploading package {srpm}" in result.stdout
    created = created_build(result, project)
    assert copr.wait_build(created) == "succeeded"
    return created


@pytest.fixture(scope="module")
def build_id(copr: Stack, project: str, tmp_path_factory) -> int:
    """The module's one real build, shared by the commands that need a finished build."""
    return first_build(copr, project, tmp_path_factory.mktemp("srpm"))


def test_account_commands(copr):
    """whoami, list-chroots, new-api-token (bob's: his config holds the new pair, the old one
    stops working)."""
    assert ok(cli(copr, "whoami")).strip() == "alice"
    # One line per chroot; a chroot's comment follows it, indented.
    chroots = [line for line in ok(cli(copr, "list-chroots")).splitlines() if line[:1] != " "]
    assert chroots == list(api(copr, "mock-chroots/list").json()) and CHROOT in chroots
    old = login_pair(copr, "bob")
    out = ok(cli(copr, "new-api-token", user="bob"))
    assert out.strip() == f"New API token was updated in {copr.config('bob')}."
    new = login_pair(copr, "bob")
    assert new != old
    check = f"{copr.frontend_url}/api_3/auth-check"
    assert requests.get(check, auth=old, timeout=10).status_code == 401
    assert requests.get(check, auth=new, timeout=10).json()["name"] == "bob"


def test_project_commands(copr, project):
    """get, list, modify, edit-chroot, get-chroot, mock-config, regenerate-repos, fork, delete."""
    assert f"Name: {project}\n" in ok(cli(copr, "get", project))
    assert f"Name: {project}\n" in ok(cli(copr, "list"))
    modified = cli(copr, "modify", project, "--description", "changed", "--unlisted-on-hp", "on")
    assert ok(modified) == ""
    stored = project_api(copr, project).json()
    assert (stored["description"], stored["unlisted_on_hp"]) == ("changed", True)

    chroot = f"{project}/{CHROOT}"
    edited = ok(cli(copr, "edit-chroot", chroot, "--packages", "gcc make"))
    assert edited.strip() == "Edit chroot operation was successful."
    got = json.loads(ok(cli(copr, "get-chroot", chroot)))
    assert (got["mock_chroot"], got["additional_packages"]) == (CHROOT, ["gcc", "make"])
    config = ok(cli(copr, "mock-config", project, CHROOT))
    assert f"include('/etc/mock/{CHROOT}.cfg')" in config
    assert f"baseurl={copr.env['BACKEND_URL']}/results/alice/{project}/{CHROOT}/" in config
    assert "config_opts['chroot_additional_packages'] = 'gcc make'" in config

    refused(cli(copr, "regenerate-repos", f"alice/{project}", user="bob"), 7, f"User 'bob' can "
            f"not see permissions for project 'alice/{project}' (missing admin rights)")
    regenerated = ok(cli(copr, "regenerate-repos", project))
    assert regenerated.strip() == ("Submitted action to regenerate repository metadata for the "
                                   f"'alice/{project}' project.")
    fork = f"{project}-fork"
    forked = ok(cli(copr, "fork", project, fork))
    assert forked.startswith(f"Forking project alice/{project} for you into alice/{fork}.\n")
    assert project_api(copr, fork).json()["full_name"] == f"alice/{fork}"
    refused(cli(copr, "delete", f"alice/{fork}", user="bob"), 7,
            "Only owners may delete their projects.")
    assert ok(cli(copr, "delete", fork)).strip() == f"Project {fork} has been deleted."
    assert project_api(copr, fork).status_code == 404
    assert f"Name: {fork}\n" not in ok(cli(copr, "list"))


def test_build_commands(copr, project, build_id, tmp_path):
    """build (the fixture), status, watch-build, list-builds, monitor, download-build."""
    assert ok(cli(copr, "status", str(build_id))).strip() == "succeeded"
    watched = ok(cli(copr, "watch-build", str(build_id)))  # finished: one line, no wait
    assert re.search(rf"^  \d\d:\d\d:\d\d Build {build_id}: succeeded$", watched, re.MULTILINE)
    rows = ok(cli(copr, "list-builds", project)).splitlines()
    assert f"{build_id}\thello\tsucceeded" in rows
    monitored = json.loads(ok(cli(copr, "monitor", project)))
    assert {"build_id": build_id, "chroot": CHROOT, "name": "hello", "pkg_version": "1.0-1",
            "state": "succeeded"} in monitored
    dest = tmp_path / "download"
    ok(cli(copr, "download-build", str(build_id), "--dest", str(dest)))
    names = sorted(p.name for p in (dest / CHROOT).glob("*.rpm"))
    assert names == ["hello-1.0-1.fc44.noarch.rpm", "hello-1.0-1.fc44.src.rpm"], names


def test_cancel_and_delete_build(copr, project, tmp_path):
    """cancel of an unfinished build, cancel of a finished one (upstream's 409), delete-build."""
    endless = created_build(cli(copr, "build", project, str(fixture_srpm(tmp_path, "endless")),
                                      "--nowait"), project)
    assert ok(cli(copr, "cancel", str(endless))).strip() == "canceled"
    assert copr.build_state(endless) == "canceled"
    refused(cli(copr, "cancel", str(endless)), 1, f"Cannot cancel build {endless}")
    deleted = ok(cli(copr, "delete-build", str(endless)))
    assert deleted.strip() == f"Build(s) {endless} were deleted."
    assert api(copr, f"build/{endless}").status_code == 404


def test_build_method_commands(copr, project, tmp_path):
    """buildscm, buildcustom, build-distgit, buildpypi, buildgem: each creates a build whose
    source is stored as upstream stores it; uploadrpm is refused as upstream's frontend refuses
    it (python-copr's route does not exist there)."""
    script = tmp_path / "make-spec.sh"
    script.write_text("#!/bin/sh\nexit 0\n")
    commands = {
        "scm": (["buildscm", project, "--clone-url", "https://src.example.org/hello.git",
                 "--commit", "v1", "--subdir", "pkg", "--spec", "hello.spec",
                 "--method", "make_srpm"],
                {"clone_url": "https://src.example.org/hello.git", "committish": "v1",
                 "subdirectory": "pkg", "spec": "hello.spec", "srpm_build_method": "make_srpm"}),
        "custom": (["buildcustom", project, "--script", str(script), "--script-chroot", CHROOT,
                    "--script-resultdir", "out"],
                   {"script": script.read_text(), "chroot": CHROOT, "resultdir": "out"}),
        "distgit": (["build-distgit", project, "--name", "hello", "--commit", "main"],
                    {"committish": "main"}),
        "pypi": (["buildpypi", project, "--packagename", "hello", "--packageversion", "1.0"],
                 {"pypi_package_name": "hello", "pypi_package_version": "1.0"}),
        "rubygems": (["buildgem", project, "--gem", "hello"], {"gem_name": "hello"}),
    }
    for source_type, (args, stored) in commands.items():
        created = created_build(cli(copr, *args, "--nowait"), project)
        config = source_config(copr, created)
        assert config["source_type"] == source_type, config
        assert stored.items() <= config["source_dict"].items(), config

    before = build_ids(copr, project)
    srpm = make_srpm(tmp_path / "rpm", "prebuilt")
    refused(cli(copr, "uploadrpm", project, str(srpm)), 1, "Such API endpoint doesn't exist")
    assert build_ids(copr, project) == before


def test_package_commands(copr, project, tmp_path):
    """add-/edit-package-{scm,custom,distgit,pypi,rubygems}, get-package, list-packages,
    list-package-names, build-package, reset-package, delete-package."""
    script = tmp_path / "make-spec.sh"
    script.write_text("#!/bin/sh\nexit 0\n")
    kinds = {  # source type: (package, add arguments, edit arguments, what the edit stores)
        "scm": ("p-scm", ["--clone-url", "https://src.example.org/a.git"],
                ["--clone-url", "https://src.example.org/b.git", "--commit", "v2"],
                {"clone_url": "https://src.example.org/b.git", "committish": "v2"}),
        "custom": ("p-custom", ["--script", str(script)],
                   ["--script", str(script), "--script-chroot", CHROOT], {"chroot": CHROOT}),
        "distgit": ("p-distgit", [], ["--commit", "f44"], {"committish": "f44"}),
        "pypi": ("p-pypi", ["--packagename", "hello"], ["--packagename", "hello2"],
                 {"pypi_package_name": "hello2"}),
        "rubygems": ("p-rubygems", ["--gem", "hello"], ["--gem", "hello2"], {"gem_name": "hello2"}),
    }
    for kind, (name, add, edit, stored) in kinds.items():
        for action, args in (("add", add), ("edit", edit)):
            out = ok(cli(copr, f"{action}-package-{kind}", project, "--name", name, *args))
            assert out.strip() == "Create or edit operation was successful."
        package = json.loads(ok(cli(copr, "get-package", project, "--name", name)))
        assert package["source_type"] == kind, package
        assert stored.items() <= package["source_dict"].items(), package
    refused(cli(copr, "add-package-pypi", project, "--name", "p-pypi", "--packagename", "x"), 1,
            f"Package p-pypi already exists in copr alice/{project}.")
    listed = json.loads(ok(cli(copr, "list-packages", project)))
    assert {p["name"] for p in listed} >= {name for name, *_ in kinds.values()}
    names = ok(cli(copr, "list-package-names", project)).split()
    assert set(names) >= {name for name, *_ in kinds.values()}

    rebuilt = created_build(cli(copr, "build-package", project, "--name", "p-pypi", "--nowait"),
                            project)
    assert source_config(copr, rebuilt)["source_dict"]["pypi_package_name"] == "hello2"
    reset = ok(cli(copr, "reset-package", project, "--name", "p-scm"))
    assert reset.strip() == "Package's default source was successfully reseted."
    got = json.loads(ok(cli(copr, "get-package", project, "--name", "p-scm")))
    assert got["source_type"] == "unset"
    refused(cli(copr, "build-package", project, "--name", "p-scm", "--nowait"), 1,
            "Package 'Unset default source for package p-scm' doesn't have the default source")
    deleted = ok(cli(copr, "delete-package", project, "--name", "p-scm"))
    assert deleted.strip() == "Package p-scm was successfully deleted."
    assert "p-scm" not in ok(cli(copr, "list-package-names", project)).split()


def test_permission_commands(copr, project):
    """request-permissions (bob), edit-permissions and list-permissions (alice), and
    new-webhook-secret, which asks before it replaces the secret."""
    full = f"alice/{project}"
    refused(cli(copr, "list-permissions", full), 1, f"No permissions set on {full} project")
    assert ok(cli(copr, "request-permissions", full, "--builder", user="bob")).strip() == "success"
    assert ok(cli(copr, "edit-permissions", full, "--builder", "bob")).strip() == "success"
    assert ok(cli(copr, "list-permissions", full)).splitlines() == [
        "bob:", "  admin: nothing", "  builder: approved"]
    can_build = api(copr, f"project/permissions/can_build_in/bob/alice/{project}").json()
    assert can_build["can_build_in"] is True
    refused(cli(copr, "edit-permissions", full, "--admin", "bob", user="bob"), 7,
            f"User 'bob' can not see permissions for project '{full}' (missing admin rights)")

    out = ok(cli(copr, "new-webhook-secret", project, stdin="y\n"))
    assert out.startswith(f"Generate a new webhook secret for {project} [y/n]? "), out
    assert re.search(r"Generated new token: [0-9a-f-]{36}$", out.strip()), out


# Each copr-cli command and the test above that runs it.
COVERAGE = {
    "whoami": test_account_commands, "list-chroots": test_account_commands,
    "new-api-token": test_account_commands,
    "create": create_project,
    **dict.fromkeys(["get", "list", "modify", "edit-chroot", "get-chroot", "mock-config",
                     "regenerate-repos", "fork", "delete"], test_project_commands),
    "build": first_build,
    **dict.fromkeys(["status", "watch-build", "list-builds", "monitor", "download-build"],
                    test_build_commands),
    **dict.fromkeys(["cancel", "delete-build"], test_cancel_and_delete_build),
    **dict.fromkeys(["buildscm", "buildcustom", "build-distgit", "buildpypi", "buildgem",
                     "uploadrpm"], test_build_method_commands),
    **dict.fromkeys([f"{action}-package-{kind}" for action in ("add", "edit")
                     for kind in ("scm", "custom", "distgit", "pypi", "rubygems")]
                    + ["get-package", "list-packages", "list-package-names", "build-package",
                       "reset-package", "delete-package"], test_package_commands),
    **dict.fromkeys(["request-permissions", "edit-permissions", "list-permissions",
                     "new-webhook-secret"], test_permission_commands),
}


def runs(source: str, command: str) -> bool:
    """Whether a test's source passes `command` to copr-cli (the package commands are spelt
    `f"{action}-package-{kind}"` over a table of kinds)."""
    if re.search(rf"""["']{re.escape(command)}["']""", source):
        return True
    package = re.fullmatch(r"(add|edit)-package-(\w+)", command)
    return (bool(package) and 'f"{action}-package-{kind}"' in source
            and f'"{package[2]}": (' in source)


@pytest.mark.parametrize("command", installed_commands())
def test_command_is_covered(command):
    """A command the installed copr-cli has is run by the function COVERAGE names for it."""
    assert command in COVERAGE, f"copr-cli has a command no test runs: {command}"
    runner = COVERAGE[command]
    assert runs(inspect.getsource(runner), command), f"{runner.__name__} does not run {command}"


def test_coverage_names_only_real_commands():
    """A command copr-cli dropped or renamed must leave COVERAGE (and its test)."""
    assert sorted(set(COVERAGE) - set(installed_commands())) == []


@pytest.mark.parametrize("args", [["whoami"], ["list-builds"], ["cancel", "--help"]])
def test_in_process_copr_cli_answers_as_the_installed_script(tmp_path, args):
    """The in-process runner gives what the installed script gives: exit code, stdout, stderr
    (a config error exits 6, an argparse error 2, --help 0)."""
    missing = str(tmp_path / "no-such.conf")
    script = subprocess.run([COPR_CLI, "--config", missing, *args], capture_output=True,
                            text=True, timeout=60)
    inside = copr_cli_inprocess.run(missing, *args)
    assert (inside.returncode, inside.stdout, inside.stderr) == (
        script.returncode, script.stdout, script.stderr)
