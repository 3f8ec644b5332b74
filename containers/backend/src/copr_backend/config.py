"""The backend's settings: the run's environment (stack.env) and the constants it was built with."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .repo import CREATEREPO_TIMEOUT

DEFAULT_FRONTEND_URL = "http://frontend:5000"
DEFAULT_KEYGEN_URL = "http://keygen:5003"
DEFAULT_DESTDIR = Path("/var/lib/copr/public_html/results")
DEFAULT_STATE_DIR = Path("/var/lib/copr/state")
SIGN_COMMAND = "/usr/bin/sign"
SIGN_DOMAIN = "fedorahosted.org"


@dataclass(frozen=True)
class BuildConstants:
    """What the spec wrote into copr_backend/build_constants.py."""

    version: str
    min_fe_be_api: int
    min_builder_version: str
    copr_common_version: str

    @classmethod
    def installed(cls) -> "BuildConstants":
        from . import build_constants  # written at package build time; absent in the source tree

        return cls(
            version=build_constants.VERSION,
            min_fe_be_api=int(build_constants.MIN_FE_BE_API),
            min_builder_version=str(build_constants.MIN_BUILDER_VERSION),
            copr_common_version=str(build_constants.COPR_COMMON_VERSION),
        )


@dataclass(frozen=True)
class Settings:
    """Everything the services read from their environment."""

    constants: BuildConstants
    frontend_url: str = DEFAULT_FRONTEND_URL
    backend_password: str = field(default="", repr=False)
    destdir: Path = DEFAULT_DESTDIR
    results_public_url: str = ""
    results_internal_url: str = ""
    keygen_url: str = DEFAULT_KEYGEN_URL
    builders: tuple[str, ...] = ()
    ssh_key: str = field(default="", repr=False)
    state_dir: Path = DEFAULT_STATE_DIR
    sign_command: str = SIGN_COMMAND
    sign_domain: str = SIGN_DOMAIN
    poll_interval: float = 1.0
    results_port: int = 5002
    createrepo_timeout: float = CREATEREPO_TIMEOUT

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None,
                 constants: BuildConstants | None = None) -> "Settings":
        """Read the settings; an empty value (a component absent from the stack) means the default."""
        env = dict(os.environ if environ is None else environ)

        def get(name: str, default: str = "") -> str:
            return (env.get(name) or "").strip() or default

        return cls(
            constants=constants or BuildConstants.installed(),
            frontend_url=get("FRONTEND_URL", DEFAULT_FRONTEND_URL).rstrip("/"),
            backend_password=env.get("BACKEND_PASSWORD", ""),
            destdir=Path(get("COPR_BACKEND_DESTDIR", str(DEFAULT_DESTDIR))),
            results_public_url=get("RESULTS_PUBLIC_URL").rstrip("/"),
            results_internal_url=get("RESULTS_INTERNAL_URL").rstrip("/"),
            keygen_url=get("KEYGEN_URL", DEFAULT_KEYGEN_URL).rstrip("/"),
            builders=tuple(get("BUILDERS").replace(",", " ").split()),
            ssh_key=env.get("BUILDER_SSH_KEY", ""),
            state_dir=Path(get("COPR_BACKEND_STATE_DIR", str(DEFAULT_STATE_DIR))),
            sign_command=get("COPR_BACKEND_SIGN_COMMAND", SIGN_COMMAND),
            sign_domain=get("COPR_BACKEND_SIGN_DOMAIN", SIGN_DOMAIN),
            poll_interval=float(get("COPR_BACKEND_POLL_INTERVAL", "1.0")),
            results_port=int(get("COPR_BACKEND_RESULTS_PORT", "5002")),
            createrepo_timeout=float(get("COPR_BACKEND_CREATEREPO_TIMEOUT", str(CREATEREPO_TIMEOUT))),
        )

    @property
    def lock_dir(self) -> Path:
        return self.state_dir / "locks"

    def write_ssh_key(self) -> Path:
        """Write the builders' private key where only this user can read it; return its path."""
        path = self.state_dir / "builder_id_ed25519"
        path.parent.mkdir(parents=True, exist_ok=True)
        text = self.ssh_key.strip() + "\n"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.chmod(path, 0o600)
        return path
