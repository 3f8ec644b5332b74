"""Unit tests of dist-git's pure rules: names, branches, sources files, lookaside paths, URLs."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest


from copr_dist_git.gitrepo import branch_action  # noqa: E402
from copr_dist_git.layout import (  # noqa: E402
    LayoutError, SourceEntry, Target, goes_to_lookaside, lookaside_file, lookaside_url, map_url,
    parse_sources, repo_dir, reponame, sources_text, split_reponame, task_log, unique_branches,
)

MD5 = "fc5cfc8426235fbb32bd532fc9ad2b3a"


@pytest.mark.parametrize(("owner", "project", "pkg"), [
    ("alice", "proj", "tiny"), ("@copr", "copr-dev", "python-copr"), ("bob", "p:pr:12", "libstdc++"),
    ("u_1", "proj.x", "perl-Foo-Bar"),
])
def test_reponame_accepts_copr_names(owner: str, project: str, pkg: str) -> None:
    assert reponame(owner, project, pkg) == f"{owner}/{project}/{pkg}"
    assert split_reponame(f"{owner}/{project}/{pkg}") == (owner, project, pkg)


@pytest.mark.parametrize(("owner", "project", "pkg"), [
    ("..", "p", "x"), ("o", "p", "."), ("o", "a/b", "x"), ("o", "p", "-rf"), ("o", "p", ".git"),
    ("", "p", "x"), ("o", "p", "a b"), ("o", "p", "a..b"), ("o", "p", None),
])
def test_reponame_refuses_unsafe_names(owner: str, project: str, pkg: object) -> None:
    with pytest.raises(LayoutError):
        reponame(owner, project, pkg)  # type: ignore[arg-type]


def test_split_reponame_needs_three_parts() -> None:
    with pytest.raises(LayoutError):
        split_reponame("o/p")


def test_repo_and_lookaside_paths_keep_group_owners() -> None:
    assert repo_dir(Path("/var/lib/dist-git/git"), "@copr/proj/tiny") == \
        Path("/var/lib/dist-git/git/@copr/proj/tiny.git")
    assert lookaside_file(Path("/la"), "@copr/proj/tiny", "tiny-1.0.tar.gz", MD5) == \
        Path(f"/la/@copr/proj/tiny/tiny-1.0.tar.gz/{MD5}/tiny-1.0.tar.gz")
    assert lookaside_url("http://distgit:5001/repo/pkgs/", "@copr/proj/tiny", "t.tar.gz", MD5) == \
        f"http://distgit:5001/repo/pkgs/@copr/proj/tiny/t.tar.gz/md5/{MD5}/t.tar.gz"


@pytest.mark.parametrize("digest", ["xyz", MD5.upper(), MD5[:-1], "a" * 128])
def test_lookaside_path_needs_an_md5(digest: str) -> None:
    with pytest.raises(LayoutError):
        lookaside_file(Path("/la"), "o/p/x", "x.tar.gz", digest)


def test_task_log_path() -> None:
    assert task_log(Path("/logs"), 42) == Path("/logs/42.log")
    with pytest.raises(LayoutError):
        task_log(Path("/logs"), "../x")


# -- branches ------------------------------------------------------------------------------------


def test_unique_branches_keeps_order_and_drops_duplicates() -> None:
    assert unique_branches(["f44", "master", "f44", "epel9"]) == ["f44", "master", "epel9"]


@pytest.mark.parametrize("branches", [[], ["f44", "-x"], ["a..b"], ["x.lock"], ["f 44"], "f44", None])
def test_unique_branches_refuses(branches: object) -> None:
    with pytest.raises(LayoutError):
        unique_branches(branches)  # type: ignore[arg-type]


@pytest.mark.parametrize(("head", "head_tree", "ancestor", "expected"), [
    (None, None, False, "create"),
    ("c1", "t1", True, "fast-forward"),
    ("new", "t2", True, "keep"),  # already at the imported commit
    ("c9", "t2", False, "keep"),  # other commit, same content: nothing to do
    ("c9", "t9", False, "commit"),  # diverged: add a commit on top, never rewrite history
])
def test_branch_action(head: str | None, head_tree: str | None, ancestor: bool, expected: str) -> None:
    assert branch_action(head, head_tree, "new", "t2", ancestor) == expected


# -- sources files -------------------------------------------------------------------------------


def test_sources_text_is_md5_format_sorted() -> None:
    text = sources_text([SourceEntry("b.tar.gz", "b" * 32), SourceEntry("a.zip", "a" * 32)])
    assert text == f"{'a' * 32}  a.zip\n{'b' * 32}  b.tar.gz\n"
    assert sources_text([]) == ""


def test_sources_round_trip_and_tagged_format() -> None:
    entries = [SourceEntry("x-1.tar.gz", MD5)]
    assert parse_sources(sources_text(entries)) == entries
    tagged = f"SHA512 (x-1.tar.gz) = {'e' * 128}\n\n"
    assert parse_sources(tagged) == [SourceEntry("x-1.tar.gz", "e" * 128, "sha512")]


@pytest.mark.parametrize("text", ["nonsense\n", f"{MD5}  ../etc/passwd\n", "MD5 (x) = zz\n"])
def test_parse_sources_refuses(text: str) -> None:
    with pytest.raises(LayoutError):
        parse_sources(text)


def test_sources_text_refuses_non_md5() -> None:
    with pytest.raises(LayoutError):
        sources_text([SourceEntry("x.tar.gz", "e" * 128, "sha512")])


@pytest.mark.parametrize(("name", "size", "text", "expected"), [
    ("tiny.spec", 100, True, False),
    ("tiny.spec", 10 * 1024 * 1024, True, False),  # the spec always goes to git
    ("fix.patch", 100, True, False),
    ("README", 100, True, False),
    ("tiny-1.0.tar.gz", 100, False, True),
    ("tiny-1.0.tar.xz", 100, True, True),  # by its suffix, whatever it holds
    ("logo.svg", 100, True, False),
    ("blob.dat", 100, False, True),  # binary content
    ("huge.txt", 2 * 1024 * 1024, True, True),
    ("x.crate", 100, False, True),
])
def test_goes_to_lookaside(name: str, size: int, text: bool, expected: bool) -> None:
    assert goes_to_lookaside(name, size, text) is expected


# -- URL mapping ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "/git/@copr/proj/tiny.git/info/refs",
    "/git/@copr/proj/tiny/info/refs",
    "/git/%40copr/proj/tiny/info/refs?service=git-upload-pack",
])
def test_git_urls_with_and_without_dot_git(url: str) -> None:
    target = map_url(url)
    assert target == Target("git", PurePosixPath("@copr/proj/tiny.git/info/refs"),
                            repo="@copr/proj/tiny.git", rest="info/refs")


def test_git_object_and_repo_root_urls() -> None:
    target = map_url("/git/o/p/x/objects/ab/cdef0123")
    assert target is not None and target.path == PurePosixPath("o/p/x.git/objects/ab/cdef0123")
    root = map_url("/git/o/p/x.git/")
    assert root is not None and (root.kind, root.rest, root.repo) == ("git", "", "o/p/x.git")


@pytest.mark.parametrize("url", [
    f"/repo/pkgs/@copr/proj/tiny/tiny-1.0.tar.gz/md5/{MD5}/tiny-1.0.tar.gz",
    f"/repo/pkgs/@copr/proj/tiny/tiny-1.0.tar.gz/{MD5}/tiny-1.0.tar.gz",
    f"/repo/pkgs/%40copr/proj/tiny/tiny-1.0.tar.gz/md5/{MD5}/tiny-1.0.tar.gz",
])
def test_lookaside_urls_drop_the_md5_part(url: str) -> None:
    assert map_url(url) == Target(
        "lookaside", PurePosixPath(f"@copr/proj/tiny/tiny-1.0.tar.gz/{MD5}/tiny-1.0.tar.gz"))


def test_log_and_health_urls() -> None:
    assert map_url("/per-task-logs/17.log") == Target("log", PurePosixPath("17.log"))
    assert map_url("/health") == Target("health")


@pytest.mark.parametrize("url", [
    "/", "/git/o/p", "/git/../p/x/info/refs", "/git/o/p/x/../../../etc/passwd",
    "/git/o/p/x/%2e%2e/config", "/git/o/p/x%2fy/HEAD", "/git/o/p/x/.git/HEAD",
    f"/repo/pkgs/o/p/x/a.tar.gz/sha512/{MD5}/a.tar.gz",
    f"/repo/pkgs/o/p/x/a.tar.gz/md5/{MD5}/b.tar.gz",  # the two file names must agree
    "/repo/pkgs/o/p/x/a.tar.gz/md5/nothex/a.tar.gz",
    "/per-task-logs/x.log", "/per-task-logs/../17.log", "/per-task-logs/17.txt",
    "/cgit/o/p/x.git",
])
def test_urls_that_name_nothing(url: str) -> None:
    assert map_url(url) is None
