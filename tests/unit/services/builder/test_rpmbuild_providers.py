"""copr-rpmbuild's SRPM providers (containers/builder/src/copr_rpmbuild/providers): scm, custom,
distgit, pypi and rubygems tasks, built from local git repositories with the real git and rpmbuild.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from copr_rpmbuild.build import Build, build_srpm
from copr_rpmbuild.config import Config
from copr_rpmbuild.errors import BuildError
from copr_rpmbuild.process import LiveLog
from copr_rpmbuild.task import parse_task
from tests.support.srpms import SOURCED_SPEC as SPEC



def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org",
                    *args], check=True, capture_output=True)


def make_repo(path: Path, files: dict[str, str]) -> Path:
    path.mkdir(parents=True)
    git(path, "init", "--quiet", "--initial-branch=main")
    commit(path, files, "initial")
    return path


def commit(repo: Path, files: dict[str, str], message: str) -> None:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", message)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    root = tmp_path / "var"
    config = Config(resultdir=root / "results", workspace=root / "workspace", logfile=root / "main.log",
                    build_user="", network_timeout=5)
    config.resultdir.mkdir(parents=True)
    config.workspace.mkdir()
    return config


def run_srpm(config: Config, tmp_path: Path, source_type: str, source: dict,
             package_name: str = "") -> dict:
    """Run an SRPM task; return its results.json."""
    task = parse_task({"task_id": "7", "project_owner": "alice", "project_name": "proj",
                       "source_type": source_type, "source_json": json.dumps(source),
                       "package_name": package_name, "distributions_in_build": ["fedora-44"]}, "srpm")
    workdir = tmp_path / "work"
    workdir.mkdir()
    log = LiveLog(tmp_path / "build.log", echo=None)
    try:
        assert build_srpm(task, Build(config, log, workdir)) == "succeeded"
    finally:
        log.close()
    return json.loads((config.resultdir / "results.json").read_text())


def failure(config: Config, tmp_path: Path, source_type: str, source: dict) -> str:
    with pytest.raises(BuildError) as caught:
        run_srpm(config, tmp_path, source_type, source)
    return str(caught.value)


def test_scm_rpkg_builds_the_spec_of_a_subdirectory_at_a_committish(config: Config, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "hello.git", {
        "pkg/hello.spec": SPEC.format(name="hello", version="1.0"), "pkg/hello.txt": "hi\n"})
    git(repo, "tag", "v1")
    commit(repo, {"pkg/hello.spec": SPEC.format(name="hello", version="2.0")}, "bump")
    results = run_srpm(config, tmp_path, "scm", {
        "type": "git", "clone_url": f"file://{repo}", "committish": "v1", "subdirectory": "pkg",
        "spec": "hello.spec", "srpm_build_method": "rpkg"})
    assert (results["name"], results["version"]) == ("hello", "1.0")
    assert [path.name for path in config.resultdir.glob("*.src.rpm")] == ["hello-1.0-1.src.rpm"]
    assert (config.resultdir / "hello.spec").is_file()


def test_scm_default_branch_without_committish(config: Config, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "hello", {"hello.spec": SPEC.format(name="hello", version="1.0"),
                                          "hello.txt": "hi\n"})
    commit(repo, {"hello.spec": SPEC.format(name="hello", version="3.0")}, "bump")
    assert run_srpm(config, tmp_path, "scm", {"clone_url": str(repo)})["version"] == "3.0"


def test_scm_missing_subdirectory_fails_with_upstreams_message(config: Config, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "hello.git", {"hello.spec": SPEC.format(name="hello", version="1.0")})
    message = failure(config, tmp_path, "scm", {"clone_url": str(repo), "subdirectory": "nope"})
    assert message == f"The user-defined SCM subdirectory `nope' doesn't exist within this repository {repo}"


def test_scm_subdirectory_may_not_leave_the_repository(config: Config, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "hello.git", {"hello.spec": SPEC.format(name="hello", version="1.0")})
    message = failure(config, tmp_path, "scm", {"clone_url": str(repo), "subdirectory": "../.."})
    assert message == "source_json 'subdirectory' points outside the repository"


def test_scm_make_srpm_runs_the_repositorys_copr_makefile(config: Config, tmp_path: Path) -> None:
    makefile = ("srpm:\n\tcp hello.txt $(outdir)/ && rpmbuild -bs --define \"_sourcedir $(outdir)\" "
                "--define \"_srcrpmdir $(outdir)\" $(spec)\n")
    repo = make_repo(tmp_path / "hello.git", {
        ".copr/Makefile": makefile, "hello.spec": SPEC.format(name="hello", version="4.0"),
        "hello.txt": "hi\n"})
    results = run_srpm(config, tmp_path, "scm", {
        "clone_url": str(repo), "spec": "hello.spec", "srpm_build_method": "make_srpm"})
    assert results["version"] == "4.0"


def test_scm_tito_is_missing_as_upstream_says(config: Config, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "hello.git", {"hello.spec": SPEC.format(name="hello", version="1.0")})
    message = failure(config, tmp_path, "scm", {"clone_url": str(repo), "srpm_build_method": "tito"})
    assert message.startswith("Command 'tito' can not be executed.")


def test_scm_unreachable_clone_url_fails(config: Config, tmp_path: Path) -> None:
    message = failure(config, tmp_path, "scm", {"clone_url": str(tmp_path / "missing.git")})
    assert message == f"git clone {tmp_path / 'missing.git'} failed"


def test_custom_script_writes_spec_and_sources(config: Config, tmp_path: Path) -> None:
    script = ("#!/bin/sh\nset -e\nmkdir -p out\n"
              f"cat > out/$COPR_PACKAGE.spec <<'SPEC'\n{SPEC.format(name='custompkg', version='5.0')}SPEC\n"
              "echo \"$COPR_OWNER/$COPR_PROJECT\" > out/$COPR_PACKAGE.txt\n"
              "test \"$COPR_RESULTDIR\" = \"$PWD/out\"\n")
    results = run_srpm(config, tmp_path, "custom", {"script": script, "chroot": "fedora-44-x86_64",
                                                     "resultdir": "out"}, package_name="custompkg")
    assert (results["name"], results["version"]) == ("custompkg", "5.0")


@pytest.mark.parametrize(("source", "message"), [
    ({"script": "#!/bin/sh\nexit 3\n"}, "Build failed"),
    ({"script": "#!/bin/sh\ntrue\n"}, "no spec file available"),
    ({"script": "#!/bin/sh\ntrue\n", "builddeps": "no-such-tool-xyz"},
     "builddeps not on this builder (it has no network to install them): no-such-tool-xyz"),
    ({"script": "#!/bin/sh\ntrue\n", "resultdir": "../../.."}, "source_json 'resultdir' points outside the repository"),
])
def test_custom_failures(config: Config, tmp_path: Path, source: dict, message: str) -> None:
    assert failure(config, tmp_path, "custom", source) == message


def test_distgit_clones_and_fetches_lookaside_sources(config: Config, tmp_path: Path) -> None:
    text = "from the lookaside cache\n"
    digest = hashlib.sha512(text.encode()).hexdigest()
    repo = make_repo(tmp_path / "git" / "alice" / "proj" / "hello.git", {
        "hello.spec": SPEC.format(name="hello", version="6.0"),
        "sources": f"SHA512 (hello.txt) = {digest}\n"})
    cached = tmp_path / "lookaside" / "alice" / "proj" / "hello" / "hello.txt" / "sha512" / digest
    cached.mkdir(parents=True)
    (cached / "hello.txt").write_text(text)
    config.lookaside_url = f"file://{tmp_path / 'lookaside'}"
    config.clone_path_prefix = str(tmp_path / "git")
    results = run_srpm(config, tmp_path, "distgit", {"clone_url": f"file://{repo}", "committish": "main"})
    assert (results["name"], results["version"]) == ("hello", "6.0")


@pytest.mark.parametrize(("source_type", "source", "message"), [
    ("pypi", {"pypi_package_name": "foo", "pypi_package_version": "1", "python_versions": ["3"]},
     "Please, install `pyp2rpm'."),
    ("pypi", {"pypi_package_name": "foo", "pypi_package_version": "1", "python_versions": [],
              "spec_generator": "pyp2spec"}, "Please, install `pyp2spec'."),
    ("pypi", {"pypi_package_name": "foo", "pypi_package_version": "1", "python_versions": [],
              "spec_generator": "nope"}, "Unsupported tool: nope"),
    ("rubygems", {"gem_name": "foo"}, "Please, install gem2rpm."),
])
def test_spec_generators_fail_as_upstream_without_them(config: Config, tmp_path: Path, source_type: str,
                                                      source: dict, message: str) -> None:
    assert failure(config, tmp_path, source_type, source) == message
