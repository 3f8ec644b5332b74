"""Dist-git: clone URLs, `sources` files and the lookaside cache (upstream: providers/distgit.py)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from .download import Log, download
from .errors import BuildError
from .sandbox import read_text


@dataclass
class SourceEntry:
    """One line of a dist-git `sources` file."""

    filename: str
    hashtype: str
    digest: str


def parse_sources(text: str) -> list[SourceEntry]:
    """Parse a dist-git `sources` file: old `<md5>  <file>` lines or new `SHA512 (file) = <hash>`."""
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        tagged = re.fullmatch(r"([A-Za-z0-9]+) \((.+)\) = ([0-9a-fA-F]+)", line)
        plain = re.fullmatch(r"([0-9a-fA-F]{32})\s+(\S.*)", line)
        if tagged:
            entries.append(SourceEntry(tagged.group(2), tagged.group(1).lower(), tagged.group(3).lower()))
        elif plain:
            entries.append(SourceEntry(plain.group(2), "md5", plain.group(1).lower()))
        else:
            raise BuildError(f"sources file, line {number}: cannot parse {line!r}")
        if "/" in entries[-1].filename or entries[-1].filename in (".", ".."):
            raise BuildError(f"sources file, line {number}: bad file name {entries[-1].filename!r}")
    return entries


def repo_path(git_repo: str, clone_path_prefix: str) -> str:
    """The `<owner>/<dir>/<package>` part of a dist-git clone URL."""
    path = unquote(urlparse(git_repo).path).rstrip("/")
    prefix = "/" + clone_path_prefix.strip("/") + "/" if clone_path_prefix.strip("/") else "/"
    if path.startswith(prefix):
        path = path[len(prefix):]
    path = path.strip("/")
    return path[:-4] if path.endswith(".git") else path


def lookaside_url(base: str, git_repo: str, clone_path_prefix: str, entry: SourceEntry) -> str:
    """Where dist-git's lookaside cache serves one source file of a package."""
    parsed = urlparse(git_repo)
    root = base.format(scheme=parsed.scheme, netloc=parsed.netloc).rstrip("/")
    return (f"{root}/{repo_path(git_repo, clone_path_prefix)}/{entry.filename}/"
            f"{entry.hashtype}/{entry.digest}/{entry.filename}")


def fetch_sources(checkout: Path, git_repo: str, base: str, clone_path_prefix: str,
                  log: Log, timeout: float) -> None:
    """Download the files the `sources` file lists from the lookaside cache, checking hashes."""
    listing = checkout / "sources"
    if not listing.is_file():
        log.write("No sources file: nothing to fetch from the lookaside cache")
        return
    # Read without following a link: the checkout is the build user's (a `sources` link to a
    # secret file would put its lines in the error message).
    for entry in parse_sources(read_text(listing)):
        if entry.hashtype not in hashlib.algorithms_available:
            raise BuildError(f"sources file: unknown hash type {entry.hashtype}")
        target = checkout / entry.filename
        download(lookaside_url(base, git_repo, clone_path_prefix, entry), target, log, timeout)
        digest = hashlib.new(entry.hashtype, target.read_bytes()).hexdigest()
        if digest != entry.digest:
            raise BuildError(f"{entry.filename}: {entry.hashtype} is {digest}, "
                             f"the sources file says {entry.digest}")
