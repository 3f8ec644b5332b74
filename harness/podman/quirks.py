"""Host quirks of Podman on this kind of machine, detected from plain inputs.

Detection is pure (inputs in, settings out) so it can be unit-tested; `probe_host()` gathers the
inputs from the running machine.
"""

from __future__ import annotations

import functools
import resource
import shutil
from dataclasses import dataclass, field
from pathlib import Path

# The infra image of pods when Podman cannot build its own pause image; the kube path tags the
# base image with it (its `svc init` with no services just waits, as a pause process does).
PAUSE_IMAGE = "localhost/copr-harness/pause:latest"

# Where Podman looks for catatonit (helper_binaries_dir defaults), besides $PATH.
CATATONIT_DIRS = ("/usr/local/libexec/podman", "/usr/local/lib/podman", "/usr/libexec/podman",
                  "/usr/lib/podman")

EXIT_COMMAND_DELAY = 15  # seconds; see HostConfig.containers_conf
# What Podman asks for when nothing is configured (it raises both limits to this).
PODMAN_DEFAULT_RLIMIT = 1048576


@dataclass(frozen=True)
class HostFacts:
    """What the detection needs to know about the host."""

    mounts: str  # contents of /proc/mounts
    runtimes: dict[str, str]  # runtime name -> path, for those installed
    nofile_hard: int
    nproc_hard: int
    pid_max: int
    has_systemd: bool
    has_catatonit: bool = True
    os_release: str = ""  # contents of /etc/os-release (which package manager the fixes name)


@dataclass
class HostConfig:
    """Settings the harness gives its own Podman service, with the reason for each."""

    cgroup_mode: str
    runtime: str | None
    ulimits: dict[str, int] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    infra_image: str | None = None

    def containers_conf(self) -> str:
        """The containers.conf text for the harness's own service."""
        lines = ["# Written by copr-harness for its own Podman service; not the user's config.", ""]
        lines.append("[containers]")
        if self.ulimits:
            values = ", ".join(f'"{name}={n}:{n}"' for name, n in sorted(self.ulimits.items()))
            lines.append(f"default_ulimits = [{values}]")
        lines += ["", "[engine]"]
        if self.runtime:
            lines.append(f'runtime = "{self.runtime}"')
        if self.infra_image:
            lines.append(f'infra_image = "{self.infra_image}"')
        lines.append('events_logger = "file"')
        # An API exec session (and its two conmon processes) outlives its command this long, for
        # a client to read the exit code; the harness reads it at once (Podman's default: 300).
        lines.append(f"exit_command_delay = {EXIT_COMMAND_DELAY}")
        return "\n".join(lines) + "\n"


def cgroup_mode(mounts: str) -> str:
    """'v2', 'v1' or 'hybrid' (v1 controllers plus a cgroup2 mount), from /proc/mounts."""
    kinds = {line.split()[2] for line in mounts.splitlines() if len(line.split()) > 2}
    has_v1, has_v2 = "cgroup" in kinds, "cgroup2" in kinds
    if has_v1 and has_v2:
        return "hybrid"
    return "v1" if has_v1 else "v2"


def host_release() -> str:
    """This host's /etc/os-release ('' if it has none)."""
    path = Path("/etc/os-release")
    return path.read_text() if path.exists() else ""


def install_command(os_release: str, packages: str, fedora_packages: str | None = None) -> str:
    """How to install `packages` here: dnf on Fedora and CentOS Stream (and RHEL-likes; their
    names `fedora_packages` if they differ), apt otherwise (Debian, Ubuntu)."""
    ids = set()
    for line in os_release.splitlines():
        key, _, value = line.partition("=")
        if key in ("ID", "ID_LIKE"):
            ids |= set(value.strip().strip('"').split())
    if ids & {"fedora", "centos", "rhel"}:
        return f"dnf install -y {fedora_packages or packages}"
    return f"apt-get install -y {packages}"


