"""`copr-harness doctor`: what the harness finds on this host and what it configures for it."""

from __future__ import annotations

import shutil
import subprocess

from harness.errors import EXIT_INFRA, EXIT_OK
from harness.podman.engine import Engine
from harness.podman.quirks import detect, host_release, install_command, probe_host

# Host tools the harness runs, with the package that has each (Fedora's rpm-build is Debian's rpm).
TOOLS = {"mmdebstrap": ("mmdebstrap", "mmdebstrap"), "rpmbuild": ("rpm", "rpm-build")}


def report(trial_image: str) -> int:
    """Print Podman's version, the host's quirks, what is configured for them and whether a
    trial container of `trial_image` runs (when it exists); return the exit code."""
    host = detect(probe_host())
    cli = shutil.which("podman")
    if cli is None:
        print("podman:        NOT INSTALLED")
        print("fix:           scripts/install-system-deps (a checkout), or "
              + install_command(host_release(), "podman runc mmdebstrap rpm",
                                "podman crun mmdebstrap rpm-build"))
        return EXIT_INFRA
    version = subprocess.run([cli, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"podman:        {version} ({cli})")
    print(f"cgroups:       {host.cgroup_mode}")
    print(f"runtime:       {host.runtime or 'none usable'}")
    print("rlimits:       " + (", ".join(f"{k}={v}" for k, v in sorted(host.ulimits.items()))
                              or "Podman's defaults"))
    for tool, package in TOOLS.items():
        fix = install_command(host_release(), *package)
        print(f"{tool + ':':14} {shutil.which(tool) or f'NOT INSTALLED ({fix})'}")
    for reason in host.reasons:
        print(f"configured:    {reason}")
    for problem in host.problems:
        print(f"PROBLEM:       {problem}")
    if host.problems:
        return EXIT_INFRA
    with Engine.connect() as engine:
        info = engine.version()
        print(f"API:           {engine.url}" + (" (started by the harness for this command)"
                                                 if engine.service else ""))
        print(f"API version:   {info.get('ApiVersion', '?')} (server {info.get('Version', '?')})")
        if engine.service is not None:
            print("service config:")
            print("    " + engine.service.host.containers_conf().rstrip().replace("\n", "\n    "))
        if engine.image_id(trial_image):
            result = engine.run_once(trial_image, ["true"])
            print(f"trial container: {'ok' if result.ok else 'FAILED: ' + result.output.strip()}")
            if not result.ok:
                return EXIT_INFRA
        else:
            print("trial container: skipped (no image yet: run 'copr-harness images')")
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    return EXIT_INFRA if missing else EXIT_OK
