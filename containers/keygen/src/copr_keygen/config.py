"""Settings of the keygen service, read from the environment with upstream's defaults."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_STATE_DIR = "/var/lib/copr-keygen"


@dataclass(frozen=True)
class Settings:
    """Where keys live and how new ones are made."""

    state_dir: Path = Path(DEFAULT_STATE_DIR)
    key_length: int = 2048
    expire: str = "5y"
    gpg: str = "gpg"
    rpmsign: str = "rpmsign"
    # The backend's host names (the only clients allowed in besides loopback: see access.py).
    backend_hosts: tuple[str, ...] = ()

    @property
    def gnupg_home(self) -> Path:
        return self.state_dir / "gnupg"

    @property
    def phrases_dir(self) -> Path:
        """One file per usable key, named by its e-mail (obs-signd's convention)."""
        return self.state_dir / "phrases"

    @property
    def lock_file(self) -> Path:
        return self.state_dir / "gen_key.lock"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Settings":
        """Settings from COPR_KEYGEN_* variables; unset ones keep the defaults."""
        return cls(
            state_dir=Path(environ.get("COPR_KEYGEN_STATE_DIR", DEFAULT_STATE_DIR)),
            key_length=int(environ.get("COPR_KEYGEN_KEY_LENGTH", "2048")),
            expire=environ.get("COPR_KEYGEN_EXPIRE", "5y"),
            # rpm's own default (%__gpg) names gpg2, which Debian does not ship: use a real path.
            gpg=environ.get("COPR_KEYGEN_GPG") or shutil.which("gpg") or "gpg",
            rpmsign=environ.get("COPR_KEYGEN_RPMSIGN") or shutil.which("rpmsign") or "rpmsign",
            backend_hosts=tuple(environ.get("BACKEND_HOSTS", "").replace(",", " ").split()),
        )