def detect(facts: HostFacts) -> HostConfig:
    """Decide the runtime and ulimits the harness's Podman service must use on this host."""
    mode = cgroup_mode(facts.mounts)
    config = HostConfig(cgroup_mode=mode, runtime=None)
    install = functools.partial(install_command, facts.os_release)

    if mode == "hybrid" and "crun" in facts.runtimes:
        if "runc" in facts.runtimes:
            config.runtime = "runc"
            config.reasons.append(
                "cgroups are in hybrid mode (v1 controllers plus a cgroup2 mount), which crun "
                "refuses ('cgroups in hybrid mode not supported'): using runc"
            )
        else:
            config.problems.append(
                "cgroups are in hybrid mode, which crun refuses, and runc is not installed: "
                f"run '{install('runc')}'"
            )
    elif mode == "v2" and "crun" in facts.runtimes:
        # Fedora's and CentOS Stream's own pairing (cgroup v2, crun): Podman's default there.
        config.runtime = "crun"
    elif "runc" in facts.runtimes:
        config.runtime = "runc"
        if mode == "hybrid":
            config.reasons.append("cgroups are in hybrid mode, which crun refuses: using runc")
    elif "crun" in facts.runtimes:
        config.runtime = "crun"
    else:
        config.problems.append(f"no OCI runtime found: run '{install('crun' if mode == 'v2' else 'runc')}'")

    # Podman asks for 1048576 of both; a host whose hard limits are lower refuses with
    # "setrlimit ...: Operation not permitted". conmon's children get at most pid_max processes.
    nofile = min(facts.nofile_hard, PODMAN_DEFAULT_RLIMIT)
    nproc = min(facts.nproc_hard, facts.pid_max, PODMAN_DEFAULT_RLIMIT)
    if nofile < PODMAN_DEFAULT_RLIMIT or nproc < PODMAN_DEFAULT_RLIMIT:
        config.ulimits = {"nofile": nofile, "nproc": nproc}
        config.reasons.append(
            f"the host's hard limits are below Podman's default {PODMAN_DEFAULT_RLIMIT} "
            f"(nofile {facts.nofile_hard}, nproc {facts.nproc_hard}, pid_max {facts.pid_max}): "
            f"containers get nofile={nofile}, nproc={nproc}"
        )
    if not facts.has_catatonit:
        config.infra_image = PAUSE_IMAGE
        config.reasons.append(
            "catatonit is not installed, so Podman cannot build its pause image for pods "
            f"(kube play): pods use {PAUSE_IMAGE}, a tag of the harness's base image"
        )
    if facts.has_systemd:
        config.reasons.append(
            "systemd: Podman's socket-activated API (podman.socket, 'systemctl enable --now "
            "podman.socket') is used when it answers; otherwise the harness starts its own service"
        )
    else:
        config.reasons.append(
            "no systemd (no podman.socket unit): the harness starts 'podman system service' "
            "itself when no API socket answers"
        )
    return config


def _hard_limit(kind: int) -> int:
    hard = resource.getrlimit(kind)[1]
    return PODMAN_DEFAULT_RLIMIT if hard == resource.RLIM_INFINITY else hard


def probe_host() -> HostFacts:
    """Read the facts `detect` needs from this machine."""
    runtimes = {name: path for name in ("crun", "runc") if (path := shutil.which(name))}
    pid_max_file = Path("/proc/sys/kernel/pid_max")
    return HostFacts(
        mounts=Path("/proc/mounts").read_text(),
        runtimes=runtimes,
        nofile_hard=_hard_limit(resource.RLIMIT_NOFILE),
        nproc_hard=_hard_limit(resource.RLIMIT_NPROC),
        pid_max=int(pid_max_file.read_text()) if pid_max_file.exists() else PODMAN_DEFAULT_RLIMIT,
        has_systemd=Path("/run/systemd/system").is_dir(),
        os_release=host_release(),
        has_catatonit=any(Path(folder, "catatonit").exists() for folder in CATATONIT_DIRS)
        or shutil.which("catatonit") is not None,
    )
