"""The system packages the harness needs, installed with the host's own package manager:
apt on Debian and Ubuntu, dnf on Fedora, CentOS Stream and RHEL-likes; on anything else it
installs nothing and prints what to install. Only missing packages are installed; optional ones
(chromium, and mmdebstrap where the repositories lack it) are skipped with a note if unavailable.

Usage: python3 scripts/system_deps.py [--dry-run] [--os-release FILE]
Exit codes: 0 done (or nothing missing), 3 cannot install (not root, unknown system, failed).
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# Each family: (required, optional) packages. chromium: the report tests look at pages in it;
# the PostgreSQL server: the frontend's unit tests run its app on a throw-away one.
# createrepo-c: the backend glue's copr-repo unit tests run the real createrepo_c.
PACKAGES = {
    "debian": (["podman", "runc", "netavark", "aardvark-dns", "iptables", "uidmap", "mmdebstrap",
                "rpm", "createrepo-c", "wget", "openssh-client", "python3-venv", "postgresql"],
               ["chromium"]),
    "fedora": (["podman", "crun", "netavark", "aardvark-dns", "iptables-nft", "shadow-utils",
                "rpm-build", "createrepo_c", "wget", "openssh-clients", "python3",
                "postgresql-server"],
               ["mmdebstrap", "chromium"]),
}
DEBIAN_IDS, FEDORA_IDS = {"debian", "ubuntu"}, {"fedora", "centos", "rhel", "almalinux", "rocky"}

Run = Callable[[list[str]], int]  # runs a command, returns its exit code (tests fake it)


def os_release(text: str) -> dict[str, str]:
    """os-release's KEY=value lines (values unquoted)."""
    found = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and not key.startswith("#"):
            found[key] = shlex.split(value)[0] if value.strip() else ""
    return found


def family(release: dict[str, str]) -> str | None:
    """'debian', 'fedora' or None, from ID and ID_LIKE."""
    ids = {release.get("ID", "")} | set(release.get("ID_LIKE", "").split())
    if ids & DEBIAN_IDS:
        return "debian"
    if ids & FEDORA_IDS:
        return "fedora"
    return None


@dataclass
class Manager:
    """A package manager's commands: is a package installed, is it available, install."""

    installed: Callable[[str], list[str]]
    available: Callable[[str], list[str]]
    refresh: list[str]
    install: list[str]


MANAGERS = {
    "debian": Manager(installed=lambda p: ["dpkg-query", "-W", "-f=${Status}", p],
                      available=lambda p: ["apt-cache", "show", p],
                      refresh=["apt-get", "update", "-q"],
                      install=["apt-get", "install", "-y", "-q", "--no-install-recommends"]),
    "fedora": Manager(installed=lambda p: ["rpm", "-q", "--whatprovides", p],
                      available=lambda p: ["dnf", "-q", "repoquery", "--available", p],
                      refresh=[], install=["dnf", "install", "-y"]),
}


def _quiet(command: list[str]) -> int:
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    # dpkg-query answers 0 for a removed package too: its status must say "install ok installed".
    if command[0] == "dpkg-query" and "install ok installed" not in done.stdout:
        return 1
    if command[0] == "dnf" and not done.stdout.strip():
        return 1  # repoquery answers 0 with no line for an unknown package
    return done.returncode


def _loud(command: list[str]) -> int:
    return subprocess.run(command, env=os.environ | {"DEBIAN_FRONTEND": "noninteractive"}).returncode


def plan(kind: str, check: Run) -> tuple[list[str], list[str]]:
    """(missing packages to install, optional ones unavailable here) for a family."""
    manager, (required, optional) = MANAGERS[kind], PACKAGES[kind]
    missing = [p for p in required if check(manager.installed(p)) != 0]
    skipped = []
    for package in optional:
        if check(manager.installed(package)) == 0:
            continue
        if check(manager.available(package)) == 0:
            missing.append(package)
        else:
            skipped.append(package)
    return missing, skipped


def main(argv: list[str] | None = None, check: Run = _quiet, run: Run = _loud,
         uid: int | None = None, say: Callable[[str], None] = print) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="say what would be installed")
    parser.add_argument("--os-release", type=Path, default=Path("/etc/os-release"))
    args = parser.parse_args(argv)
    release = os_release(args.os_release.read_text()) if args.os_release.exists() else {}
    kind = family(release)
    name = release.get("PRETTY_NAME") or release.get("ID") or "an unknown system"
    if kind is None:
        say(f"install-system-deps: {name} is neither Debian/Ubuntu (apt) nor Fedora/CentOS Stream "
            "(dnf): nothing installed. Install the equivalents of: "
            + " ".join(PACKAGES["debian"][0] + PACKAGES["debian"][1]))
        return 3
    if kind == "debian" and check(MANAGERS["debian"].available("chromium")) != 0 \
            and release.get("ID") == "debian":
        check(MANAGERS["debian"].refresh)  # a fresh container has no package lists yet
    missing, skipped = plan(kind, check)
    for package in skipped:
        say(f"install-system-deps: {package} is not available on {name}: skipped "
            "(chromium: the report tests fail without it; mmdebstrap: enable EPEL)")
    if not missing:
        return 0
    manager = MANAGERS[kind]
    commands = ([manager.refresh] if manager.refresh else []) + [manager.install + missing]
    if args.dry_run:
        for command in commands:
            say(shlex.join(command))
        return 0
    current_uid = os.getuid() if uid is None else uid
    if current_uid != 0:
        say(f"install-system-deps: these packages are missing and installing them needs root: "
            f"{' '.join(missing)}\n  run: sudo {' && sudo '.join(shlex.join(c) for c in commands)}")
        return 3
    say(f"install-system-deps: installing on {name} with {commands[-1][0]}: {' '.join(missing)}")
    for command in commands:
        if run(command) != 0:
            say(f"install-system-deps: '{shlex.join(command)}' failed")
            return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
