"""`copr-backend build|action|results|constants`: the backend's services and a version query."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from dataclasses import asdict

from . import logs
from .actions import ActionHandler, ActionWorker
from .builders import SSH, BuilderPool
from .config import BuildConstants, Settings
from .dispatcher import BuildDispatcher
from .frontend import FrontendClient
from .layout import Layout
from .repo import Createrepo
from .signing import Signer
from .worker import BuildWorker, Context

log = logging.getLogger("copr-backend")


def _stop_event() -> threading.Event:
    """Set by SIGTERM/SIGINT (svc stop), so the loops end cleanly."""
    stop = threading.Event()

    def handler(signum: int, _frame: object) -> None:
        log.info("%s received: stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return stop


def _frontend(settings: Settings) -> FrontendClient:
    return FrontendClient(settings.frontend_url, settings.backend_password,
                          settings.constants.min_fe_be_api,
                          user_agent=f"copr-backend/{settings.constants.version}")


def _signer(settings: Settings) -> Signer:
    return Signer(settings.keygen_url, settings.sign_domain, settings.sign_command)


def _layout(settings: Settings) -> Layout:
    return Layout(settings.destdir, settings.results_public_url, settings.results_internal_url)


def _announce(settings: Settings, what: str) -> None:
    c = settings.constants
    log.info("copr-backend %s %s: MIN_FE_BE_API=%d MIN_BUILDER_VERSION=%s, frontend %s",
             c.version, what, c.min_fe_be_api, c.min_builder_version, settings.frontend_url)


def _scrub_environment() -> None:
    # Children (ssh, sign, createrepo_c) need none of the secrets.
    for name in ("BUILDER_SSH_KEY", "BACKEND_PASSWORD", "DATABASE_URL"):
        os.environ.pop(name, None)


def run_build(settings: Settings) -> int:
    """The build dispatcher and its worker threads."""
    stop = _stop_event()
    _announce(settings, "build dispatcher")
    if settings.ssh_key.strip():
        key_path = settings.write_ssh_key()
    else:
        log.warning("BUILDER_SSH_KEY is empty: builders cannot be reached")
        key_path = settings.state_dir / "no-key"
    _scrub_environment()
    context = Context(
        frontend=_frontend(settings), pool=BuilderPool(settings.builders), remote=SSH(key_path),
        signer=_signer(settings), createrepo=Createrepo(settings.lock_dir, timeout=settings.createrepo_timeout), layout=_layout(settings),
        min_builder_version=settings.constants.min_builder_version,
    )
    dispatcher = BuildDispatcher(context.frontend, context.pool, lambda task: BuildWorker(task, context))
    dispatcher.run(settings.poll_interval, stop)
    return 0


def run_action(settings: Settings) -> int:
    """The action worker."""
    stop = _stop_event()
    _announce(settings, "action worker")
    _scrub_environment()
    handler = ActionHandler(_layout(settings), _signer(settings), Createrepo(settings.lock_dir, timeout=settings.createrepo_timeout))
    ActionWorker(_frontend(settings), handler).run(settings.poll_interval, stop)
    return 0


def run_results(settings: Settings) -> int:
    """The results web server."""
    stop = _stop_event()
    _scrub_environment()
    from .results_server import make_server

    health = {"status": "ok", **{k: v for k, v in asdict(settings.constants).items()}}
    server = make_server(settings.destdir, settings.results_port, health)
    log.info("copr-backend %s results server on port %d serving %s", settings.constants.version,
             settings.results_port, settings.destdir)
    thread = threading.Thread(target=server.serve_forever, name="results", daemon=True)
    thread.start()
    stop.wait()
    server.shutdown()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="copr-backend", description=__doc__)
    parser.add_argument("service", choices=["build", "action", "results", "constants"])
    args = parser.parse_args(argv)
    if args.service == "constants":
        print(json.dumps(asdict(BuildConstants.installed()), sort_keys=True))
        return 0
    logs.setup()
    settings = Settings.from_env()
    return {"build": run_build, "action": run_action, "results": run_results}[args.service](settings)


if __name__ == "__main__":
    sys.exit(main())
