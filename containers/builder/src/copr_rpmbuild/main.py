"""The copr-rpmbuild command line: wait for the lock, run one task, leave the result files.

Upstream's contract (rpmbuild/main.py): one of --rpm (default), --srpm or --dump-configs; the task
from --task-file, --task-url, --build-id or --copr; one task at a time (a blocking lock); the
result directory emptied only with --drop-resultdir; `success` in it when the build succeeded.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import TextIO

from . import VERSION
from .build import Build, build_rpm, build_srpm
from .config import DEFAULT_CONFIG, Config, load_config
from .configs import write_configs
from .errors import BuildError, Canceled, TaskError
from .process import LiveLog, _on_cancel, quote
from .sandbox import build_user, kill_processes
from .task import Request, get_task, parse_task


def _lock(config: Config) -> int:
    """Wait for the lock (upstream: fcntl.lockf, blocking): one task at a time on a builder."""
    config.lockfile.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(config.lockfile, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1)
    except OSError:
        print(f"copr-rpmbuild: waiting for {config.lockfile}: another copr-rpmbuild is running",
              file=sys.stderr, flush=True)
        fcntl.lockf(fd, fcntl.LOCK_EX, 1)
    return fd


def _empty(directory: Path) -> None:
    """Remove what is in `directory` (not following symbolic links) and make sure it exists."""
    directory.mkdir(parents=True, exist_ok=True)
    for entry in directory.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def request_of(args: argparse.Namespace) -> Request:
    return Request(kind=args.kind, chroot=args.chroot, build_id=args.build_id, copr=args.copr,
                   task_file=args.task_file, task_url=args.task_url)


def perform(request: Request, config: Config, log: LiveLog, workdir: Path) -> str:
    """The task's action; returns the outcome ("succeeded", "dumped") or raises BuildError."""
    record = get_task(request, config)
    if request.kind == "dump-configs":
        path = write_configs(record, config)
        log.write(f"Wrote: {path}")
        return "dumped"
    task = parse_task(record, request.kind)
    log.write(f"Task {task.task_id} ({task.kind.upper()} build of {task.project_owner}/"
              f"{task.project_name}" + (f", chroot {task.chroot}" if task.chroot else "") + ")")
    user = build_user(config.build_user)
    log.write(f"Building as {user.name} (uid {user.uid}) in {workdir}" if user
              else f"Building as uid {os.geteuid()} in {workdir}")
    build = Build(config, log, workdir, user)
    try:
        return build_srpm(task, build) if task.kind == "srpm" else build_rpm(task, build)
    finally:
        kill_processes(user)


def run_task(args: argparse.Namespace, config: Config, echo: TextIO | None) -> int:
    """Run one task: lock, drop the result directory if asked, build, leave the result files.

    Returns 0 when the action succeeded (for a build: `success` written), else 1.
    """
    try:
        lock = _lock(config)
    except Canceled:
        print("copr-rpmbuild: canceled while waiting for the lock", file=sys.stderr)
        return 1
    try:
        if args.drop_resultdir:
            shutil.rmtree(config.resultdir, ignore_errors=True)
        config.resultdir.mkdir(parents=True, exist_ok=True)
        _empty(config.workspace)  # leftovers of a killed task; we hold the lock, so none is live
        config.logfile.parent.mkdir(parents=True, exist_ok=True)
        log = LiveLog(config.logfile, echo)
        begin = time.monotonic()
        workdir = Path(tempfile.mkdtemp(prefix="workdir-", dir=config.workspace))
        outcome = "failed"
        try:
            log.write(f"copr-rpmbuild version {VERSION} (copr-harness mock builder: rpmbuild, no mock)")
            log.write("Command: " + " ".join(quote(a) for a in sys.argv))
            outcome = perform(request_of(args), config, log, workdir)
        except Canceled as error:
            log.write(f"Copr build canceled: {error}")
        except BuildError as error:
            log.write(f"Copr build error: {error}")
        except Exception:  # noqa: BLE001 - a bug must still end as a failed build with a log
            log.write("Copr build error (unexpected):\n" + traceback.format_exc())
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        log.write(f"Build {outcome} in {time.monotonic() - begin:.2f} s")
        log.close()
        return 0 if outcome != "failed" else 1
    finally:
        fcntl.lockf(lock, fcntl.LOCK_UN, 1)
        os.close(lock)


