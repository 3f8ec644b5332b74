"""main.ini: where copr-rpmbuild keeps its files and how it builds."""

from __future__ import annotations

import configparser
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import TaskError

DEFAULT_CONFIG = "/etc/copr-rpmbuild/main.ini"


@dataclass
class Config:
    """The [main] section of main.ini, with defaults for every key."""

    frontend_url: str = "http://frontend:5000"
    resultdir: Path = Path("/var/lib/copr-rpmbuild/results")
    workspace: Path = Path("/var/lib/copr-rpmbuild/workspace")
    logfile: Path = Path("/var/lib/copr-rpmbuild/main.log")
    pidfile: Path = Path("/var/lib/copr-rpmbuild/pid")
    logger_pidfile: Path = Path("/var/lib/copr-rpmbuild/logger_pid")
    lockfile: Path = Path("/var/lib/copr-rpmbuild/lockfile")
    build_user: str = "mockbuild"
    rpm_vendor_copr_name: str = "Copr harness"
    lookaside_url: str = "{scheme}://{netloc}/repo/pkgs"
    clone_path_prefix: str = "/git/"
    rawhide_version: int = 45
    default_timeout: int = 18000
    timeout_grace: float = 10.0
    network_timeout: float = 60.0


def load_config(path: str | Path) -> Config:
    """Read main.ini (a missing file means all defaults)."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path)
    config = Config()
    if not parser.has_section("main"):
        return config
    section = parser["main"]
    for name, default in vars(Config()).items():
        if name not in section:
            continue
        raw = section[name].strip()
        try:
            value: Any = type(default)(raw)
        except ValueError:
            raise TaskError(f"{path}: {name} = {raw!r} is not a valid {type(default).__name__}") from None
        setattr(config, name, value)
    return config
