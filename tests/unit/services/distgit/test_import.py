"""Unit tests of the dist-git import with the host's real rpm tools and git (no Podman)."""

from __future__ import annotations

import hashlib
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from . import srpms
from .srpms import build_srpm

if not srpms.HAVE_TOOLS:
    pytest.skip(srpms.MISSING_TOOLS, allow_module_level=True)

from copr_dist_git.config import Config  # noqa: E402
from copr_dist_git.importer import import_srpm  # noqa: E402
from copr_dist_git.layout import parse_sources  # noqa: E402
from copr_dist_git.srpm import SrpmError, unpack  # noqa: E402


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(git_root=tmp_path / "git", lookaside_root=tmp_path / "lookaside",
                  log_dir=tmp_path / "logs")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "--git-dir", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def files_at(repo: Path, commit: str) -> dict[str, str]:
    names = git(repo, "ls-tree", "--name-only", commit).splitlines()
    return {name: git(repo, "show", f"{commit}:{name}") for name in names}


def test_unpack_classifies_files(tmp_path: Path) -> None:
    srpm = build_srpm(tmp_path, sources={"notes.txt": b"read me\n", "logo.bin": b"\0\1\2"})
    into = tmp_path / "out"
    into.mkdir()
    unpacked = unpack(srpm, into)
    assert (unpacked.name, unpacked.version, unpacked.release, unpacked.spec) == ("tiny", "1.0", "1", "tiny.spec")
    assert [f.name for f in unpacked.git_files] == ["fix.patch", "notes.txt", "tiny.spec"]
    assert [f.name for f in unpacked.lookaside_files] == ["logo.bin", "tiny-1.0.tar.gz"]
    tarball = next(f for f in unpacked.files if f.name == "tiny-1.0.tar.gz")
    assert tarball.md5 == hashlib.md5(tarball.path.read_bytes()).hexdigest()
    assert sorted(p.name for p in into.iterdir()) == sorted(f.name for f in unpacked.files)


def test_first_import(tmp_path: Path, config: Config) -> None:
    srpm = build_srpm(tmp_path)
    result = import_srpm(config, srpm, "@copr", "proj", ["f44", "master", "f44"], build_id=7)
    repo = config.git_root / "@copr" / "proj" / "tiny.git"
    assert result.reponame == "@copr/proj/tiny"
    assert list(result.branch_commits) == ["f44", "master"]
    commit = result.branch_commits["f44"]
    assert result.branch_commits["master"] == commit
    assert result.actions == {"f44": "commit", "master": "create"}
    assert git(repo, "rev-parse", "refs/heads/f44", "refs/heads/master").split() == [commit, commit]
    assert git(repo, "symbolic-ref", "HEAD") == "refs/heads/master"
    assert git(repo, "log", "-1", "--format=%an|%cn|%s|%b", commit).startswith(
        "CoprDistGit|CoprDistGit|Import tiny-1.0-1|")
    assert "build 7" in git(repo, "log", "-1", "--format=%b", commit)

    files = files_at(repo, commit)
    assert sorted(files) == ["fix.patch", "sources", "tiny.spec"]
    assert "Name: tiny" in files["tiny.spec"]
    [entry] = parse_sources(files["sources"] + "\n")
    tarball = tmp_path / "rpmbuild-tiny-1.0-1" / "SOURCES" / "tiny-1.0.tar.gz"
    assert entry.filename == "tiny-1.0.tar.gz"
    assert entry.digest == hashlib.md5(tarball.read_bytes()).hexdigest()
    stored = config.lookaside_root / "@copr/proj/tiny/tiny-1.0.tar.gz" / entry.digest / "tiny-1.0.tar.gz"
    assert stored.read_bytes() == tarball.read_bytes()
    # Dumb-HTTP clients read info/refs: it must list every branch.
    refs = (repo / "info" / "refs").read_text()
    assert f"{commit}\trefs/heads/f44" in refs and f"{commit}\trefs/heads/master" in refs

    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True, capture_output=True)
    assert (clone / "tiny.spec").is_file() and not (clone / "tiny-1.0.tar.gz").exists()


def test_head_names_the_first_branch_without_master(tmp_path: Path, config: Config) -> None:
    import_srpm(config, build_srpm(tmp_path), "alice", "p", ["epel9", "f44"])
    assert git(config.git_root / "alice/p/tiny.git", "symbolic-ref", "HEAD") == "refs/heads/epel9"


def test_reimport_of_the_same_srpm_keeps_the_commits(tmp_path: Path, config: Config) -> None:
    srpm = build_srpm(tmp_path)
    first = import_srpm(config, srpm, "alice", "p", ["f44", "master"], build_id=1)
    again = import_srpm(config, srpm, "alice", "p", ["f44", "master"], build_id=2)
    assert again.branch_commits == first.branch_commits
    assert again.actions == {"f44": "keep", "master": "keep"}


