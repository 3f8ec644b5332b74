"""Readiness: one poll of a container's probe, and waiting until it passes."""

from __future__ import annotations

import threading

import requests

from harness import wait
from harness.errors import InfraError
from harness.model.components import Component
from harness.podman.engine import Engine

PROBE_GET_TIMEOUT = 5  # seconds one HTTP probe may take (the component's timeout bounds the wait)
LOG_LINES = 30  # a container's last log lines shown when it is not ready


def check_ready(engine: Engine, spec: Component, name: str, http_port: int | None = None) -> None:
    """One readiness poll of one container; NotYet while starting, InfraError when it died.
    `http_port` is the host port of an HTTP probe when the container itself publishes none
    (a played pod publishes through its infra container)."""
    state = engine.state(name)
    if state != "running":
        raise InfraError(f"{spec.name}: container {name} is {state}\n{last_log(engine, name)}")
    probe = spec.probe
    assert probe is not None
    if probe.exec:
        result = engine.exec(name, probe.exec)
        if result.ok:
            return
        reason = f"'{' '.join(probe.exec)}' exited {result.exit_code}"
    else:
        assert probe.http is not None
        port = http_port or engine.published_port(name, probe.http.port)
        url = f"http://127.0.0.1:{port}{probe.http.path}"
        try:
            response = requests.get(url, timeout=PROBE_GET_TIMEOUT)
        except requests.RequestException as error:
            reason = f"GET {url}: {type(error).__name__}"
        else:
            if response.ok:
                return
            reason = f"GET {url} answered {response.status_code}"
    # Not ready: fail at once if a service already died instead of waiting out the timeout.
    services = engine.exec(name, ["svc", "status"])
    if not services.ok:
        raise ServiceStopped(f"{spec.name}: a service stopped ({services.output.strip()})\n"
                         + last_log(engine, name))
    raise wait.NotYet(reason)


class ServiceStopped(InfraError):
    """A service of a container that is not ready yet has already died."""


def wait_ready(engine: Engine, spec: Component, name: str,
               abort: threading.Event | None = None, http_port: int | None = None) -> None:
    """Poll a container's probe until it is ready, within the component's timeout; `abort`
    ends the wait early (a sibling component of the same bring-up failed)."""
    assert spec.probe is not None

    def poll() -> None:
        if abort is not None and abort.is_set():
            raise InfraError(f"{spec.name}: bring-up aborted")
        check_ready(engine, spec, name, http_port)

    wait.until(poll, what=f"{name} to be ready", timeout=spec.probe.timeout,
               context=lambda: last_log(engine, name))


def last_log(engine: Engine, container: str) -> str:
    """A container's last log lines, for error messages."""
    text = engine.logs(container, tail=LOG_LINES).rstrip()
    return f"last log lines of {container}:\n{text}" if text else f"{container} logged nothing"
