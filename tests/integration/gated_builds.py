"""Builds the test holds in their %build: the package marks the builder it runs on, then waits
(bounded) for a gate file the test creates. The test sees which builder runs the build and holds
it there while it does something to the stack (a fault, a killed worker)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from harness import wait
from harness.podman.engine import Engine
from harness.stack.registry import RunInfo

from ..support.srpms import FILES, make_srpm

BUILDERS = ("builder-1", "builder-2")
# Builds wait for the test at their gate: generous, the machine may be loaded.
BUILD_TIMEOUT = 300

# %build: mark the builder as busy with this package, then wait (bounded) for the gate.
GATED_BUILD = """\
%build
touch /tmp/fault-building-{name}
for i in $(seq 1200); do [ -e /tmp/fault-gate-{name} ] && break; sleep 0.5; done
[ -e /tmp/fault-gate-{name} ] || {{ echo "the test never opened the gate" >&2; exit 1; }}

"""


def container(info: RunInfo, short: str) -> str:
    return f"{info.run_id}-{short}"


def sh(engine: Engine, info: RunInfo, short: str, script: str) -> str:
    result = engine.exec(container(info, short), ["bash", "-c", script])
    assert result.ok, f"{short}: {script}: {result.output}"
    return result.output


def gated_srpm(folder: Path, payload_mb: int = 0) -> tuple[str, Path]:
    """A package whose %build waits for its gate; with a random (incompressible) payload of
    `payload_mb` MiB as Source0, to make its import take a while."""
    name = f"gated{secrets.token_hex(3)}"
    header = "BuildArch: noarch"
    if payload_mb:
        sources = folder / "top" / "SOURCES"
        sources.mkdir(parents=True)
        (sources / "payload.bin").write_bytes(os.urandom(payload_mb << 20))
        header += "\nSource0: payload.bin"
    body = GATED_BUILD.format(name=name) + FILES.format(name=name)
    return name, make_srpm(folder, name, body, header=header)


def building_on(engine: Engine, info: RunInfo, name: str, among: tuple[str, ...] = BUILDERS) -> str:
    """Wait until a builder runs the %build of package `name`; return that builder."""

    def check() -> str:
        for builder in among:
            if engine.exec(container(info, builder), ["test", "-e", f"/tmp/fault-building-{name}"]).ok:
                return builder
        raise wait.NotYet(f"no builder of {', '.join(among)} is in the %build of {name} yet")

    return wait.until(check, what=f"{name} to be building", timeout=BUILD_TIMEOUT)


def open_gate(engine: Engine, info: RunInfo, name: str, builders: tuple[str, ...] = BUILDERS) -> None:
    for builder in builders:
        sh(engine, info, builder, f"touch /tmp/fault-gate-{name}")
