"""copr-rpmbuild (containers/builder/src/copr_rpmbuild): task records, sources files, lookaside URLs, results."""

import json
from pathlib import Path

import pytest

import copr_rpmbuild
from copr_rpmbuild.config import Config, load_config
from copr_rpmbuild.distgit import SourceEntry, lookaside_url, parse_sources, repo_path
from copr_rpmbuild.errors import BuildError, TaskError
from copr_rpmbuild.main import parser
from copr_rpmbuild.results import parse_epoch, rpm_results, srpm_results
from copr_rpmbuild.task import parse_task, task_url

RPM_TASK = {
    "task_id": "7-fedora-44-x86_64", "build_id": 7, "chroot": "fedora-44-x86_64",
    "project_owner": "alice", "project_name": "hello", "project_dirname": "hello",
    "git_repo": "http://distgit/git/alice/hello/hello", "git_hash": "abc123",
    "package_name": "hello", "timeout": 3600, "with_opts": ["tests"], "without_opts": ["docs"],
    "enable_net": False,
    "repos": [{"id": "copr_base", "baseurl": "http://backend/results/alice/hello/fedora-44-x86_64/"}],
}
SRPM_TASK = {
    "task_id": "7", "build_id": 7, "chroot": None, "project_owner": "alice", "project_name": "hello",
    "source_type": 2,
    "source_json": json.dumps({"url": "http://frontend/tmp/tmpab/hello-1-1.src.rpm",
                               "pkg": "hello-1-1.src.rpm"}),
    "distributions_in_build": ["fedora-44"], "distributions_in_project": ["fedora-44", "epel-9"],
}


def test_rpm_task() -> None:
    task = parse_task(RPM_TASK, "rpm")
    assert (task.kind, task.task_id, task.build_id) == ("rpm", "7-fedora-44-x86_64", "7")
    assert task.chroot == "fedora-44-x86_64"
    assert (task.git_repo, task.git_hash, task.package_name, task.timeout) == (
        "http://distgit/git/alice/hello/hello", "abc123", "hello", 3600)
    assert (task.with_opts, task.without_opts) == (["tests"], ["docs"])


def test_chroot_option_overrides_the_task() -> None:
    assert parse_task(RPM_TASK, "rpm", chroot="epel-9-aarch64").chroot == "epel-9-aarch64"
    without = dict(RPM_TASK, chroot=None)
    assert parse_task(without, "rpm", chroot="fedora-44-x86_64").chroot == "fedora-44-x86_64"


def test_package_name_defaults_to_the_repository_name() -> None:
    assert parse_task(dict(RPM_TASK, package_name=None), "rpm").package_name == "hello"


@pytest.mark.parametrize("data", [None, {}, [], "null", 0])
def test_empty_task_is_no_valid_build_config(data: object) -> None:
    with pytest.raises(TaskError, match="No valid build_config"):
        parse_task(data, "rpm")


@pytest.mark.parametrize("missing", ["task_id", "chroot", "project_owner", "git_repo"])
def test_rpm_task_needs_its_fields(missing: str) -> None:
    with pytest.raises(TaskError, match=f"missing {missing}"):
        parse_task({k: v for k, v in RPM_TASK.items() if k != missing}, "rpm")


@pytest.mark.parametrize("timeout", ["soon", -1, 0])
def test_bad_timeout(timeout: object) -> None:
    with pytest.raises(TaskError, match="timeout"):
        parse_task(dict(RPM_TASK, timeout=timeout), "rpm")


def test_srpm_task_decodes_source_json_and_source_type() -> None:
    task = parse_task(SRPM_TASK, "srpm")
    assert task.source_type == "upload"
    assert task.source["pkg"] == "hello-1-1.src.rpm"
    assert task.distributions == ["fedora-44"]  # distributions_in_build wins over the project's
    assert task.timeout is None


@pytest.mark.parametrize(("raw", "name"), [(1, "link"), (8, "scm"), ("link", "link"), ("spec", "spec")])
def test_srpm_source_types(raw: object, name: str) -> None:
    assert parse_task(dict(SRPM_TASK, source_type=raw), "srpm").source_type == name


@pytest.mark.parametrize("source_json", ["{not json", "[1, 2]"])
def test_srpm_task_with_bad_source_json(source_json: str) -> None:
    with pytest.raises(TaskError, match="source_json"):
        parse_task(dict(SRPM_TASK, source_json=source_json), "srpm")


def test_task_urls() -> None:
    config = Config(frontend_url="http://frontend:5000/")
    assert task_url(config, "srpm", "7", None) == "http://frontend:5000/backend/get-srpm-build-task/7"
    assert task_url(config, "rpm", "7", "fedora-44-x86_64") == (
        "http://frontend:5000/backend/get-build-task/7-fedora-44-x86_64")
    with pytest.raises(TaskError, match="chroot"):
        task_url(config, "rpm", "7", None)


