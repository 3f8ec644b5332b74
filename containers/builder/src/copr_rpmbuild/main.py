"""The copr-rpmbuild command line: lock, clean, run one task, leave the result files."""

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
from typing import Callable, TextIO

from . import VERSION
from .build import Build, build_rpm, build_srpm
from .config import DEFAULT_CONFIG, Config, load_config
from .errors import BuildError, Canceled, TaskError
from .process import LiveLog, _on_cancel, quote
from .task import load_task, parse_task, task_url


class Busy(Exception):
    """Another copr-rpmbuild holds the lock."""


def _lock(config: Config) -> int:
    config.lockfile.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(config.lockfile, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise Busy(f"another copr-rpmbuild is running (lock {config.lockfile} is held)") from None
    return fd


def _clean(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for entry in directory.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def run_task(args: argparse.Namespace, config: Config, echo: TextIO | None,
             started: Callable[[str | None], None] = lambda error: None) -> int:
    """Run one task: lock, clean the result directory and log, build, leave the result files.

    Returns 0 when the build succeeded (`success` written) or the chroot is skipped, else 1.
    `started` is told once the task owns the lock and its log (or why it could not start).
    """
    try:
        lock = _lock(config)
    except Busy as error:
        started(str(error))
        print(f"copr-rpmbuild: {error}", file=sys.stderr)
        return 1
    try:
        _clean(config.resultdir)
        _clean(config.workspace)  # leftovers of a killed task; we hold the lock, so none is live
        config.logfile.parent.mkdir(parents=True, exist_ok=True)
        log = LiveLog(config.logfile, echo)
        started(None)
        begin = time.monotonic()
        workdir = Path(tempfile.mkdtemp(prefix="workdir-", dir=config.workspace))
        outcome = "failed"
        try:
            log.write(f"copr-rpmbuild version {VERSION} (copr-harness mock builder: rpmbuild, no mock)")
            log.write("Command: " + " ".join(quote(a) for a in sys.argv))
            url = None if args.task_file else (
                args.task_url or task_url(config, args.kind, args.build_id, args.chroot))
            task = parse_task(load_task(args.task_file, url, config), args.kind, args.chroot)
            log.write(f"Task {task.task_id} ({task.kind.upper()} build of {task.project_owner}/"
                      f"{task.project_name}" + (f", chroot {task.chroot}" if task.chroot else "") + ")")
            build = Build(config, log, workdir)
            outcome = build_srpm(task, build) if task.kind == "srpm" else build_rpm(task, build)
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
        shutil.copyfile(config.logfile, config.resultdir / "builder-live.log")
        if outcome == "succeeded":
            # Last: a backend that sees `success` finds every other result file in place.
            (config.resultdir / "success").write_text("done")
        return 0 if outcome in ("succeeded", "skipped") else 1
    finally:
        os.close(lock)


def detach(args: argparse.Namespace, config: Config) -> int:
    """Run the task in a background session; return once it owns the lock and the log."""
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

    def started(error: str | None) -> None:
        if error is None:
            config.pidfile.write_text(f"{os.getpgrp()}\n")
            config.logger_pidfile.write_text(f"{os.getpid()}\n")
        os.write(write_end, (error or "ok").encode())
        os.close(write_end)

    code = 1
    try:
        code = run_task(args, config, None, started)
    finally:
        os._exit(code)


def parser() -> argparse.ArgumentParser:
    """The options of copr-rpmbuild (a subset of upstream's, with the same spelling)."""
    cli = argparse.ArgumentParser(prog="copr-rpmbuild", description="Run a Copr build task with rpmbuild.")
    cli.add_argument("--version", action="version", version=f"%(prog)s version {VERSION}")
    kind = cli.add_mutually_exclusive_group()
    kind.add_argument("--srpm", dest="kind", action="store_const", const="srpm",
                      help="build a source RPM (SRPM task)")
    kind.add_argument("--rpm", dest="kind", action="store_const", const="rpm",
                      help="build binary RPMs from dist-git (RPM task, the default)")
    source = cli.add_mutually_exclusive_group()
    source.add_argument("--task-url", help="URL of the task's JSON definition")
    source.add_argument("--task-file", help="a local file with the task's JSON definition")
    source.add_argument("--build-id", help="fetch the task of this build from the frontend")
    cli.add_argument("-r", "--chroot", help="the chroot to build for (overrides the task's)")
    cli.add_argument("-d", "--detached", action="store_true",
                     help="run in the background; follow it with copr-rpmbuild-log")
    cli.add_argument("--drop-resultdir", action="store_true",
                     help="accepted for compatibility: the result directory is always emptied")
    cli.add_argument("-v", "--verbose", action="store_true", help="accepted for compatibility")
    cli.add_argument("-c", "--config", default=DEFAULT_CONFIG,
                     help=f"configuration (default {DEFAULT_CONFIG})")
    cli.set_defaults(kind="rpm")
    return cli


def main(argv: list[str] | None = None) -> int:
    """copr-rpmbuild's command line."""
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    if not (args.task_url or args.task_file or args.build_id):
        parser().error("one of --task-url, --task-file or --build-id is required")
    if args.chroot and "/" in args.chroot:
        parser().error("-r/--chroot takes a chroot name (e.g. fedora-44-x86_64), not a path")
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
