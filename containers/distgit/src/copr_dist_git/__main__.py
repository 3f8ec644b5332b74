"""`copr-dist-git serve | import-srpm | work`: the service and its admin commands."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from . import COPR_COMMON_VERSION, VERSION
from .config import Config
from .importer import import_srpm
from .server import DistGitServer
from .worker import Worker, task_logger

log = logging.getLogger("copr_dist_git")


def _setup_logging(verbose: bool, service: bool) -> None:
    # The service logs to stdout (the container's log); admin commands keep stdout for results.
    logging.basicConfig(stream=sys.stdout if service else sys.stderr,
                        level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s copr-dist-git %(levelname)s %(message)s")


def _copr_common_version() -> str:
    try:
        import copr_common
    except ImportError:
        return ""
    return str(getattr(copr_common, "__version__", ""))


def serve(config: Config) -> int:
    """Run the import worker and the HTTP server until SIGTERM."""
    for folder in (config.git_root, config.lookaside_root, config.log_dir):
        folder.mkdir(parents=True, exist_ok=True)
    worker = Worker(config)
    poller = threading.Thread(target=worker.run, name="poller", daemon=True)
    poller.start()
    common = _copr_common_version()

    def health() -> tuple[bool, dict[str, Any]]:
        alive = poller.is_alive()
        return alive, {
            "status": "ok" if alive else "the import worker stopped",
            "version": VERSION, "copr_common": common, "requires_copr_common": COPR_COMMON_VERSION,
            "worker": worker.state, "frontend": worker.frontend_state,
            "imports": worker.imports_done,
        }

    server = DistGitServer(config, health)

    def stop(signum: int, _frame: Any) -> None:
        log.info("stopping (signal %d)", signum)
        worker.stopping.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("copr-dist-git %s serving git, lookaside and logs on port %d", VERSION, config.port)
    server.serve_forever()
    server.server_close()
    worker.stop()
    return 0


def import_command(config: Config, args: argparse.Namespace) -> int:
    """Import an SRPM file by hand (no frontend involved); print the result as JSON."""
    task_log = handler = None
    if args.build_id is not None:
        task_log, handler = task_logger(config, args.build_id)
    try:
        result = import_srpm(config, Path(args.srpm), args.owner, args.project, args.branch,
                             pkg_name=args.pkg, build_id=args.build_id, log=task_log)
    finally:
        if handler:
            handler.close()
    out = dataclasses.asdict(result)
    out["sources"] = [{"filename": s.filename, "md5": s.digest} for s in result.sources]
    print(json.dumps(out, indent=2, sort_keys=True))
    return 0


def work_command(config: Config, args: argparse.Namespace) -> int:
    """Poll the frontend once and wait for the imports that started."""
    if args.frontend_url:
        config = dataclasses.replace(config, frontend_url=args.frontend_url.rstrip("/"))
    if not config.frontend_url:
        print("copr-dist-git: no frontend: set FRONTEND_URL or give --frontend-url", file=sys.stderr)
        return 2
    worker = Worker(config)
    try:
        worker.run_once()
    finally:
        worker.stop()
    if worker.frontend_state != "ok":
        print(f"copr-dist-git: {worker.frontend_state}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="copr-dist-git", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the import worker and the HTTP server")
    one = commands.add_parser("import-srpm", help="import an SRPM file into dist-git")
    one.add_argument("srpm")
    one.add_argument("--owner", required=True)
    one.add_argument("--project", required=True, help="the project's dirname")
    one.add_argument("--branch", action="append", required=True, help="repeat for more branches")
    one.add_argument("--pkg", help="package name (default: the SRPM's name)")
    one.add_argument("--build-id", type=int, help="also write the per-task log of this build id")
    work = commands.add_parser("work", help="poll the frontend once and import what it lists")
    work.add_argument("--once", action="store_true", required=True)
    work.add_argument("--frontend-url", help="default: $FRONTEND_URL")
    args = parser.parse_args(argv)
    _setup_logging(args.verbose, service=args.command == "serve")
    config = Config.from_env()
    if args.command == "serve":
        return serve(config)
    if args.command == "import-srpm":
        return import_command(config, args)
    return work_command(config, args)


if __name__ == "__main__":
    sys.exit(main())