def detach(args: argparse.Namespace, config: Config) -> int:
    """Run the task in a background session; return once its pid files are written.

    As upstream's daemon, the background process records its PGID (for copr-rpmbuild-cancel)
    and its PID (copr-rpmbuild-log follows the log until it ends) before it waits for the lock.
    """
    read_end, write_end = os.pipe()
    if os.fork():
        os.close(write_end)
        with os.fdopen(read_end, "rb") as pipe:
            answer = pipe.read().decode(errors="replace")
        if answer == "ok":
            return 0
        print(f"copr-rpmbuild: {answer or 'the background build did not start'}", file=sys.stderr)
        return 1
    os.close(read_end)
    os.setsid()  # our own session and process group: the PGID copr-rpmbuild-cancel signals
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    code = 1
    try:
        try:
            config.pidfile.parent.mkdir(parents=True, exist_ok=True)
            config.pidfile.write_text(f"{os.getpgrp()}\n")
            config.logger_pidfile.write_text(f"{os.getpid()}\n")
        except OSError as error:
            os.write(write_end, f"cannot write the pid files: {error}".encode())
            raise
        os.write(write_end, b"ok")
        os.close(write_end)
        code = run_task(args, config, None)
    finally:
        os._exit(code)


def parser() -> argparse.ArgumentParser:
    """The options of copr-rpmbuild, spelt as upstream's."""
    cli = argparse.ArgumentParser(prog="copr-rpmbuild", description="Run a Copr build task with rpmbuild.")
    cli.add_argument("--version", action="version", version=f"%(prog)s version {VERSION}")
    kind = cli.add_mutually_exclusive_group()
    kind.add_argument("--rpm", dest="kind", action="store_const", const="rpm",
                      help="build binary RPMs from dist-git (the default); needs -r/--chroot")
    kind.add_argument("--srpm", dest="kind", action="store_const", const="srpm",
                      help="build a source RPM (SRPM task)")
    kind.add_argument("--dump-configs", dest="kind", action="store_const", const="dump-configs",
                      help="only write the build's configuration (configs/child.cfg in the result "
                           "directory); needs -r/--chroot")
    cli.add_argument("--task-url", help="URL of the task's JSON definition")
    cli.add_argument("--task-file", help="a local file with the task's JSON definition (wins over --task-url)")
    cli.add_argument("--build-id", help="fetch the task of this build from the frontend")
    cli.add_argument("--copr", help="fetch the chroot's build configuration of this project "
                                    "(owner/project or @group/project) from the frontend")
    cli.add_argument("-r", "--chroot", help="the chroot to build for (overrides the task's)")
    cli.add_argument("-d", "--detached", action="store_true",
                     help="run in the background; follow it with copr-rpmbuild-log")
    cli.add_argument("--drop-resultdir", action="store_true",
                     help="empty the result directory before the task")
    cli.add_argument("-v", "--verbose", action="count", default=0, help="more output (may be repeated)")
    cli.add_argument("-c", "--config", default=DEFAULT_CONFIG,
                     help=f"configuration (default {DEFAULT_CONFIG})")
    cli.set_defaults(kind="rpm")
    return cli


def main(argv: list[str] | None = None) -> int:
    """copr-rpmbuild's command line."""
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    if not (args.task_url or args.task_file or args.build_id or args.copr):
        parser().error("one of --task-url, --task-file, --build-id or --copr is required")
    try:
        config = load_config(args.config)
    except TaskError as error:
        print(f"copr-rpmbuild: {error}", file=sys.stderr)
        return 1
    # A lost SSH session (HUP) must not leave a build running without anyone to collect it.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _on_cancel)
    if args.detached:
        return detach(args, config)
    return run_task(args, config, sys.stdout)
