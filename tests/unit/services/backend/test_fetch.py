"""Fetching a builder's result directory: only regular files and directories reach the backend."""

from __future__ import annotations

import io
import tarfile
import time
from pathlib import Path

import pytest

from copr_backend.builders import SSH
from copr_backend.fetch import extract_regular


def _tar(members: list[tuple[tarfile.TarInfo, bytes | None]]) -> io.BytesIO:
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as archive:
        for info, content in members:
            if content is not None:
                info.size = len(content)
            archive.addfile(info, io.BytesIO(content) if content is not None else None)
    data.seek(0)
    return data


def _info(name: str, kind: bytes = tarfile.REGTYPE, target: str = "", mode: int = 0o644) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode = kind, target, mode
    return info


def test_only_regular_files_and_directories_are_extracted(tmp_path: Path) -> None:
    stream = _tar([
        (_info("./", tarfile.DIRTYPE, mode=0o755), None),
        (_info("./hello-1.0-1.noarch.rpm"), b"rpm"),
        (_info("./sub", tarfile.DIRTYPE, mode=0o755), None),
        (_info("./sub/results.json"), b"{}"),
        (_info("./key", tarfile.SYMTYPE, "/var/lib/copr/state/builder_id_ed25519"), None),
        (_info("./root", tarfile.SYMTYPE, "/"), None),
        (_info("./environ", tarfile.SYMTYPE, "/proc/self/environ"), None),
        (_info("./hard", tarfile.LNKTYPE, "./hello-1.0-1.noarch.rpm"), None),
        (_info("./fifo", tarfile.FIFOTYPE), None),
        (_info("./dev", tarfile.CHRTYPE), None),
        (_info("../escape"), b"out"),
        (_info("/etc/evil"), b"out"),
        (_info("./root/etc/passwd"), b"through the link"),
        (_info("./setuid", mode=0o4755), b"x"),
    ])
    dest = tmp_path / "staging"
    dropped = extract_regular(stream, dest)
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*")) == [
        "hello-1.0-1.noarch.rpm", "root", "root/etc", "root/etc/passwd", "setuid", "sub", "sub/results.json"]
    assert not any(p.is_symlink() for p in dest.rglob("*"))
    assert (dest / "root").is_dir() and (dest / "hello-1.0-1.noarch.rpm").read_bytes() == b"rpm"
    assert (dest / "setuid").stat().st_mode & 0o7777 == 0o755
    assert sorted(dropped) == ["../escape (unsafe name)", "/etc/evil (unsafe name)", "dev (character device)",
                               "environ (symbolic link)", "fifo (FIFO)", "hard (hard link)",
                               "key (symbolic link)", "root (symbolic link)"]
    assert not (tmp_path / "escape").exists()


def test_a_corrupt_stream_raises(tmp_path: Path) -> None:
    with pytest.raises(tarfile.TarError):
        extract_regular(io.BytesIO(b"x" * 1024), tmp_path / "staging")


class LocalShell(SSH):
    """SSH.fetch_dir with the remote command run by a local shell (no sshd in unit tests)."""

    def argv(self, host: str, command: str) -> list[str]:
        return ["sh", "-c", command]


def test_fetch_dir_drops_links_the_build_planted(tmp_path: Path) -> None:
    remote = tmp_path / "builder-results"
    remote.mkdir()
    (remote / "hello-1.0-1.noarch.rpm").write_bytes(b"rpm")
    (remote / "environ").symlink_to("/proc/self/environ")
    (remote / "root").symlink_to("/")
    dropped = LocalShell(tmp_path / "key").fetch_dir("builder-1", str(remote), tmp_path / "staging")
    assert sorted(dropped) == ["environ (symbolic link)", "root (symbolic link)"]
    assert [p.name for p in (tmp_path / "staging").iterdir()] == ["hello-1.0-1.noarch.rpm"]


def test_fetch_dir_is_stopped_at_its_timeout(tmp_path: Path) -> None:
    class Hung(SSH):
        def argv(self, host: str, command: str) -> list[str]:
            return ["sleep", "60"]

    started = time.monotonic()
    with pytest.raises(TimeoutError, match=r"downloading builder-1:/x took longer than 1s"):
        Hung(tmp_path / "key").fetch_dir("builder-1", "/x", tmp_path / "staging", timeout=1)
    assert time.monotonic() - started < 10


def test_fetch_dir_names_a_corrupt_stream(tmp_path: Path) -> None:
    class Garbage(SSH):
        def argv(self, host: str, command: str) -> list[str]:
            return ["sh", "-c", "head -c 2048 /dev/zero | tr '\\0' x"]

    with pytest.raises(OSError, match=r"downloading builder-1:/x failed: .*(bad|invalid|empty|header)"):
        Garbage(tmp_path / "key").fetch_dir("builder-1", "/x", tmp_path / "staging")