def test_new_version_goes_on_top_and_fast_forwards(tmp_path: Path, config: Config) -> None:
    old = import_srpm(config, build_srpm(tmp_path), "alice", "p", ["f44", "master"])
    new = import_srpm(config, build_srpm(tmp_path, version="1.1"), "alice", "p", ["master", "f44"])
    repo = config.git_root / "alice/p/tiny.git"
    commit = new.branch_commits["master"]
    assert new.branch_commits == {"master": commit, "f44": commit}
    assert new.actions == {"master": "commit", "f44": "fast-forward"}
    assert git(repo, "rev-parse", f"{commit}^") == old.branch_commits["f44"]
    assert "tiny-1.1.tar.gz" in files_at(repo, commit)["sources"]
    # The lookaside keeps older sources: older commits still build.
    assert len(list((config.lookaside_root / "alice/p/tiny").iterdir())) == 2


def test_a_diverged_branch_gets_its_own_commit(tmp_path: Path, config: Config) -> None:
    one = import_srpm(config, build_srpm(tmp_path, version="1"), "alice", "p", ["f44"])
    two = import_srpm(config, build_srpm(tmp_path, version="2"), "alice", "p", ["master"])
    three = import_srpm(config, build_srpm(tmp_path, version="3"), "alice", "p", ["f44", "master"])
    repo = config.git_root / "alice/p/tiny.git"
    assert three.actions == {"f44": "commit", "master": "commit"}
    f44, master = three.branch_commits["f44"], three.branch_commits["master"]
    assert f44 != master
    assert git(repo, "rev-parse", f"{f44}^") == one.branch_commits["f44"]
    assert git(repo, "rev-parse", f"{master}^") == two.branch_commits["master"]
    assert git(repo, "rev-parse", f"{f44}^{{tree}}") == git(repo, "rev-parse", f"{master}^{{tree}}")


def test_package_name_from_the_frontend_wins(tmp_path: Path, config: Config) -> None:
    result = import_srpm(config, build_srpm(tmp_path), "alice", "p", ["f44"], pkg_name="renamed")
    assert result.reponame == "alice/p/renamed"
    assert (config.git_root / "alice/p/renamed.git").is_dir()


def test_parallel_imports_of_one_package_are_serialized(tmp_path: Path, config: Config) -> None:
    srpms = [build_srpm(tmp_path, version=f"1.{n}") for n in range(4)]
    others = [build_srpm(tmp_path, name=f"other{n}") for n in range(2)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        same = [pool.submit(import_srpm, config, s, "alice", "p", ["f44", "master"]) for s in srpms]
        different = [pool.submit(import_srpm, config, s, "alice", "p", ["f44"]) for s in others]
        results = [f.result() for f in same + different]
    repo = config.git_root / "alice/p/tiny.git"
    # Each import went on top of the previous one: four commits in one line, none lost.
    assert git(repo, "rev-list", "--count", "f44") == "4"
    assert git(repo, "rev-parse", "f44") == git(repo, "rev-parse", "master")
    assert {r.reponame for r in results} == {"alice/p/tiny", "alice/p/other0", "alice/p/other1"}


def test_not_an_srpm(tmp_path: Path, config: Config) -> None:
    junk = tmp_path / "junk.src.rpm"
    junk.write_bytes(b"not an rpm")
    with pytest.raises(SrpmError, match="not an RPM"):
        import_srpm(config, junk, "alice", "p", ["f44"])
    assert not config.git_root.exists()


def test_a_binary_rpm_is_refused(tmp_path: Path, config: Config) -> None:
    top = tmp_path / "bin"
    (top / "SOURCES").mkdir(parents=True)
    spec = top / "b.spec"
    spec.write_text("Name: b\nVersion: 1\nRelease: 1\nSummary: s\nLicense: MIT\nBuildArch: noarch\n"
                    "%description\nd\n%files\n")
    subprocess.run(["rpmbuild", "-bb", "--quiet", "--define", f"_topdir {top}", str(spec)],
                   check=True, capture_output=True)
    rpm = next((top / "RPMS").rglob("*.rpm"))
    with pytest.raises(SrpmError, match="not a source RPM"):
        import_srpm(config, rpm, "alice", "p", ["f44"])


def test_an_srpm_with_its_own_sources_file_is_refused(tmp_path: Path, config: Config) -> None:
    srpm = build_srpm(tmp_path, sources={"sources": b"x\n"})
    with pytest.raises(SrpmError, match="sources"):
        import_srpm(config, srpm, "alice", "p", ["f44"])


def test_a_git_command_that_does_not_end_is_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every git command has a timeout: one that runs past it fails the import with the reason."""
    from copr_dist_git import gitrepo

    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "git").write_text("#!/bin/sh\nexec sleep 30\n")
    (fake / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}:/usr/bin:/bin")
    monkeypatch.setattr(gitrepo, "GIT_TIMEOUT", 1)
    repo = gitrepo.Repo(tmp_path / "r.git")
    with pytest.raises(gitrepo.GitError, match=r"git init .* did not finish within 1s: stopped"):
        repo.ensure()
