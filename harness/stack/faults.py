"""Fault injection: kill, stop, start or restart a component's containers in a running stack.

A target is a component (`backend`, `builder`: every instance) or one instance (`builder-1`).
Faults act on whole containers: `kill` is SIGKILL of the container (every process in it dies at
once, as when a host crashes), `stop` is Podman's graceful stop (SIGTERM, `svc` stops the
services, SIGKILL after the grace period). `start` and `restart` wait for the readiness probe.
"""

from __future__ import annotations

from harness import progress, wait
from harness.errors import InputError
from harness.model.components import Component, all_components
from harness.podman.engine import Engine
from harness.stack.probes import wait_ready
from harness.stack.registry import RunInfo

ACTIONS = ("kill", "stop", "start", "restart")
# How long a container may take to be gone after SIGKILL or a graceful stop (Podman's own grace
# period is 10 s; a loaded host adds to it).
DOWN_TIMEOUT = 60.0


def targets(info: RunInfo, target: str) -> list[tuple[Component, str]]:
    """(component, container name) of each container `target` names in run `info`."""
    defined = all_components()
    found = []
    for component in info.components:
        spec = defined[component]
        for instance in info.run.instances(component):
            if target in (component, instance.short):
                found.append((spec, instance.name))
    if not found:
        choices = sorted(set(info.components) | {i.short for i in info.run.instances()})
        raise InputError(f"run {info.run_id} has no component or instance '{target}' "
                         f"(choose from: {', '.join(choices)})")
    return found


def wait_down(engine: Engine, name: str) -> None:
    """Wait until a container no longer runs (its processes are all gone)."""

    def check() -> None:
        state = engine.state(name)
        if state in ("running", "stopping"):
            raise wait.NotYet(f"{name} is {state}")

    wait.until(check, what=f"{name} to be down", timeout=DOWN_TIMEOUT)


def inject(engine: Engine, info: RunInfo, target: str, action: str) -> list[str]:
    """Apply `action` (kill|stop|start|restart) to `target`; return the containers acted on.

    `start` and `restart` return once every container is ready again by its component's probe;
    `kill` and `stop` once every container is down.
    """
    if action not in ACTIONS:
        raise InputError(f"fault action '{action}' is not one of: {', '.join(ACTIONS)}")
    found = targets(info, target)
    for spec, name in found:
        if action == "kill":
            if engine.state(name) == "running":
                engine.kill(name, "KILL")
            wait_down(engine, name)
        elif action in ("stop", "restart"):
            if engine.state(name) == "running":
                engine.stop(name)
            wait_down(engine, name)
        if action in ("start", "restart") and engine.state(name) != "running":
            engine.start(name)
        progress.say(f"fault: {action} {info.run.short(name)}")
    if action in ("start", "restart"):
        for spec, name in found:
            wait_ready(engine, spec, name)
    return [name for _, name in found]

