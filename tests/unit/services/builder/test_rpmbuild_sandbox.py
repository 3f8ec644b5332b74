"""copr-rpmbuild (containers/builder/src/copr_rpmbuild): what may travel from the build's
workspace to the result directory, and the build user."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from copr_rpmbuild.errors import BuildError
from copr_rpmbuild.sandbox import build_user, collect, collect_dir, create_file, read_text


class Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def write(self, text: str) -> None:
        self.lines.append(text)


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    out, results = tmp_path / "out", tmp_path / "results"
    out.mkdir()
    results.mkdir()
    return out, results


def test_only_regular_files_are_collected(tmp_path: Path, dirs: tuple[Path, Path]) -> None:
    out, results = dirs
    secret = tmp_path / "secret"
    secret.write_text("root's key")
    (out / "hello-1-1.noarch.rpm").write_bytes(b"package")
    (out / "key.rpm").symlink_to(secret)
    (out / "slash.rpm").symlink_to("/")
    os.mkfifo(out / "fifo.rpm")
    (out / "dir.rpm").mkdir()
    os.link(secret, out / "hardlink.rpm")
    (out / "notes.txt").write_text("not ours")
    log = Lines()
    collected = collect_dir(out, results, log, lambda name: name.endswith(".rpm"))
    assert [p.name for p in collected] == ["hello-1-1.noarch.rpm"]
    assert sorted(p.name for p in results.iterdir()) == ["hello-1-1.noarch.rpm"]
    assert (results / "hello-1-1.noarch.rpm").read_bytes() == b"package"
    assert log.lines == [
        "Dropped from the results: dir.rpm is a directory, not a regular file",
        "Dropped from the results: fifo.rpm is a FIFO, not a regular file",
        "Dropped from the results: hardlink.rpm has 2 hard links",
        "Dropped from the results: key.rpm is a symbolic link, not a regular file",
        "Dropped from the results: notes.txt is not a file the build makes",
        "Dropped from the results: slash.rpm is a symbolic link, not a regular file",
    ]


def test_collect_never_writes_through_a_link_in_the_results(tmp_path: Path, dirs: tuple[Path, Path]) -> None:
    out, results = dirs
    victim = tmp_path / "victim"
    victim.write_text("untouched")
    (results / "hello.spec").symlink_to(victim)
    (out / "hello.spec").write_text("Name: hello")
    assert collect(out / "hello.spec", results, Lines()) == results / "hello.spec"
    assert victim.read_text() == "untouched"
    assert not (results / "hello.spec").is_symlink()


def test_create_file_replaces_a_planted_link(tmp_path: Path) -> None:
    victim = tmp_path / "authorized_keys"
    victim.write_text("key")
    planted = tmp_path / "hello.tar.gz"
    planted.symlink_to(victim)
    with os.fdopen(create_file(planted), "w") as handle:
        handle.write("source")
    assert victim.read_text() == "key" and planted.read_text() == "source" and not planted.is_symlink()


def test_read_text_refuses_a_link(tmp_path: Path) -> None:
    secret = tmp_path / "id_ed25519"
    secret.write_text("PRIVATE KEY")
    (tmp_path / "sources").symlink_to(secret)
    with pytest.raises(BuildError, match="sources is a symbolic link"):
        read_text(tmp_path / "sources")
    (tmp_path / "plain").write_text("d41d8cd98f00b204e9800998ecf8427e  x.tar.gz\n")
    assert read_text(tmp_path / "plain").startswith("d41d8")


def test_build_user() -> None:
    assert build_user("") is None
    if os.geteuid() != 0:
        assert build_user("mockbuild") is None  # already unprivileged: nothing to switch
        return
    with pytest.raises(BuildError, match="'no-such-user-here' .* does not exist"):
        build_user("no-such-user-here")
    with pytest.raises(BuildError, match="is root"):
        build_user("root")
    nobody = build_user("nobody")
    assert nobody is not None and nobody.uid != 0


def test_a_sources_link_to_a_secret_is_not_read(tmp_path: Path) -> None:
    # A dist-git repository whose `sources` links to root's key: its lines must not reach the log.
    from copr_rpmbuild.distgit import fetch_sources

    secret = tmp_path / "id_ed25519"
    secret.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "sources").symlink_to(secret)
    log = Lines()
    with pytest.raises(BuildError) as error:
        fetch_sources(checkout, "http://distgit/git/a/p/x", "http://distgit/repo/pkgs", "/git/", log, 1)
    assert "sources is a symbolic link" in str(error.value)
    assert "PRIVATE KEY" not in str(error.value) + "".join(log.lines)
