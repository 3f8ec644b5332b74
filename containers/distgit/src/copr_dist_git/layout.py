"""Names, paths and URLs of dist-git: repositories, lookaside files, `sources` files.

Pure functions only (no I/O), so the rules are unit-tested on their own.

On disk:
  git repository    <git_root>/<owner>/<dirname>/<pkg>.git          (bare)
  lookaside file    <lookaside_root>/<owner>/<dirname>/<pkg>/<file>/<md5>/<file>
  per-task log      <log_dir>/<build_id>.log
Over HTTP (read-only):
  /git/<owner>/<dirname>/<pkg>.git/...  and  /git/<owner>/<dirname>/<pkg>/...
  /repo/pkgs/<owner>/<dirname>/<pkg>/<file>/md5/<md5>/<file>   (also without the "md5/" part)
  /per-task-logs/<build_id>.log
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath, PurePosixPath
from typing import TypeVar
from urllib.parse import unquote, urlsplit

# Path on the service's side, PurePosixPath in the URL mapping: the type given is the type returned.
P = TypeVar("P", bound=PurePath)

# Owners keep a leading '@' for groups; project dirnames may carry ':' (e.g. "p:pr:12"); package
# names may carry '+' (e.g. "libstdc++"). A leading '.' or '-' is refused: no "..", no hidden
# files, nothing a command line could take for an option.
_SEGMENT = re.compile(r"^(?![.-])[A-Za-z0-9_@+:.-]{1,200}$")
_FILENAME = re.compile(r"^(?![.-])[A-Za-z0-9_@+:.,~=%-]{1,255}$")
_BRANCH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_MD5 = re.compile(r"^[0-9a-f]{32}$")
_HASH = re.compile(r"^[0-9a-f]{32,128}$")
_BUILD_ID = re.compile(r"^[0-9]{1,18}$")

# Archives and other binary payloads go to the lookaside cache, not into git (the usual dist-git
# split: git keeps the spec, patches and small text files).
LOOKASIDE_SUFFIXES = (
    ".tar", ".gz", ".tgz", ".bz2", ".tbz", ".tbz2", ".xz", ".txz", ".lz", ".lzma", ".tlz", ".zst",
    ".tzst", ".Z", ".zip", ".7z", ".rar", ".jar", ".war", ".whl", ".egg", ".gem", ".crate", ".rpm",
    ".cpio", ".iso", ".img", ".bin", ".pdf", ".db", ".xpi", ".oxt", ".ttf", ".otf", ".woff",
    ".woff2", ".png", ".jpg", ".jpeg", ".gif", ".ico",
)
# Larger text files go to the lookaside as well: git is for what a packager edits.
LOOKASIDE_MIN_SIZE = 1024 * 1024


class LayoutError(ValueError):
    """A name or path that dist-git refuses."""


def check_segment(value: str, what: str) -> str:
    """Return `value` if it may be an owner, project dirname or package name."""
    if not isinstance(value, str) or not _SEGMENT.match(value) or ".." in value:
        raise LayoutError(f"{what} {value!r} is not a valid name")
    return value


def check_filename(value: str) -> str:
    """Return `value` if it may be the name of a file in a package (spec, patch, tarball)."""
    if not isinstance(value, str) or not _FILENAME.match(value) or ".." in value:
        raise LayoutError(f"file name {value!r} is not allowed")
    return value


def check_branch(value: str) -> str:
    """Return `value` if it is a usable branch name (f44, master, epel9, el6, mga9, cauldron)."""
    if not isinstance(value, str) or not _BRANCH.match(value) or ".." in value or value.endswith(".lock"):
        raise LayoutError(f"branch {value!r} is not a valid branch name")
    return value


def unique_branches(branches: list[str]) -> list[str]:
    """The requested branches, validated, duplicates dropped, order kept (the first is imported)."""
    if not isinstance(branches, list) or not branches:
        raise LayoutError("the import names no branch")
    seen: list[str] = []
    for branch in branches:
        if check_branch(branch) not in seen:
            seen.append(branch)
    return seen


def reponame(owner: str, dirname: str, pkg: str) -> str:
    """`<owner>/<dirname>/<pkg>`: the name the frontend records and the URLs use."""
    return "/".join((check_segment(owner, "owner"), check_segment(dirname, "project"),
                     check_segment(pkg, "package")))


def split_reponame(name: str) -> tuple[str, str, str]:
    """(owner, dirname, pkg) of a `reponame`."""
    parts = name.split("/")
    if len(parts) != 3:
        raise LayoutError(f"repository name {name!r} is not <owner>/<project>/<package>")
    owner, dirname, pkg = parts
    reponame(owner, dirname, pkg)
    return owner, dirname, pkg


def repo_dir(git_root: P, name: str) -> P:
    """The bare repository of `name` (`o/p/pkg`): `<git_root>/o/p/pkg.git`."""
    owner, dirname, pkg = split_reponame(name)
    return git_root / owner / dirname / f"{pkg}.git"


def lookaside_file(root: P, name: str, filename: str, md5: str) -> P:
    """Where the lookaside keeps one source file: `<root>/o/p/pkg/<file>/<md5>/<file>`."""
    owner, dirname, pkg = split_reponame(name)
    check_filename(filename)
    if not _MD5.match(md5):
        raise LayoutError(f"{md5!r} is not an md5 digest")
    return root / owner / dirname / pkg / filename / md5 / filename


def lookaside_url(base: str, name: str, filename: str, md5: str) -> str:
    """The URL a builder downloads a source file from (`base` is `http://<distgit>/repo/pkgs`)."""
    lookaside_file(PurePosixPath("/"), name, filename, md5)  # validates
    return f"{base.rstrip('/')}/{name}/{filename}/md5/{md5}/{filename}"


def task_log(log_dir: P, build_id: int | str) -> P:
    """The per-task log of an import."""
    if not _BUILD_ID.match(str(build_id)):
        raise LayoutError(f"build id {build_id!r} is not a number")
    return log_dir / f"{int(build_id)}.log"


# -- sources files -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceEntry:
    """One line of a `sources` file: a file kept in the lookaside, by hash."""

    filename: str
    digest: str
    hashtype: str = "md5"


def sources_text(entries: list[SourceEntry]) -> str:
    """The `sources` file: one `<md5>  <filename>` line per file, sorted by file name.

    The md5 ("old") format matches the lookaside layout, whose path holds the md5 digest.
    """
    lines = []
    for entry in sorted(entries, key=lambda e: e.filename):
        if entry.hashtype != "md5":
            raise LayoutError(f"{entry.filename}: only md5 entries are written, not {entry.hashtype}")
        lookaside_file(PurePosixPath("/"), "o/p/pkg", entry.filename, entry.digest)  # validates
        lines.append(f"{entry.digest}  {entry.filename}\n")
    return "".join(lines)


_OLD_LINE = re.compile(r"^([0-9a-f]{32})\s+\*?(\S+)$")
_TAGGED_LINE = re.compile(r"^([A-Z0-9]+) \((.+)\) = ([0-9a-f]+)$")


def parse_sources(text: str) -> list[SourceEntry]:
    """Read a `sources` file in either format: `<md5>  <file>` or `SHA512 (<file>) = <hash>`."""
    entries = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        old = _OLD_LINE.match(line)
        tagged = _TAGGED_LINE.match(line)
        if old:
            entries.append(SourceEntry(check_filename(old.group(2)), old.group(1)))
        elif tagged and _HASH.match(tagged.group(3)):
            entries.append(SourceEntry(check_filename(tagged.group(2)), tagged.group(3),
                                       tagged.group(1).lower()))
        else:
            raise LayoutError(f"sources line {number} is not understood: {raw!r}")
    return entries


def goes_to_lookaside(filename: str, size: int, is_text: bool) -> bool:
    """Whether a file of an SRPM is kept in the lookaside (True) or committed to git (False)."""
    if filename.endswith(".spec"):
        return False
    return filename.endswith(LOOKASIDE_SUFFIXES) or not is_text or size >= LOOKASIDE_MIN_SIZE


# -- URL mapping for the read-only HTTP server ---------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What a request path names: `kind` is git, lookaside, log or health."""

    kind: str
    path: PurePosixPath = PurePosixPath(".")
    repo: str = ""  # for git: `o/p/pkg.git`, relative to the git root
    rest: str = ""  # for git: the path inside the repository (`info/refs`, `objects/..`)


