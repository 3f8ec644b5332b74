"""copr-repo: the createrepo_c command for each request, and work merged from batched callers."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from copr_backend_glue import copr_repo
from copr_backend_glue.copr_repo import Request, createrepo_command


def chroot_dir(tmp_path: Path, with_repodata: bool) -> Path:
    directory = tmp_path / "alice" / "demo" / "fedora-44-x86_64"
    (directory / "00000001-hello").mkdir(parents=True)
    (directory / "00000001-hello" / "hello-1-1.x86_64.rpm").write_bytes(b"")
    if with_repodata:
        (directory / "repodata").mkdir()
        (directory / "repodata" / "repomd.xml").write_text("<repomd/>")
    return directory


def test_a_full_run_on_a_new_repository(tmp_path: Path) -> None:
    directory = chroot_dir(tmp_path, with_repodata=False)
    command = createrepo_command(Request(directory, full=True), None)
    assert command[:2] == [copr_repo.CREATEREPO, str(directory)]
    assert "--update" not in command and "--no-database" in command


def test_adding_a_build_is_incremental_with_a_package_list(tmp_path: Path) -> None:
    directory = chroot_dir(tmp_path, with_repodata=True)
    request = Request(directory, add=["00000001-hello"])
    pkglist = copr_repo.write_pkglist(request)
    assert pkglist.read_text() == "00000001-hello/hello-1-1.x86_64.rpm\n"
    command = createrepo_command(request, pkglist)
    for option in ("--update", "--skip-stat", "--recycle-pkglist", "--pkglist"):
        assert option in command
    assert "--do-stat" not in command


def test_do_stat_and_deletes(tmp_path: Path) -> None:
    directory = chroot_dir(tmp_path, with_repodata=True)
    command = createrepo_command(Request(directory, delete=["00000001-hello"], do_stat=True,
                                         rpms_to_remove=["x/y.rpm"]), None)
    assert "--skip-stat" not in command
    assert command.count("--excludes") == 2 and "*00000001-hello/*" in command


def test_devel_writes_its_own_repodata_with_the_baseurl(tmp_path: Path) -> None:
    directory = chroot_dir(tmp_path, with_repodata=False)
    command = createrepo_command(Request(directory, full=True, devel=True, baseurl="http://b/x"), None)
    assert command[command.index("--outputdir") + 1] == str(directory / "devel")
    assert command[command.index("--baseurl") + 1] == "http://b/x"


def test_nothing_to_do_runs_nothing(tmp_path: Path) -> None:
    assert createrepo_command(Request(chroot_dir(tmp_path, True)), None) is None


def test_merged_work_deletes_win_and_full_drops_adds(tmp_path: Path) -> None:
    request = Request(tmp_path, add=["a", "b"])
    request.merge(False, {"c"}, {"b"}, set())
    assert (request.add, request.delete) == (["a", "c"], ["b"])
    request.merge(True, set(), set(), {"z.rpm"})
    assert request.full and request.add == [] and request.rpms_to_remove == ["z.rpm"]


@pytest.mark.parametrize("bad", ["..", "a/b", "a b", ""])
def test_a_subdir_outside_the_chroot_is_refused(bad: str) -> None:
    with pytest.raises(SystemExit) as exit_:
        copr_repo.parser().parse_args(["/r/a/p/c", "--add", bad])
    assert exit_.value.code == 2


@pytest.mark.skipif(shutil.which("createrepo_c") is None, reason="createrepo_c is not installed")
def test_update_makes_repodata_and_removes_deleted_builds(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(copr_repo, "CREATEREPO", shutil.which("createrepo_c"))
    directory = chroot_dir(tmp_path, with_repodata=False)
    (directory / "00000001-hello" / "hello-1-1.x86_64.rpm").unlink()
    assert copr_repo.update(Request(directory, full=True), logging.getLogger("t"))
    assert (directory / "repodata" / "repomd.xml").is_file()
    assert copr_repo.update(Request(directory, delete=["00000001-hello"]), logging.getLogger("t"))
    assert not (directory / "00000001-hello").exists()


def test_a_createrepo_c_that_does_not_finish_is_stopped(tmp_path: Path, monkeypatch) -> None:
    """A link to / in a chroot directory had createrepo_c walk the whole file system for ever."""
    hang = tmp_path / "createrepo_c"
    hang.write_text("#!/bin/sh\nexec sleep 60\n")
    hang.chmod(0o755)
    monkeypatch.setattr(copr_repo, "CREATEREPO", str(hang))
    monkeypatch.setenv("COPR_BACKEND_CREATEREPO_TIMEOUT", "0.5")
    directory = chroot_dir(tmp_path, with_repodata=False)
    with pytest.raises(RuntimeError, match=r"^createrepo_c did not finish within 0.5s: stopped$"):
        copr_repo.update(Request(directory, full=True), logging.getLogger("t"))
    assert not (directory / "repodata").exists()
