"""Settings of the dist-git service, read from the environment (the harness's stack.env)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

# The largest request body the HTTP server reads (a fetch negotiation is small).
MAX_BODY = 64 * 1024 * 1024
# Seconds a client may stay silent (while sending its request, or between requests on a kept
# connection) before the server closes it: idle connections must not pile up.
IDLE_TIMEOUT = 30.0


def _password(env: Mapping[str, str]) -> str:
    """The backend password: from BACKEND_PASSWORD_FILE (how the service passes it, so that the
    process serving files has no secret in its environment), else BACKEND_PASSWORD."""
    path = env.get("BACKEND_PASSWORD_FILE")
    if not path:
        return env.get("BACKEND_PASSWORD", "")
    try:
        return Path(path).read_text().strip()
    except OSError as error:
        raise SystemExit(f"copr-dist-git: BACKEND_PASSWORD_FILE: {path}: cannot read it ({error.strerror})")


@dataclass(frozen=True)
class Config:
    """Where dist-git keeps things, which frontend it serves, how it is reached."""

    frontend_url: str = ""
    # Sent as HTTP Basic ("user", password) to the frontend's write routes; never logged.
    backend_password: str = field(default="", repr=False)
    git_root: Path = Path("/var/lib/dist-git/git")
    lookaside_root: Path = Path("/var/lib/dist-git/cache/lookaside/pkgs")
    log_dir: Path = Path("/var/lib/copr-dist-git/per-task-logs")
    git_user_name: str = "CoprDistGit"
    git_user_email: str = "copr-dist-git@copr-harness.invalid"
    # The end-to-end target (submit to succeeded within 10 s) leaves about a second for noticing
    # a new import.
    poll_interval: float = 1.0
    max_workers: int = 4
    port: int = 5001
    # Serve git's smart protocol through `git http-backend` as well as the dumb one; shallow
    # clones (`--depth`) need it.
    smart_http: bool = True
    # A failed import whose failure could not be reported is tried again after this long.
    retry_after: float = 10.0
    max_body: int = MAX_BODY
    idle_timeout: float = IDLE_TIMEOUT

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        """The settings from FRONTEND_URL, BACKEND_PASSWORD and the optional DIST_GIT_* overrides."""
        env = os.environ if environ is None else environ
        defaults = cls()
        return cls(
            frontend_url=env.get("FRONTEND_URL", "").rstrip("/"),
            backend_password=_password(env),
            git_root=Path(env.get("DIST_GIT_GIT_ROOT", defaults.git_root)),
            lookaside_root=Path(env.get("DIST_GIT_LOOKASIDE_ROOT", defaults.lookaside_root)),
            log_dir=Path(env.get("DIST_GIT_LOG_DIR", defaults.log_dir)),
            poll_interval=float(env.get("DIST_GIT_POLL_INTERVAL", defaults.poll_interval)),
            max_workers=int(env.get("DIST_GIT_MAX_WORKERS", defaults.max_workers)),
            port=int(env.get("DIST_GIT_PORT", defaults.port)),
        )
