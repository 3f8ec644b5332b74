"""Every build method builds: scm (rpkg and make_srpm), custom and distgit from sources the stack
serves, and pypi failing with upstream's message (the builder has no spec generator).

The builds share one project and are submitted together, so they run in parallel on the builder
pool. The fixture repositories live in the stack's own dist-git, so the distgit build clones one
of them the way it clones any package there.
"""

from __future__ import annotations

import gzip
import re

import pytest
import requests

from ._builds import CHROOT, created_ids, srpm_dir
from ._git_fixtures import serve_repo
from .conftest import wait_build
from tests.support.srpms import SOURCED_SPEC as SPEC


MAKEFILE = ("srpm:\n\trpmbuild -bs --define \"_sourcedir $(CURDIR)\" --define \"_srcrpmdir $(outdir)\" "
            "--define \"dist %{nil}\" $(spec)\n")

CUSTOM_SCRIPT = """#!/bin/sh
set -e
mkdir -p out
cat > out/customized.spec <<'SPEC'
{spec}SPEC
echo "$COPR_OWNER/$COPR_PROJECT" > out/customized.txt
"""


def submitted(result) -> int:
    assert result.returncode == 0, result.stdout + result.stderr
    return created_ids(result)[0]


def srpm_log(backend_url: str, owner: str, project: str, build_id: int) -> str:
    base = f"{backend_url}/results/{srpm_dir(owner, project, build_id)}"
    for name in ("builder-live.log.gz", "builder-live.log"):
        response = requests.get(f"{base}/{name}", timeout=10)
        if response.status_code == 200:
            return gzip.decompress(response.content).decode() if name.endswith(".gz") else response.text
    raise AssertionError(f"no builder-live.log in {base}")


@pytest.mark.slow
def test_every_build_method(copr_cli, client, owner, project, backend_url, stack_host, tmp_path):
    name = project()
    # hello 1.0 tagged v1 in pkg/, then 2.0 on main with a .copr/Makefile; a dist-git-like
    # repository of distpkg (spec at the top) on its own.
    namespace = f"fixtures/{name}"
    fixture_repo = serve_repo(stack_host("distgit"), f"{namespace}/hello", [
        ({"pkg/hello.spec": SPEC.format(name="hello", version="1.0"), "pkg/hello.txt": "one\n"}, "v1"),
        ({"pkg/hello.spec": SPEC.format(name="hello", version="2.0"), ".copr/Makefile": MAKEFILE}, None),
    ])
    serve_repo(stack_host("distgit"), f"{namespace}/distpkg", [
        ({"distpkg.spec": SPEC.format(name="distpkg", version="7.0"), "distpkg.txt": "seven\n"}, None)])
    script = tmp_path / "script"
    script.write_text(CUSTOM_SCRIPT.format(spec=SPEC.format(name="customized", version="3.0")))
    scm = submitted(copr_cli("buildscm", name, "--clone-url", fixture_repo, "--commit", "v1",
                             "--subdir", "pkg", "--spec", "hello.spec", "--method", "rpkg", "--nowait"))
    make_srpm = submitted(copr_cli("buildscm", name, "--clone-url", fixture_repo, "--subdir", "pkg",
                                   "--spec", "hello.spec", "--method", "make_srpm", "--nowait"))
    custom = submitted(copr_cli("buildcustom", name, "--script", str(script), "--script-chroot", CHROOT,
                                "--script-resultdir", "out", "--nowait"))
    pypi = submitted(copr_cli("buildpypi", name, "--packagename", "hello", "--nowait"))
    distgit = submitted(copr_cli("build-distgit", name, "--name", "distpkg", "--namespace", namespace,
                                 "--commit", "main", "--nowait"))

    assert wait_build(client, scm) == "succeeded"
    # The committish was honoured: v1 holds 1.0, main 2.0.
    assert client.build_proxy.get(scm).source_package["version"] == "1.0-1"

    assert wait_build(client, make_srpm) == "succeeded"
    assert client.build_proxy.get(make_srpm).source_package["version"] == "2.0-1"
    assert wait_build(client, custom) == "succeeded"
    assert client.build_proxy.get(custom).source_package["name"] == "customized"
    packages = client.build_proxy.get_built_packages(custom)[CHROOT]["packages"]
    assert sorted((p["name"], p["arch"]) for p in packages) == [("customized", "noarch"),
                                                                ("customized", "src")]

    assert wait_build(client, pypi) == "failed"
    assert re.search(r"Please, install `pyp2(rpm|spec)'\.", srpm_log(backend_url, owner, name, pypi))

    assert wait_build(client, distgit) == "succeeded"
    source = client.build_proxy.get(distgit).source_package
    assert (source["name"], source["version"]) == ("distpkg", "7.0-1")
