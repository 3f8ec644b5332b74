"""Builds with the real copr-cli: from an uploaded SRPM or spec file and from a URL, good ones
succeed and broken ones fail; list-builds, status, watch-build, delete-build; builds refused
before anything is uploaded (upstream: runtest.sh, build-spec.sh, upload_authentication.sh)."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
import requests

from ..support.srpms import fixture_srpm, make_srpm
from ._builds import CHROOT, build_dir, created_ids, served, srpm_dir, submit
from .conftest import wait_build, wait_url

# BuildSourceEnum values in the SRPM task's source_type.
SOURCE_LINK, SOURCE_UPLOAD = 1, 2


def srpm_task(frontend_url: str, build_id: int) -> dict:
    response = requests.get(f"{frontend_url}/backend/get-srpm-build-task/{build_id}", timeout=10)
    assert response.status_code == 200, response.text
    task = response.json()
    task["source_json"] = json.loads(task["source_json"])
    return task


@pytest.mark.slow
def test_uploaded_srpms_good_one_succeeds_broken_one_exits_4(copr_cli, client, project, tmp_path):
    name = project()
    good = submit(copr_cli, name, fixture_srpm(tmp_path / "good", "hello"))

    # The one test that lets copr-cli watch: it polls at once, then every 30 s.
    watched = copr_cli("build", name, str(fixture_srpm(tmp_path / "broken", "broken")))
    broken = created_ids(watched)[0]
    output = watched.stdout + watched.stderr
    assert watched.returncode == 4, output
    assert f"Build {broken}: failed" in output
    assert f"Build(s) {broken} failed" in output

    assert wait_build(client, good) == "succeeded"
    listed = copr_cli("list-builds", name)
    assert listed.returncode == 0, listed.stderr
    assert sorted(listed.stdout.strip().splitlines()) == sorted(
        [f"{good}\thello\tsucceeded", f"{broken}\tbroken\tfailed"])


def test_spec_file_upload_is_built_into_an_srpm_by_the_builder(copr_cli, client, frontend_url,
                                                              backend_url, owner, project, tmp_path):
    name = project()
    spec = make_srpm(tmp_path, "fromspec").with_name("fromspec.spec")
    build_id = submit(copr_cli, name, spec)
    assert wait_build(client, build_id) == "succeeded"

    task = srpm_task(frontend_url, build_id)
    assert task["source_type"] == SOURCE_UPLOAD
    assert task["source_json"]["pkg"] == "fromspec.spec"
    # The builder ran rpmbuild -bs with %dist undefined: the SRPM has no dist tag.
    srpm_files = requests.get(f"{backend_url}/results/{srpm_dir(owner, name, build_id)}/", timeout=10)
    assert "fromspec-1.0-1.src.rpm" in srpm_files.text
    build = client.build_proxy.get(build_id)
    assert build.source_package["name"] == "fromspec"
    assert build.source_package["version"] == "1.0-1"
    packages = client.build_proxy.get_built_packages(build_id)[CHROOT]["packages"]
    assert sorted((p["name"], p["arch"]) for p in packages) == [("fromspec", "noarch"), ("fromspec", "src")]


@pytest.mark.slow
def test_url_builds_good_one_succeeds_broken_one_fails(copr_cli, client, frontend_url, project,
                                                      tmp_path):
    name = project()
    good_upload = submit(copr_cli, name, fixture_srpm(tmp_path / "good", "hello"))
    broken_upload = submit(copr_cli, name, fixture_srpm(tmp_path / "broken", "broken"))
    assert wait_build(client, good_upload) == "succeeded"
    assert wait_build(client, broken_upload) == "failed"

    # URLs the builder reaches inside the stack: the SRPM the backend published for the first
    # build, and the file the frontend keeps from the second one's upload.
    good_url = client.build_proxy.get(good_upload).source_package["url"]
    broken_url = srpm_task(frontend_url, broken_upload)["source_json"]["url"]
    assert good_url.endswith("/hello-1.0-1.src.rpm") and broken_url.endswith("/broken-1.0-1.src.rpm")
    good = submit(copr_cli, name, good_url)
    broken = submit(copr_cli, name, broken_url)
    assert wait_build(client, good) == "succeeded"
    assert wait_build(client, broken) == "failed"

    for build_id, url in ((good, good_url), (broken, broken_url)):
        task = srpm_task(frontend_url, build_id)
        assert task["source_type"] == SOURCE_LINK
        assert task["source_json"]["url"] == url
    assert client.build_proxy.get(good).source_package["name"] == "hello"
    rows = copr_cli("list-builds", name).stdout.splitlines()
    assert f"{good}\thello\tsucceeded" in rows and f"{broken}\tbroken\tfailed" in rows


def test_nowait_status_and_watch_build(copr_cli, client, project, tmp_path):
    name = project()
    build_id = submit(copr_cli, name, fixture_srpm(tmp_path, "hello"))
    early = copr_cli("status", str(build_id))
    assert early.returncode == 0, early.stderr
    assert early.stdout.strip() in ("pending", "waiting", "starting", "running", "importing")

    assert wait_build(client, build_id) == "succeeded"
    # The build has finished: watch-build answers on its first poll.
    watched = copr_cli("watch-build", str(build_id))
    assert watched.returncode == 0, watched.stdout + watched.stderr
    assert f"Build {build_id}: succeeded" in watched.stdout
    status = copr_cli("status", str(build_id))
    assert (status.returncode, status.stdout.strip()) == (0, "succeeded")


def test_watch_build_of_a_failed_build_exits_4(copr_cli, client, project, tmp_path):
    name = project()
    build_id = submit(copr_cli, name, fixture_srpm(tmp_path, "broken"))
    assert wait_build(client, build_id) == "failed"
    watched = copr_cli("watch-build", str(build_id))
    assert watched.returncode == 4, watched.stdout + watched.stderr
    assert f"Build(s) {build_id} failed" in watched.stderr
    assert copr_cli("status", str(build_id)).stdout.strip() == "failed"


def test_delete_build_then_status_exits_1(copr_cli, client, backend_url, owner, project, tmp_path):
    name = project()
    build_id = submit(copr_cli, name, fixture_srpm(tmp_path, "hello", name="doomed"))
    assert wait_build(client, build_id) == "succeeded"
    dirs = [srpm_dir(owner, name, build_id), build_dir(owner, name, CHROOT, build_id, "doomed")]
    for path in dirs:
        assert served(f"{backend_url}/results/{path}/success"), path

    deleted = copr_cli("delete-build", str(build_id))
    assert deleted.returncode == 0, deleted.stderr
    status = copr_cli("status", str(build_id))
    assert status.returncode == 1, status.stdout + status.stderr
    assert str(build_id) not in copr_cli("list-builds", name).stdout
    # The backend's delete action removes the chroot's result directory; as upstream's backend
    # does, it leaves srpm-builds/<id> (pruned by age, prune_days, not by the delete).
    wait_url(f"{backend_url}/results/{dirs[1]}/", status=404)
    assert not served(f"{backend_url}/results/{dirs[1]}/success")
    assert served(f"{backend_url}/results/{dirs[0]}/success")


def test_build_refused_before_upload(copr_cli, client, owner, project, tmp_path):
    srpm = fixture_srpm(tmp_path, "hello")
    missing = copr_cli("build", "--nowait", f"sanity-missing-{secrets.token_hex(5)}", str(srpm))
    assert missing.returncode == 1, missing.stdout + missing.stderr
    assert "does not exist" in missing.stderr
    assert "Uploading package" not in missing.stdout + missing.stderr

    name = project()
    bad_chroot = copr_cli("build", "--nowait", name, "--chroot", "foo", str(srpm))
    assert bad_chroot.returncode == 1, bad_chroot.stdout + bad_chroot.stderr
    assert "not a valid choice" in bad_chroot.stderr
    assert "Uploading package" not in bad_chroot.stdout + bad_chroot.stderr
    assert client.build_proxy.get_list(owner, name) == []


def test_bad_token_uploads_nothing(copr_cli, copr_stack, client, owner, project, tmp_path):
    name = project()
    good_config = Path(copr_stack["users"][owner]).read_text()
    token = next(line for line in good_config.splitlines() if line.startswith("token"))
    bad_config = tmp_path / "copr-bad.conf"
    bad_config.write_text(good_config.replace(token, "token = " + "0" * 32))

    refused = copr_cli("build", "--nowait", name, str(fixture_srpm(tmp_path, "hello")),
                       config=str(bad_config))
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "Uploading package" not in refused.stdout
    assert client.build_proxy.get_list(owner, name) == []
