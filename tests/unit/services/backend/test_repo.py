"""createrepo_c's command line and the per-directory lock."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from harness import wait


from copr_backend import repo


def test_argv(tmp_path: Path) -> None:
    argv = repo.Createrepo(tmp_path / "locks").argv(tmp_path / "fedora-44-x86_64", ["00000007-hello"])
    # Globs are matched against paths relative to the repository directory.
    assert argv == ["createrepo_c", "--quiet", "--update", "--excludes", "*/prev_build_backup/*",
                    "--excludes", "00000007-hello/*", str(tmp_path / "fedora-44-x86_64")]


def test_argv_of_the_devel_repository(tmp_path: Path) -> None:
    chroot_dir = tmp_path / "fedora-44-x86_64"
    argv = repo.Createrepo(tmp_path / "locks").argv(chroot_dir, devel=True, baseurl="http://be/r/c/")
    assert argv == ["createrepo_c", "--quiet", "--update", "--excludes", "*/prev_build_backup/*",
                    "--outputdir", str(chroot_dir / "devel"), "--baseurl", "http://be/r/c/",
                    str(chroot_dir)]


def test_lock_serialises_writers_of_one_directory(tmp_path: Path) -> None:
    events: list[str] = []

    def writer(name: str) -> None:
        with repo.dir_lock(tmp_path / "locks", tmp_path / "chroot"):
            events.append(f"{name} in")
            time.sleep(0.05)
            events.append(f"{name} out")

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("a", "b", "c")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(events[i].endswith("in") and events[i + 1].endswith("out")
               and events[i].split()[0] == events[i + 1].split()[0] for i in range(0, 6, 2))


def test_failure_is_reported(tmp_path: Path) -> None:
    runner = repo.Createrepo(tmp_path / "locks", command="false")
    try:
        runner.run(tmp_path / "chroot")
    except repo.RepoError as error:
        assert "exited 1" in str(error)
    else:
        raise AssertionError("no RepoError")


def test_a_createrepo_that_does_not_end_is_stopped_at_its_timeout(tmp_path: Path) -> None:
    """createrepo_c walking a pathological tree (a link to /) is killed, with its children, and
    the failure says why; the directory's lock is free again for the next writer."""
    hung = tmp_path / "createrepo_c"
    pidfile = tmp_path / "child.pid"
    hung.write_text(f"#!/bin/sh\nsleep 300 &\necho $! > {pidfile}\nwait\n")
    hung.chmod(0o755)
    runner = repo.Createrepo(tmp_path / "locks", command=str(hung), timeout=1)
    started = time.monotonic()
    with pytest.raises(repo.RepoError, match=r"createrepo_c .*fedora-44-x86_64 did not finish within 1s: stopped"):
        runner.run(tmp_path / "fedora-44-x86_64")
    assert time.monotonic() - started < 10
    child = Path(f"/proc/{int(pidfile.read_text())}/stat")

    def child_gone() -> None:
        if child.exists() and child.read_text().split()[2] != "Z":
            raise wait.NotYet("createrepo_c's child still runs")

    wait.until(child_gone, what="createrepo_c's child to be killed too", timeout=5)
    with repo.dir_lock(tmp_path / "locks", tmp_path / "fedora-44-x86_64"):
        pass


def test_the_createrepo_timeout_is_a_named_default() -> None:
    assert repo.Createrepo(Path("/locks")).timeout == repo.CREATEREPO_TIMEOUT > 0


# Like createrepo_c: refuses to start while the output directory has a temporary `.repodata`.
STRICT_CREATEREPO = """#!/bin/sh
prev=""; out=""
for arg; do [ "$prev" = --outputdir ] && out=$arg; prev=$arg; done
out=${out:-$prev}
if [ -e "$out/.repodata" ]; then echo "Temporary repodata directory $out/.repodata already exists!" >&2; exit 1; fi
mkdir -p "$out/repodata"
"""


@pytest.mark.parametrize("devel", [False, True])
def test_a_killed_createrepo_leaves_nothing_that_stops_the_next(tmp_path: Path, devel: bool) -> None:
    """A createrepo_c killed at its timeout leaves its temporary `.repodata`; the next run in
    that directory (under the same lock, so nobody else writes there) must not fail on it."""
    command = tmp_path / "createrepo_c"
    command.write_text(STRICT_CREATEREPO)
    command.chmod(0o755)
    chroot_dir = tmp_path / "fedora-44-x86_64"
    output = chroot_dir / "devel" if devel else chroot_dir
    (output / ".repodata").mkdir(parents=True)
    repo.Createrepo(tmp_path / "locks", command=str(command)).run(chroot_dir, devel=devel)
    assert (output / "repodata").is_dir() and not (output / ".repodata").exists()
