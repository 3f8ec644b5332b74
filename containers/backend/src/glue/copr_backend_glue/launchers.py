"""The entry points copr-backend 2.11's sdist lacks (its setup.py declares none): the scripts
in /usr/bin call these. Workers are spawned by name from PATH by the dispatchers."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def process_build() -> None:
    """copr-backend-process-build: one build task (a daemon started by the build dispatcher)."""
    from copr_backend.background_worker_build import BuildBackgroundWorker
    BuildBackgroundWorker().process()


def process_action() -> None:
    """copr-backend-process-action: one action (a daemon started by the action dispatcher)."""
    from .action_worker import ActionBackgroundWorker
    ActionBackgroundWorker().process()


def dispatcher(argv: list[str] | None = None) -> int:
    """copr-run-dispatcher-backend builds|actions: a dispatcher's main loop."""
    argv = sys.argv[1:] if argv is None else argv
    if argv not in (["builds"], ["actions"]):
        print("usage: copr-run-dispatcher-backend builds|actions", file=sys.stderr)
        return 2
    from copr_backend.helpers import get_backend_opts
    # The workers this dispatcher spawns must import, or it is not ready to take a task: fail at
    # start (an ImportError in the service's output, /health 503) rather than in every worker
    # (copr-common 1.8 dropped the lock() that 2.11's actions import).
    if argv == ["builds"]:
        import copr_backend.background_worker_build  # noqa: F401
        from copr_backend.daemons.build_dispatcher import BuildDispatcher as Dispatcher
    else:
        from . import action_worker  # noqa: F401
        from copr_backend.daemons.action_dispatcher import ActionDispatcher as Dispatcher
    dispatcher = Dispatcher(backend_opts=get_backend_opts())
    say_ready(argv[0])
    dispatcher.run()
    return 0


def say_ready(which: str, ready_dir: Path = Path("/run/copr-backend")) -> None:
    """Tell /health this dispatcher can take tasks (copr_backend_glue.results.dispatcher_ready)."""
    ready_dir.mkdir(parents=True, exist_ok=True)
    marker = ready_dir / f"{which}.ready"
    temporary = marker.with_name(f".{marker.name}.{os.getpid()}")
    temporary.write_text(f"{os.getpid()}\n")
    temporary.replace(marker)


def log_drain() -> None:
    """copr_run_logger: moves the log records every backend process pushes to redis into
    /var/log/copr-backend/<who>.log."""
    from copr_backend.daemons.log import RedisLogHandler
    from copr_backend.helpers import get_backend_opts
    RedisLogHandler(get_backend_opts()).run()