def map_url(url_path: str) -> Target | None:
    """Map a request path to what it names, relative to its root; None when it names nothing.

    The paths returned are relative (the server joins them to its roots) and contain no '..'.
    """
    path = urlsplit(url_path).path
    if path in ("/health", "/health/"):
        return Target("health")
    raw_parts = [unquote(p) for p in path.split("/")[1:]]
    if raw_parts and raw_parts[-1] == "":
        raw_parts.pop()  # a trailing slash
    if any(p in ("", ".", "..") or "/" in p or "\0" in p for p in raw_parts):
        return None
    try:
        return _map_parts(raw_parts)
    except LayoutError:
        return None


def _map_parts(parts: list[str]) -> Target | None:
    if len(parts) >= 4 and parts[0] == "git":
        owner, dirname, pkg = parts[1], parts[2], parts[3]
        if pkg.endswith(".git"):
            pkg = pkg[: -len(".git")]
        name = reponame(owner, dirname, pkg)
        rest = parts[4:]
        for part in rest:
            check_filename(part)  # info/refs, objects/pack/pack-<sha>.pack, git-upload-pack
        repo = f"{name}.git"
        return Target("git", PurePosixPath(repo, *rest), repo=repo, rest="/".join(rest))
    if len(parts) in (8, 9) and parts[:2] == ["repo", "pkgs"]:
        owner, dirname, pkg, filename = parts[2:6]
        tail = parts[6:]
        if len(tail) == 3:
            hashtype, digest, again = tail
            if hashtype != "md5":
                # Only md5 files are stored; their path has no hash-type part.
                return None
        else:
            digest, again = tail
        if again != filename:
            return None
        name = reponame(owner, dirname, pkg)
        return Target("lookaside", lookaside_file(PurePosixPath("."), name, filename, digest))
    if len(parts) == 2 and parts[0] == "per-task-logs" and parts[1].endswith(".log"):
        return Target("log", task_log(PurePosixPath("."), parts[1][: -len(".log")]))
    return None
