"""An end user's machine inside the stack: a container of the stack's base image (dnf 4 and its
copr plugin, from Debian) on the run's network, whose copr hub is the frontend's internal URL.

It carries the run's labels, so `copr-harness down` removes it with the rest of the run.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass

HUB = "stack"
HUB_CONF = "[stack]\nhostname = frontend\nprotocol = http\nport = 5000\n"


@dataclass
class Client:
    engine: object
    name: str

    def run(self, *command: str) -> tuple[int, str]:
        result = self.engine.exec(self.name, list(command))
        return result.exit_code, result.output

    def dnf(self, *args: str) -> tuple[int, str]:
        # $releasever: Debian has no system-release package for dnf to read it from. Debian's
        # dnf-plugins-core enables the `local` plugin, whose own repository (gpgcheck, no key)
        # would stand between dnf and the project's repository.
        return self.run("dnf", "-y", "--releasever", "44", "--disableplugin=local", *args)


@contextlib.contextmanager
def dnf_client(run_id: str, suffix: str) -> Iterator[Client]:
    from harness.artifacts.images import base_tag
    from harness.naming import LABEL_COMPONENT, LABEL_RUN, network_name
    from harness.podman.engine import ContainerSpec, Engine

    with Engine.connect() as engine:
        run_labels = next(iter(engine.container_labels(f"{LABEL_RUN}={run_id}")), None)
        assert run_labels, f"run {run_id} has no containers"
        labels = {**run_labels, LABEL_COMPONENT: "client"}
        name = f"{run_id}-client-{suffix}-{os.getpid()}"
        engine.create_container(ContainerSpec(
            name=name, image=base_tag(), labels=labels, network=network_name(run_id),
            aliases=[], command=["sleep", "infinity"]))
        try:
            engine.start(name)
            engine.put_files(name, "/etc/dnf/plugins/copr.d", {f"{HUB}.conf": HUB_CONF.encode()})
            yield Client(engine, name)
        finally:
            engine.remove_container(name)
