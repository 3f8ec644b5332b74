"""Build options and what the builder makes of them: enable_net, isolation and timeout in the build
task, chroot selection, the timeout that interrupts a build, Copr's macros, build batches and
ExcludeArch/ExclusiveArch (upstream: runtest-enable-net.sh, runtest-isolation.sh,
runtest-timeout.sh, runtest-exclude-chroots.sh, runtest-pkg-with-macros.sh, runtest-buildtag.sh,
runtest-build-batches.sh, runtest-exclusivearch.sh)."""

from __future__ import annotations

import gzip

import pytest
import requests

from harness import wait

from ..support.srpms import fixture_srpm
from ._builds import CHROOT, build_dir, download, listed_files, rpm_query, submit
from .conftest import wait_build

AARCH64 = "fedora-44-aarch64"
RAWHIDE = "fedora-rawhide-x86_64"


def build_task(frontend_url: str, build_id: int, chroot: str = CHROOT) -> dict | None:
    response = requests.get(f"{frontend_url}/backend/get-build-task/{build_id}-{chroot}", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def live_log(backend_url: str, owner: str, project: str, build_id: int, package: str) -> str:
    """The builder-live log of a finished chroot build: stored gzipped, but upstream's worker
    reports the build finished before it compresses its logs (2.11's handle_task), so for a
    moment it is still builder-live.log."""
    base = f"{backend_url}/results/{build_dir(owner, project, CHROOT, build_id, package)}"

    def fetch() -> str:
        for name in ("builder-live.log.gz", "builder-live.log"):
            response = requests.get(f"{base}/{name}", timeout=10)
            if response.status_code == 200:
                return (gzip.decompress(response.content).decode(errors="replace")
                        if name.endswith(".gz") else response.text)
        raise wait.NotYet(f"neither {base}/builder-live.log.gz nor builder-live.log answered 200")

    return wait.until(fetch, what=f"the live log of build {build_id}", timeout=30)


def test_build_options_reach_the_build_task(copr_cli, client, frontend_url, project, tmp_path):
    name = project()
    srpm = fixture_srpm(tmp_path, "hello")
    chosen = submit(copr_cli, name, srpm, "--enable-net", "on", "--isolation", "nspawn",
                    "--timeout", "72500")
    other = submit(copr_cli, name, srpm, "--enable-net", "off", "--isolation", "simple")
    default = submit(copr_cli, name, srpm)
    for build_id in (chosen, other, default):
        assert wait_build(client, build_id) == "succeeded"

    task = build_task(frontend_url, chosen)
    assert (task["enable_net"], task["isolation"], task["timeout"]) == (True, "nspawn", 72500)
    task = build_task(frontend_url, other)
    assert (task["enable_net"], task["isolation"]) == (False, "simple")
    assert task["timeout"] != 72500
    # Without options the project's settings (network off, default isolation) apply.
    task = build_task(frontend_url, default)
    assert (task["enable_net"], task["isolation"]) == (False, "default")


def test_project_enable_net_reaches_the_build_task(copr_cli, client, frontend_url, project, tmp_path):
    name = project(enable_net=True)
    build_id = submit(copr_cli, name, fixture_srpm(tmp_path, "hello"))
    assert wait_build(client, build_id) == "succeeded"
    assert build_task(frontend_url, build_id)["enable_net"] is True


@pytest.mark.chroots(AARCH64, RAWHIDE)
def test_exclude_chroot_and_chroot_select_the_build_chroots(copr_cli, client, frontend_url,
                                                           project, tmp_path):
    name = project(CHROOT, AARCH64, RAWHIDE)
    srpm = fixture_srpm(tmp_path, "hello")
    excluded = submit(copr_cli, name, srpm, "--exclude-chroot", AARCH64, "--exclude-chroot", RAWHIDE)
    selected = submit(copr_cli, name, srpm, "--chroot", AARCH64)
    everywhere = submit(copr_cli, name, srpm)
    for build_id in (excluded, selected, everywhere):
        assert wait_build(client, build_id) == "succeeded"

    def chroots(build_id: int) -> list[str]:
        response = requests.get(f"{frontend_url}/api_3/build/{build_id}", timeout=10)
        return sorted(response.json()["chroots"])

    assert chroots(excluded) == [CHROOT]
    assert chroots(selected) == [AARCH64]
    assert chroots(everywhere) == sorted([CHROOT, AARCH64, RAWHIDE])
    built = client.build_proxy.get_built_packages(excluded)
    assert sorted(key for key in built if not key.startswith("__")) == [CHROOT]
    assert build_task(frontend_url, excluded, AARCH64) is None
    assert build_task(frontend_url, selected, CHROOT) is None


@pytest.mark.slow
def test_timeout_interrupts_the_build_once(copr_cli, client, frontend_url, backend_url, owner,
                                           project, tmp_path):
    name = project()
    build_id = submit(copr_cli, name, fixture_srpm(tmp_path, "endless"), "--timeout", "10")
    assert build_task(frontend_url, build_id)["timeout"] == 10
    assert wait_build(client, build_id, timeout=180) == "failed"
    log = live_log(backend_url, owner, name, build_id, "endless")
    assert len([line for line in log.splitlines() if "sending INT" in line]) == 1, log
    chroot = client.build_chroot_proxy.get(build_id, CHROOT)
    assert chroot.state == "failed"


def test_copr_macros_are_defined_in_the_build(copr_cli, client, backend_url, owner, project,
                                              tmp_path):
    name = project()
    # %check fails without the macros; the release carries %buildtag (upstream's buildtag test).
    build_id = submit(copr_cli, name, fixture_srpm(tmp_path, "macros", release="1%{?dist}%{?buildtag}"))
    assert wait_build(client, build_id) == "succeeded"

    log = live_log(backend_url, owner, name, build_id, "macros")
    assert f"COPR USERNAME: {owner}\n" in log
    assert f"COPR PROJECTNAME: {name}\n" in log
    assert f"COPR BUILDTAG: .copr{build_id}\n" in log
    vendor = next(line for line in log.splitlines() if line.startswith("COPR VENDOR: "))
    vendor = vendor.removeprefix("COPR VENDOR: ")
    assert vendor.strip()

    url = f"{backend_url}/results/{build_dir(owner, name, CHROOT, build_id, 'macros')}/"
    release = f"1.fc44.copr{build_id}"
    assert f"macros-1.0-{release}.src.rpm" in listed_files(url, ".rpm")
    rpm = download(f"{url}macros-1.0-{release}.noarch.rpm", tmp_path / "macros.noarch.rpm")
    assert rpm_query(rpm, "%{RELEASE}\\n%{VENDOR}\\n").splitlines() == [release, vendor]


@pytest.mark.slow
def test_build_batches_succeed_in_order(copr_cli, client, project, tmp_path):
    name = project()
    first = submit(copr_cli, name, fixture_srpm(tmp_path / "a", "hello", name="batch-a"))
    same = submit(copr_cli, name, fixture_srpm(tmp_path / "b", "hello", name="batch-b"),
                  "--with-build-id", str(first))
    after = submit(copr_cli, name, fixture_srpm(tmp_path / "c", "hello", name="batch-c"),
                   "--after-build-id", str(first))
    last = submit(copr_cli, name, fixture_srpm(tmp_path / "d", "hello", name="batch-d"),
                  "--after-build-id", str(after))
    for build_id in (first, same, after, last):
        assert wait_build(client, build_id) == "succeeded"

    builds = {b: client.build_proxy.get(b) for b in (first, same, after, last)}
    # A batch starts once every build of the batch it waits for has ended.
    assert builds[after].started_on >= max(builds[first].ended_on, builds[same].ended_on)
    assert builds[last].started_on >= builds[after].ended_on
    rows = copr_cli("list-builds", name).stdout.splitlines()
    assert len([row for row in rows if row.endswith("\tsucceeded")]) == 4


@pytest.mark.chroots(AARCH64)
@pytest.mark.parametrize("kind", ["excludearch", "exclusivearch"])
def test_arch_excluded_chroot_is_skipped(kind, copr_cli, client, project, tmp_path):
    name = project(CHROOT, AARCH64)
    build_id = submit(copr_cli, name, fixture_srpm(tmp_path, kind))
    assert wait_build(client, build_id) == "succeeded"
    states = {c.name: c.state for c in client.build_chroot_proxy.get_list(build_id)}
    assert states == {CHROOT: "succeeded", AARCH64: "skipped"}
    packages = client.build_proxy.get_built_packages(build_id)
    assert packages[AARCH64]["packages"] == []
    assert sorted(p["arch"] for p in packages[CHROOT]["packages"]) == ["noarch", "src"]
