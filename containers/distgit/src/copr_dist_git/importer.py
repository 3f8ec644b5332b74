"""Importing an SRPM into dist-git: lookaside files, one commit, one ref per branch."""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .config import Config
from .gitrepo import Repo, TreeEntry, branch_action
from .layout import SourceEntry, lookaside_file, repo_dir, reponame, sources_text, unique_branches
from .srpm import PackageFile, Srpm, SrpmError, unpack

# Files the import itself writes into the tree; an SRPM that brings its own would be overwritten.
RESERVED = {"sources"}


@dataclass
class ImportResult:
    """What an import made: the repository name and the commit of each branch."""

    reponame: str
    branch_commits: dict[str, str]
    nvr: str
    sources: list[SourceEntry] = field(default_factory=list)
    # branch -> create / keep / fast-forward / commit (the first branch: commit or keep)
    actions: dict[str, str] = field(default_factory=dict)


def store_lookaside(root: Path, name: str, files: list[PackageFile], log: logging.Logger) -> None:
    """Put source files into the lookaside; files already there (same md5) are left alone."""
    for item in files:
        target = lookaside_file(root, name, item.name, item.md5)
        if target.is_file() and target.stat().st_size == item.size:
            log.info("lookaside: %s already has %s (md5 %s)", name, item.name, item.md5)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the target and rename: a builder never downloads half a file.
        fd, tmp = tempfile.mkstemp(prefix=".upload-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as out, item.path.open("rb") as src:
                while chunk := src.read(1 << 20):
                    out.write(chunk)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        log.info("lookaside: stored %s (%d bytes, md5 %s)", item.name, item.size, item.md5)


def tree_entries(srpm: Srpm) -> list[TreeEntry]:
    """The files of the commit: spec, patches and small files, and `sources`."""
    clash = RESERVED & {f.name for f in srpm.files}
    if clash:
        raise SrpmError(f"the SRPM holds a file named {', '.join(sorted(clash))}, which dist-git writes itself")
    entries = [TreeEntry(f.name, path=f.path, executable=f.executable) for f in srpm.git_files]
    sources = [SourceEntry(f.name, f.md5) for f in srpm.lookaside_files]
    entries.append(TreeEntry("sources", data=sources_text(sources).encode()))
    return entries


def commit_message(srpm: Srpm, build_id: int | None) -> str:
    """Our own wording; the build id helps a reader match commits to builds."""
    text = f"Import {srpm.nvr}\n\nSource RPM imported by copr-dist-git"
    return text + (f" for build {build_id}.\n" if build_id is not None else ".\n")


def import_srpm(
    config: Config,
    srpm_path: Path,
    owner: str,
    project: str,
    branches: list[str],
    pkg_name: str | None = None,
    build_id: int | None = None,
    log: logging.Logger | None = None,
) -> ImportResult:
    """Import the SRPM at `srpm_path` into `<owner>/<project>/<pkg>` on every branch.

    The first branch gets a commit with the SRPM's content on top of its current head (none when
    the content is already there); every other branch is created at, fast-forwarded to, or given
    a commit with the same tree as the first branch's commit.
    """
    log = log or logging.getLogger("copr_dist_git.import")
    wanted = unique_branches(branches)
    with tempfile.TemporaryDirectory(prefix="import-") as tmp:
        srpm = unpack(srpm_path, Path(tmp))
        pkg = pkg_name or srpm.name
        if pkg != srpm.name:
            log.warning("the frontend calls the package %s, the SRPM says %s: using %s",
                        pkg, srpm.name, pkg)
        name = reponame(owner, project, pkg)
        log.info("importing %s into %s, branches %s", srpm.nvr, name, ", ".join(wanted))
        log.info("files: git %s; lookaside %s",
                 ", ".join(f.name for f in srpm.git_files) or "-",
                 ", ".join(f.name for f in srpm.lookaside_files) or "-")
        entries = tree_entries(srpm)
        repo = Repo(repo_dir(config.git_root, name), config.git_user_name, config.git_user_email)
        repo.ensure()
        with repo.locked():
            store_lookaside(config.lookaside_root, name, srpm.lookaside_files, log)
            tree = repo.write_tree(entries)
            result = ImportResult(name, {}, srpm.nvr,
                                  [SourceEntry(f.name, f.md5) for f in srpm.lookaside_files])
            message = commit_message(srpm, build_id)

            first = wanted[0]
            head = repo.head(first)
            if head is not None and repo.tree_of(head) == tree:
                commit, action = head, "keep"
            else:
                commit = repo.commit(tree, [head] if head else [], message)
                repo.set_branch(first, commit, head)
                action = "commit"
            result.branch_commits[first] = commit
            result.actions[first] = action
            log.info("branch %s: %s %s", first, action, commit)

            for branch in wanted[1:]:
                head = repo.head(branch)
                head_tree = repo.tree_of(head) if head else None
                ancestor = head is not None and repo.is_ancestor(head, commit)
                action = branch_action(head, head_tree, commit, tree, ancestor)
                if action == "keep":
                    assert head is not None
                    result.branch_commits[branch] = head
                elif action in ("create", "fast-forward"):
                    repo.set_branch(branch, commit, head)
                    result.branch_commits[branch] = commit
                else:
                    assert head is not None
                    own = repo.commit(tree, [head], message)
                    repo.set_branch(branch, own, head)
                    result.branch_commits[branch] = own
                result.actions[branch] = action
                log.info("branch %s: %s %s", branch, action, result.branch_commits[branch])

            repo.point_head(wanted)
            repo.update_server_info()
    return result