def test_parse_sources_both_formats() -> None:
    text = ("d41d8cd98f00b204e9800998ecf8427e  hello-1.0.tar.gz\n\n"
            "SHA512 (extra.patch) = CF83E1357EEFB8BDF1542850D66D8007D620E4050B5715DC83F4A921D36CE9CE"
            "47D0D13C5D85F2B0FF8318D2877EEC2F63B931BD47417A81A538327AF927DA3E\n")
    entries = parse_sources(text)
    assert [(e.filename, e.hashtype, e.digest[:8]) for e in entries] == [
        ("hello-1.0.tar.gz", "md5", "d41d8cd9"), ("extra.patch", "sha512", "cf83e135")]


@pytest.mark.parametrize("line", ["garbage", "d41d8cd98f00b204e9800998ecf8427e  ../etc/passwd"])
def test_parse_sources_rejects_bad_lines(line: str) -> None:
    with pytest.raises(BuildError):
        parse_sources(line)


@pytest.mark.parametrize(("git_repo", "path"), [
    ("http://distgit/git/alice/hello/hello", "alice/hello/hello"),
    ("http://distgit:8080/git/@copr/tools/pkg.git/", "@copr/tools/pkg"),
    ("http://127.0.0.1:8000/other/alice/p/x", "other/alice/p/x"),
])
def test_repo_path(git_repo: str, path: str) -> None:
    assert repo_path(git_repo, "/git/") == path


def test_lookaside_url_follows_the_dist_git_layout() -> None:
    entry = SourceEntry("hello.tar.gz", "md5", "0123abcd")
    clone = "http://distgit:5001/git/alice/p/hello"
    url = lookaside_url("{scheme}://{netloc}/repo/pkgs", clone, "/git/", entry)
    assert url == "http://distgit:5001/repo/pkgs/alice/p/hello/hello.tar.gz/md5/0123abcd/hello.tar.gz"
    assert lookaside_url("http://cache/pkgs/", "file:///srv/git/alice/p/hello", "/srv/git", entry) == (
        "http://cache/pkgs/alice/p/hello/hello.tar.gz/md5/0123abcd/hello.tar.gz")


def test_rpm_results_shape() -> None:
    packages = [
        {"name": "hello", "epoch": None, "version": "1.0", "release": "1.fc44", "arch": "src", "extra": 1},
        {"name": "hello", "epoch": 2, "version": "1.0", "release": "1.fc44", "arch": "noarch"},
    ]
    assert rpm_results(packages) == {"packages": [
        {"name": "hello", "epoch": None, "version": "1.0", "release": "1.fc44", "arch": "src"},
        {"name": "hello", "epoch": 2, "version": "1.0", "release": "1.fc44", "arch": "noarch"},
    ]}


def test_srpm_results_shape() -> None:
    header = {"name": "hello", "epoch": None, "version": "1.0", "release": "1", "arch": "src"}
    tags = {"fedora-44": {"exclusivearch": [], "excludearch": ["s390x"], "buildarch": ["noarch"]}}
    assert srpm_results(header, tags) == {
        "name": "hello", "epoch": None, "version": "1.0", "release": "1", "architecture_specific_tags": tags}
    assert json.loads(json.dumps(srpm_results(header, tags))) == srpm_results(header, tags)


@pytest.mark.parametrize(("value", "epoch"), [("(none)", None), ("0", 0), ("3\n", 3)])
def test_parse_epoch(value: str, epoch: int | None) -> None:
    assert parse_epoch(value) == epoch


def test_config_defaults_and_overrides(tmp_path: Path) -> None:
    assert load_config(tmp_path / "missing.ini").resultdir == Path("/var/lib/copr-rpmbuild/results")
    ini = tmp_path / "main.ini"
    ini.write_text("[main]\nresultdir = /tmp/r\nrawhide_version = 46\ntimeout_grace = 0.5\n"
                   "lookaside_url = {scheme}://{netloc}/repo/pkgs\n")
    config = load_config(ini)
    assert (config.resultdir, config.rawhide_version, config.timeout_grace) == (Path("/tmp/r"), 46, 0.5)
    ini.write_text("[main]\nrawhide_version = soon\n")
    with pytest.raises(TaskError, match="rawhide_version"):
        load_config(ini)


def test_shipped_main_ini_matches_the_defaults() -> None:
    shipped = load_config(Path(copr_rpmbuild.__file__).parents[1] / "main.ini")
    assert shipped == Config()


def test_version_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parser().parse_args(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"copr-rpmbuild version {copr_rpmbuild.VERSION}\n"


def test_backend_command_line_is_accepted() -> None:
    # What the backend runs over SSH for an RPM task.
    args = parser().parse_args(["--verbose", "--drop-resultdir", "--task-url",
                                   "http://fe/backend/get-build-task/7", "--chroot", "fedora-44-x86_64",
                                   "--detached"])
    assert (args.kind, args.detached, args.chroot) == ("rpm", True, "fedora-44-x86_64")
    assert parser().parse_args(["--srpm", "--build-id", "7"]).kind == "srpm"
