"""After a release: every host runs the candidate packages, every service answers, one build in
a new unlisted project goes end to end, and the data made before the release is still there."""

from __future__ import annotations

import hashlib
import json
import secrets
import shlex
from pathlib import Path

import pytest
import requests

from harness.gates.target_logs import save_build_logs
from tests.post_release.repo_install import install_from_repo
from tests.sanity.conftest import wait_build
from tests.support.srpms import make_srpm


def test_every_host_runs_the_candidate_packages(copr_stack, stack_host):
    for host, expected in copr_stack["expected_packages"].items():
        names = [nvr.rsplit("-", 2)[0] for nvr in expected]
        if not names:
            continue
        result = stack_host(host).run("rpm -q --qf '%{NAME}-%{VERSION}-%{RELEASE}\\n' " + " ".join(names))
        assert result.rc == 0, f"{host}: {result.stdout}{result.stderr}"
        assert sorted(result.stdout.split()) == sorted(expected), host


@pytest.mark.needs("probes")
def test_every_service_answers_its_health_probe(copr_stack, stack_host):
    for host, probe in copr_stack["probes"].items():
        if "http" in probe:
            assert requests.get(probe["http"], timeout=10).ok, f"{host}: {probe['http']}"
        else:
            result = stack_host(host).run(shlex.join(probe["exec"]))
            assert result.rc == 0, f"{host}: {probe['exec']} exited {result.rc}"


def test_the_apis_answer(frontend_url, backend_url):
    """Read-only: the frontend's APIv3 root answers its version; the backend serves results."""
    response = requests.get(f"{frontend_url}/api_3/", timeout=10)
    assert response.status_code == 200 and response.json() == {"version": 3}, response.text[:200]
    served = requests.get(f"{backend_url}/results/", timeout=10)
    assert served.status_code < 500, f"{backend_url}/results/: {served.status_code}"


def test_the_named_project_is_intact(copr_stack, client):
    """Read-only: the project the target file names is still there, with its builds listed."""
    named = copr_stack.get("intact_project")
    if not named:
        pytest.skip("the target names no project to check (intact_project:)")
    owner, name = named.split("/")
    found = client.project_proxy.get(owner, name)
    assert found.full_name == named
    client.build_proxy.get_list(owner, name)  # answers (raises on an error)


def test_one_build_end_to_end_in_a_new_unlisted_project(client, copr_cli, copr_stack, copr_created,
                                                        tmp_path):
    owner = copr_stack["owner"]
    project = f"{owner}/{post_release_project()}" if owner.startswith("@") else post_release_project()
    name = project.rsplit("/", 1)[-1]
    copr_created.add(owner, name, copr_stack["default_user"])
    created = copr_cli("create", project, "--unlisted-on-hp", "on",
                       *[arg for chroot in copr_stack["chroots"] for arg in ("--chroot", chroot)])
    assert created.returncode == 0, created.stderr
    try:
        srpm = make_srpm(tmp_path, "post-release-check")
        build = client.build_proxy.create_from_file(owner, name, str(srpm))
        assert wait_build(client, build.id) == "succeeded"
        chroot = copr_stack["chroots"][0]
        repo = client.project_proxy.get(owner, name).chroot_repos[chroot]
        installed = install_from_repo(repo, "post-release-check", f"{repo.rstrip('/').rsplit('/', 1)[0]}"
                                      "/pubkey.gpg", tmp_path / "root")
        assert installed.startswith("post-release-check-"), installed
    finally:
        save_build_logs(client, owner, name)  # for the report, when the harness asks for them
        deleted = copr_cli("delete", project)
    assert deleted.returncode == 0, deleted.stderr
    copr_created.forget(owner, name)
    assert name not in copr_cli("list", owner).stdout


def post_release_project() -> str:
    """The name of the post-release check's project (unique; the dry run prints the pattern)."""
    return f"TEST{secrets.token_hex(6)}PostReleaseTest"


def test_data_from_before_the_release_is_intact(copr_stack, client):
    manifest = copr_stack.get("data_manifest")
    if not manifest:
        pytest.skip("no data was recorded before the release: this run was not an upgrade rehearsal")
    recorded = json.loads(Path(manifest).read_text())
    for project in recorded["projects"]:
        found = client.project_proxy.get(project["ownername"], project["name"])
        assert found.full_name == project["full_name"]
        builds = {b.id: b.state for b in client.build_proxy.get_list(project["ownername"], project["name"])}
        for build_id, state in project["builds"].items():
            assert builds.get(int(build_id)) == state, f"{project['full_name']} build {build_id}"
    for url, digest in recorded.get("files", {}).items():
        response = requests.get(url, timeout=10)
        assert response.ok and hashlib.sha256(response.content).hexdigest() == digest, url
