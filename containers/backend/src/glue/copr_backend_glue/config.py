"""/etc/copr/copr-be.conf and the SSH setup for the builders, from the run's settings (the
environment `svc` exports from stack.env). Every service writes them before it starts; the
writes are atomic, so services starting together agree."""

from __future__ import annotations

import os
import pwd
import sys
from pathlib import Path
from urllib.parse import urlsplit

from copr_backend_glue import msgbus

CONFIG = Path("/etc/copr/copr-be.conf")
HOME = Path("/var/lib/copr")
DESTDIR = "/var/lib/copr/public_html/results"
LOG_DIR = "/var/log/copr-backend"
# Directories the backend's processes write, all owned by the user they run as (copr).
# The SSH master connections to the builders, shared by every worker (ssh_config).
SSH_CONTROL_DIR = "/run/copr-backend/ssh"
DIRECTORIES = ["/var/lib/copr/public_html", DESTDIR, LOG_DIR, "/var/lock/copr-backend",
               "/run/copr-backend", SSH_CONTROL_DIR, "/var/lib/copr/.ssh"]
# How long an idle master connection stays open, and how soon a silent builder (killed, its
# address gone) drops it: 3 keep-alives 2 s apart.
SSH_PERSIST_SECONDS = 300
SSH_ALIVE_INTERVAL = 2
SSH_ALIVE_COUNT = 3
WORKERS_PER_BUILDER = 2
ACTION_WORKERS = 4


class MissingSetting(Exception):
    """A setting the backend cannot run without is not in the environment."""


def _need(env: dict[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise MissingSetting(f"{name} is not set (stack.env)")
    return value


def backend_conf(env: dict[str, str], builder_config: Path) -> str:
    """The text of copr-be.conf for this run."""
    # The real backend adds no scheme or port of its own to keygen_host: it must be host:port.
    keygen = urlsplit(_need(env, "KEYGEN_URL")).netloc
    lines = [
        "[backend]",
        f"frontend_base_url={_need(env, 'FRONTEND_URL')}",
        f"frontend_auth={_need(env, 'BACKEND_PASSWORD')}",
        # dist-git downloads srpm_url from here; copr-repo --devel writes it as the baseurl.
        f"results_baseurl={_need(env, 'RESULTS_INTERNAL_URL')}",
        f"destdir={DESTDIR}",
        # The log drain writes into dirname(log_dir): the trailing slash matters.
        f"log_dir={LOG_DIR}/",
        "log_level=info",
        "redis_host=127.0.0.1",
        "redis_port=6379",
        "do_sign=true",
        f"keygen_host={keygen}",
        # The builders' sshd lets only root in.
        "build_user=root",
        "sleeptime=1",
        # Two build workers per builder. A worker holds its builder only from the ticket to
        # the results' download; before it (start-up) and after it (signing, copr-repo, the
        # frontend update) the builder would idle with one worker each. More would only wait
        # for a ticket, and each is a ~45 MB daemon inside the container's memory limit (at
        # 256 MB, 8 workers got the dispatchers killed).
        f"builds_max_workers={WORKERS_PER_BUILDER * max(1, len(env.get('BUILDERS', '').split()))}",
        # Actions (a daemon each, ~45 MB) wait on keygen's key generation and createrepo_c;
        # 2.11 runs deletions last (the frontend's priority), so with two workers a project's
        # creations kept a deletion queued for over a minute under the sanity suite.
        f"actions_max_workers={ACTION_WORKERS}",
        f"resalloc_connection=http://127.0.0.1:{env.get('ALLOCATOR_PORT', '49100')}",
        "",
        "[builder]",
        "timeout=3600",
        "",
        "[ssh]",
        f"builder_config={builder_config}",
        "",
    ]
    return "\n".join(lines)


def ssh_config(key: Path, control_dir: str = SSH_CONTROL_DIR) -> str:
    """The `ssh -F` file of the backend: the run's key, and builders whose host keys are new
    in every container.

    2.11 runs a new ssh (or rsync over ssh) for every step of a build on its builder (version
    gate, copr-builder-ready, start, live log, results): each would pay a key exchange. One
    master connection per builder, kept open between builds and shared by every worker
    process (the sshcmd.py docstring of 2.11 suggests the same options), makes each of them a
    new channel instead."""
    return (f"Host *\n    IdentityFile {key}\n    IdentitiesOnly yes\n"
            "    StrictHostKeyChecking no\n    UserKnownHostsFile /dev/null\n"
            "    LogLevel ERROR\n    ConnectTimeout 10\n"
            f"    ControlMaster auto\n    ControlPath {control_dir}/%C\n"
            f"    ControlPersist {SSH_PERSIST_SECONDS}\n"
            f"    ServerAliveInterval {SSH_ALIVE_INTERVAL}\n"
            f"    ServerAliveCountMax {SSH_ALIVE_COUNT}\n")


def _write(path: Path, text: str, mode: int, owner: tuple[int, int] | None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(text)
    temporary.chmod(mode)
    if owner:
        os.chown(temporary, *owner)
    temporary.replace(path)


def write_all(env: dict[str, str], user: str = "copr", root: Path = Path("/")) -> None:
    """Write the config, the builder key and the SSH config; make the directories."""
    account = pwd.getpwnam(user)
    owner = (account.pw_uid, account.pw_gid) if os.geteuid() == 0 else None
    for directory in DIRECTORIES:
        path = root / directory.lstrip("/")
        path.mkdir(parents=True, exist_ok=True)
        if owner:
            os.chown(path, *owner)
    ssh_dir = root / "var/lib/copr/.ssh"
    ssh_dir.chmod(0o700)
    # Whoever reaches a master's socket runs commands as root on that builder.
    (root / SSH_CONTROL_DIR.lstrip("/")).chmod(0o700)
    key = ssh_dir / "id_builder"
    # The key is the run's secret: readable by the backend's user only.
    _write(key, _need(env, "BUILDER_SSH_KEY").strip() + "\n", 0o600, owner)
    builder_config = ssh_dir / "builder_config"
    _write(builder_config, ssh_config(Path("/") / key.relative_to(root)), 0o600, owner)
    conf = backend_conf(env, Path("/") / builder_config.relative_to(root))
    _write(root / CONFIG.relative_to("/"), conf, 0o640, (0, owner[1]) if owner else None)
    write_msgbus(env, root, (0, owner[1]) if owner else None)


def write_msgbus(env: dict[str, str], root: Path, owner: tuple[int, int] | None) -> None:
    """The message bus files (the broker's password: readable by root and copr's group), or
    none: a stack without a broker leaves no bus behind from an earlier configuration."""
    bus_dir = root / msgbus.BUS_DIR.relative_to("/")
    files = msgbus.wanted(env)
    if files is None:
        for name in (msgbus.BUS_CONF, msgbus.TOML):
            (bus_dir / name).unlink(missing_ok=True)
        return
    # The TOML first: a bus .conf must never name a file that is not there yet.
    for name in (msgbus.TOML, msgbus.BUS_CONF):
        _write(bus_dir / name, files[name], 0o640, owner)


def main() -> int:
    try:
        write_all(dict(os.environ))
    except (MissingSetting, KeyError, ValueError) as error:
        print(f"copr-backend-glue: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
