"""copr-repo: (re)creates a chroot directory's repository with createrepo_c, as copr-backend
2.11 calls it (`copr-repo --batched DIR [--add SUB] [--delete SUB] [--rpms-to-remove PATH]
[--devel] [--no-appstream-metadata] [--do-stat]`).

Concurrent calls on one directory take copr-common 1.7's file lock in /var/lock/copr-backend
(the lock the backend's own code takes), and with --batched one process may do the work asked
by the others waiting, through copr_backend.createrepo.BatchedCreaterepo in redis.
appstream-builder does not exist on Debian: appstream metadata is never made (a warning says
so when it was asked for).
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

CREATEREPO = "/usr/bin/createrepo_c"
LOCK_DIR = os.environ.get("COPR_REPO_LOCK_DIR", "/var/lock/copr-backend")
CONFIG = os.environ.get("COPR_BE_CONFIG", "/etc/copr/copr-be.conf")
PKGLIST = ".copr-createrepo-pkglist"
# Seconds createrepo_c gets (COPR_BACKEND_CREATEREPO_TIMEOUT). Upstream's copr-repo gives it no
# limit; a link to / in a chroot directory then had it walk the backend's file system for ever
# while holding the directory's lock (README: Security). A difference from upstream, named there.
CREATEREPO_TIMEOUT = 600


def createrepo_timeout() -> float:
    return float(os.environ.get("COPR_BACKEND_CREATEREPO_TIMEOUT") or CREATEREPO_TIMEOUT)


def _subdir(value: str) -> str:
    """A build directory right under the chroot directory: one level, no '..', no space."""
    if not value or ".." in value or " " in value or "/" in value:
        raise argparse.ArgumentTypeError(f"'{value}' is not a subdirectory of the chroot directory")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="copr-repo", description="update a Copr chroot repository")
    p.add_argument("directory")
    p.add_argument("--add", action="append", default=[], type=_subdir, metavar="SUBDIR")
    p.add_argument("--delete", action="append", default=[], type=_subdir, metavar="SUBDIR")
    p.add_argument("--rpms-to-remove", action="append", default=[], metavar="PATH")
    p.add_argument("--devel", action="store_true")
    p.add_argument("--no-appstream-metadata", dest="appstream", action="store_false")
    p.add_argument("--batched", action="store_true")
    p.add_argument("--do-stat", action="store_true")
    p.add_argument("--log-to-stdout", action="store_true")
    return p


@dataclass
class Request:
    """What to do to one chroot directory (ours plus what batched processes asked)."""

    directory: Path
    add: list[str] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    rpms_to_remove: list[str] = field(default_factory=list)
    devel: bool = False
    do_stat: bool = False
    full: bool = False
    baseurl: str = ""

    def merge(self, full: bool, add: list[str], delete: list[str], remove: list[str]) -> None:
        """Take on the work of others (BatchedCreaterepo.options())."""
        self.full = self.full or full
        self.add = [] if self.full else sorted(set(self.add) | set(add))
        self.delete = sorted(set(self.delete) | set(delete))
        self.rpms_to_remove = sorted(set(self.rpms_to_remove) | set(remove))
        # Asked to be both added and deleted: deleting wins.
        self.add = [a for a in self.add if a not in self.delete]


def createrepo_command(request: Request, pkglist: Path | None) -> list[str] | None:
    """The createrepo_c command for `request`, or None when it would change nothing."""
    directory = request.directory
    command = [CREATEREPO, str(directory), "--no-database", "--ignore-lock", "--local-sqlite",
               "--cachedir", "/tmp/", "--workers", "2", "--general-compress-type=gz"]
    if (directory / "comps.xml").exists():
        command += ["--groupfile", str(directory / "comps.xml")]
    if (directory / "repodata" / "repomd.xml").exists():
        # Incremental: the RPMs in the tree never change, so createrepo_c's caches hold.
        command += ["--update"]
        if not request.do_stat:
            command += ["--skip-stat"]
        if not request.full:
            command += ["--recycle-pkglist"]
    needed = request.full
    for subdir in request.delete:
        command += ["--excludes", f"*{subdir}/*"]
        needed = True
    for rpm in request.rpms_to_remove:
        command += ["--excludes", rpm]
        needed = True
    if request.add and pkglist is not None:
        command += ["--pkglist", str(pkglist)]
        needed = True
    if request.devel:
        command += ["--outputdir", str(directory / "devel"), "--baseurl", request.baseurl]
    return command if needed else None


def write_pkglist(request: Request) -> Path | None:
    """The RPMs of the added build directories, relative to the chroot directory."""
    if not request.add:
        return None
    found = sorted(str(p.relative_to(request.directory))
                   for subdir in request.add for p in (request.directory / subdir).rglob("*.rpm"))
    path = request.directory / PKGLIST
    path.write_text("".join(f"{line}\n" for line in found))
    return path


def update(request: Request, log: logging.Logger) -> bool:
    """Run createrepo_c, then remove what was deleted (after, so the repodata never names a
    missing file). False when there was nothing to do."""
    request.add = [s for s in request.add if (request.directory / s).exists()]
    request.delete = [s for s in request.delete if (request.directory / s).exists()]
    pkglist = write_pkglist(request)
    try:
        command = createrepo_command(request, pkglist)
        if command is None:
            log.info("createrepo_c not needed for %s", request.directory)
            return False
        if request.devel:
            (request.directory / "devel").mkdir(exist_ok=True)
        log.info("running %s", " ".join(command))
        limit = createrepo_timeout()
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=limit)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"createrepo_c did not finish within {limit:g}s: stopped") from None
        if result.returncode != 0:
            raise RuntimeError(f"createrepo_c exited {result.returncode}: {result.stderr.strip()}")
    finally:
        if pkglist is not None:
            pkglist.unlink(missing_ok=True)
    for subdir in request.delete:
        log.info("removing %s", subdir)
        shutil.rmtree(request.directory / subdir, ignore_errors=True)
    for rpm in request.rpms_to_remove:
        log.info("removing %s", rpm)
        with_path = request.directory / rpm
        with_path.unlink(missing_ok=True)
    return True


def _logger(to_stdout: bool, opts: object | None) -> logging.Logger:
    if to_stdout or opts is None:
        logging.basicConfig(level=logging.INFO, format="copr-repo: %(message)s")
        return logging.getLogger("copr-repo")
    from copr_backend.helpers import get_redis_logger
    log = get_redis_logger(opts, f"copr-repo.pid-{os.getpid()}", "modifyrepo")
    errors = logging.StreamHandler()
    errors.setLevel(logging.WARNING)
    log.addHandler(errors)
    return log


def _backend_opts() -> object | None:
    try:
        from copr_backend.helpers import BackendConfigReader
        return BackendConfigReader(CONFIG).read()
    except Exception:  # noqa: BLE001 - no backend config: run unbatched, log to stdout
        return None


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from copr_backend.createrepo import BatchedCreaterepo
    from copr_common.lock import LockTimeout, lock

    opts = _backend_opts()
    log = _logger(args.log_to_stdout, opts)
    directory = Path(os.path.realpath(args.directory))
    owner, dirname, chroot = directory.parts[-3:]
    baseurl = f"{getattr(opts, 'results_baseurl', '')}/{owner}/{dirname}/{chroot}"
    request = Request(directory, list(args.add), list(args.delete), list(args.rpms_to_remove),
                      args.devel, args.do_stat, not (args.add or args.delete or args.rpms_to_remove),
                      baseurl)
    if args.appstream and not args.devel:
        log.warning("appstream metadata asked for %s, but appstream-builder is not installed "
                    "(Debian has none): skipped", directory)
    batch = BatchedCreaterepo(str(directory), request.full, request.add, request.delete,
                              request.rpms_to_remove, log=log, devel=args.devel,
                              appstream=args.appstream, backend_opts=opts,
                              noop=not args.batched or opts is None)
    batch.make_request()
    while True:
        # The lock is not fair: a task another process did meanwhile needs no lock at all.
        if batch.check_processed(delete_if_not=False):
            log.info("%s: done by another copr-repo", directory)
            return 0
        try:
            with lock(str(directory), lockdir=LOCK_DIR, timeout=5, log=log):
                if batch.check_processed():
                    log.info("%s: done by another copr-repo", directory)
                    return 0
                request.merge(*batch.options())
                try:
                    update(request, log)
                except (RuntimeError, OSError) as error:
                    log.error("%s: %s", directory, error)
                    return 1
                batch.commit()
                return 0
        except LockTimeout:
            continue


if __name__ == "__main__":
    sys.exit(main())
