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


def test_every_service_answers_its_health_probe(copr_stack, stack_host):
    for host, probe in copr_stack["probes"].items():
        if "http" in probe:
            assert requests.get(probe["http"], timeout=10).ok, f"{host}: {probe['http']}"
        else:
            result = stack_host(host).run(shlex.join(probe["exec"]))
            assert result.rc == 0, f"{host}: {probe['exec']} exited {result.rc}"


def test_one_build_end_to_end_in_a_new_unlisted_project(client, copr_cli, owner, tmp_path):
    project = f"TEST{secrets.token_hex(6)}PostReleaseTest"
    created = copr_cli("create", project, "--unlisted-on-hp", "on", "--chroot", "fedora-44-x86_64")
    assert created.returncode == 0, created.stderr
    try:
        srpm = make_srpm(tmp_path, "post-release-check")
        build = client.build_proxy.create_from_file(owner, project, str(srpm))
        assert wait_build(client, build.id) == "succeeded"
    finally:
        deleted = copr_cli("delete", project)
    assert deleted.returncode == 0, deleted.stderr
    assert project not in copr_cli("list").stdout


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
