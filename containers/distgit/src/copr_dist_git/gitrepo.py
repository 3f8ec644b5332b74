"""Bare git repositories written with git's plumbing (no work tree, no clone, no push)."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


# How long one git command may run (hashing a big source, writing a pack) before it is killed.
GIT_TIMEOUT = 300


class GitError(Exception):
    """A git command failed."""


def _run_git(argv: list[str], what: str, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    """Run a git command in its own session, killed after GIT_TIMEOUT (GitError then)."""
    try:
        return subprocess.run(argv, capture_output=True, check=False, start_new_session=True,
                              timeout=GIT_TIMEOUT, **kwargs)  # type: ignore[call-overload]
    except subprocess.TimeoutExpired:
        raise GitError(f"{what} did not finish within {GIT_TIMEOUT}s: stopped") from None


@dataclass(frozen=True)
class TreeEntry:
    """A file of the commit to make: its name and either its content or a file on disk."""

    name: str
    data: bytes | None = None
    path: Path | None = None
    executable: bool = False


def git_env(author_name: str = "", author_email: str = "") -> dict[str, str]:
    """The environment of every git command: no user or system configuration leaks in."""
    env = dict(os.environ)
    env.update({"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
                "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"})
    if author_name:
        env.update({"GIT_AUTHOR_NAME": author_name, "GIT_COMMITTER_NAME": author_name,
                    "GIT_AUTHOR_EMAIL": author_email, "GIT_COMMITTER_EMAIL": author_email})
    return env


class Repo:
    """One bare repository."""

    def __init__(self, path: Path, author_name: str = "CoprDistGit", author_email: str = "") -> None:
        self.path = path
        self.env = git_env(author_name, author_email)

    # Every child runs in its own session: stopping dist-git signals the service's process group,
    # and an import in flight must finish (the worker waits for it) rather than fail half-done.

    def git(self, *args: str, input: bytes | None = None, ok_codes: tuple[int, ...] = (0,)) -> str:
        """Run `git args...` in the repository; return its stdout."""
        result = _run_git(["git", "--git-dir", str(self.path), *args], f"git {' '.join(args[:2])}",
                          input=input, env=self.env)
        if result.returncode not in ok_codes:
            raise GitError(f"git {' '.join(args[:2])} failed: "
                           f"{result.stderr.decode(errors='replace').strip()}")
        return result.stdout.decode(errors="replace").strip()

    def ensure(self) -> None:
        """Create the bare repository unless it exists.

        Two first imports of a package may race: each initialises a repository under a hidden
        name and renames it into place; the one that loses throws its copy away.
        """
        if self.path.is_dir():
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{self.path.name}-", dir=self.path.parent))
        try:
            # No template: sample hooks are of no use in a repository nobody pushes to.
            result = _run_git(["git", "-c", "init.defaultBranch=master", "init", "--bare", "-q",
                               "--template=", str(staging)], f"git init {self.path}", env=self.env)
            if result.returncode != 0:
                raise GitError(f"git init {self.path} failed: "
                               f"{result.stderr.decode(errors='replace').strip()}")
            os.chmod(staging, 0o755)  # mkdtemp made it private; clients read it over HTTP
            try:
                os.rename(staging, self.path)
            except OSError:
                if not self.path.is_dir():
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the repository's lock: one import of a package at a time, across threads and
        processes (each open() is its own lock holder)."""
        fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def write_tree(self, entries: list[TreeEntry]) -> str:
        """Store the files as blobs and a flat tree of them; return the tree's id."""
        lines = []
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.path is not None:
                blob = self.git("hash-object", "-w", "--", str(entry.path))
            else:
                blob = self.git("hash-object", "-w", "--stdin", input=entry.data or b"")
            mode = "100755" if entry.executable else "100644"
            lines.append(f"{mode} blob {blob}\t{entry.name}\n")
        return self.git("mktree", input="".join(lines).encode())

    def head(self, branch: str) -> str | None:
        """The commit a branch points to, or None when it does not exist."""
        sha = self.git("rev-parse", "--verify", "-q", f"refs/heads/{branch}^{{commit}}", ok_codes=(0, 1))
        return sha or None

    def tree_of(self, commit: str) -> str:
        return self.git("rev-parse", f"{commit}^{{tree}}")

    def is_ancestor(self, older: str, newer: str) -> bool:
        """Whether `newer` contains `older` (a fast-forward from older to newer is possible)."""
        result = subprocess.run(["git", "--git-dir", str(self.path), "merge-base", "--is-ancestor",
                                 older, newer], capture_output=True, env=self.env, check=False, start_new_session=True)
        if result.returncode not in (0, 1):
            raise GitError(f"git merge-base failed: {result.stderr.decode(errors='replace').strip()}")
        return result.returncode == 0

    def commit(self, tree: str, parents: list[str], message: str) -> str:
        args = ["commit-tree", tree]
        for parent in parents:
            args += ["-p", parent]
        return self.git(*args, input=message.encode())

    def set_branch(self, branch: str, new: str, old: str | None) -> None:
        """Move a branch from `old` (None: it must not exist yet) to `new`, atomically."""
        self.git("update-ref", "-m", "copr-dist-git import", f"refs/heads/{branch}", new, old or "")

    def point_head(self, branches: list[str]) -> None:
        """Make HEAD name an existing branch, so a plain `git clone` checks something out."""
        current = self.git("symbolic-ref", "-q", "HEAD", ok_codes=(0, 1))
        if current and self.git("rev-parse", "--verify", "-q", current, ok_codes=(0, 1)):
            return
        preferred = "master" if "master" in branches else branches[0]
        self.git("symbolic-ref", "HEAD", f"refs/heads/{preferred}")

    def update_server_info(self) -> None:
        """Write info/refs and objects/info/packs: what a dumb-HTTP clone reads."""
        self.git("update-server-info")


def branch_action(head: str | None, head_tree: str | None, target: str, target_tree: str,
                  head_is_ancestor: bool) -> str:
    """How to bring an existing branch to the imported content (`target`, a commit).

    create: the branch is new, point it at target.  keep: it already has that commit or content.
    fast-forward: target descends from it.  commit: it diverged, add a commit with target's tree
    on top of it (its history is kept; no force-push).
    """
    if head is None:
        return "create"
    if head == target or head_tree == target_tree:
        return "keep"
    if head_is_ancestor:
        return "fast-forward"
    return "commit"
