"""`copr-harness kube`: export a scenario's stack as Kubernetes manifests, and play them here.

Playing makes up for what Podman 4.3's `kube play` lacks (see harness.kube for the manifests'
side): the network, the PersistentVolumeClaims' volumes and the Secrets are created through the
Engine first, with the run's labels, so `down` and `gc` find them; Services are left out (Podman
ignores them); readiness is polled by the harness, as for `up`.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

from harness import progress, wait
from harness.errors import InfraError
from harness.artifacts import images, packages
from harness.kube import manifests as kube
from harness.model.components import all_components, start_order
from harness.model.scenario import Scenario
from harness.naming import LABEL_OWNER, check_run_id, labels
from harness.podman.engine import Engine
from harness.podman.quirks import PAUSE_IMAGE
from harness.stack.bringup import new_secrets
from harness.stack.probes import check_ready, last_log
from harness.stack.registry import Run, abandon, claim, settle

# Kinds left out of what Podman plays: a cluster needs them, Podman ignores them (Namespace,
# Service) or `play` creates their resources through the Engine first (PVC volumes, Secrets).
NOT_PLAYED = {"Namespace", "Service", "PersistentVolumeClaim", "Secret"}


@dataclass
class Export:
    """A run's manifests, where they were written, and how clients on this host reach it."""

    run_id: str
    components: list[str]
    folder: Path | None  # None: not written (`kube -o -` printed them)
    files: dict[str, list[dict]]
    host_ports: dict[str, int]
    scenario_path: Path

    def url(self, component: str) -> str:
        return f"http://127.0.0.1:{self.host_ports[component]}"


def export(engine: Engine, scenario: Scenario, run_id: str, folder: Path | None,
           package_set: str = "candidate") -> Export:
    """Build the images with the scenario's RPMs installed and write the run's manifests into
    `folder` (None: write nothing; the caller prints them)."""
    check_run_id(run_id)
    defined = all_components()
    components = scenario.components
    versions = scenario.package_set(package_set)
    images.ensure(engine, components)
    with progress.step(f"building packages ({package_set} set)"):
        rpms = {c: list(packages.build_set(scenario.packages_of(c), versions, c).values())
                for c in components}
    tags = kube.build_images(engine, rpms)
    host_ports = {c: kube.free_port() for c in components if defined[c].ports}
    files = kube.manifests(run_id, components, tags, host_ports, new_secrets())
    if folder is not None:
        kube.write(folder, files)
        progress.say(f"wrote {len(files)} manifest files to {folder} (secret.yaml is mode 0600)")
    return Export(run_id, components, folder, files, host_ports, scenario.path)


def container_name(instance: str, component: str) -> str:
    """Podman's name of a played pod's container."""
    return f"{kube.host_name(instance)}-{component}"


def play(engine: Engine, made: Export, package_set: str = "candidate", keep: bool = True) -> None:
    """`podman kube play` an export on this host, wait until every component is ready, create
    the users. On failure, logs go to build/reports/<run-id>/logs and the run is removed."""
    run = Run(made.run_id, tuple(made.components))
    taken = claim(engine, run, made.scenario_path, package_set)
    run_labels = labels(run.id) | {LABEL_OWNER: taken.owner}
    order = [c for wave in start_order(made.components) for c in wave]
    containers = {container_name(instance.name, c): c for c in order for instance in run.instances(c)}
    progress.say(f"run {run.id}: playing {', '.join(order)} with podman kube play")
    try:
        for claim_ in made.files.get("volumes.yaml", []):
            engine.create_volume(claim_["metadata"]["name"], claim_["metadata"]["labels"] | run_labels)
        for secret in made.files.get("secret.yaml", []):
            # Podman 4.3 reads a secretRef's secret as JSON {key: base64 value}; a Secret
            # played from YAML is stored as YAML and cannot be read back.
            engine.create_secret(secret["metadata"]["name"], json.dumps(secret["data"]).encode())
        if engine.host.infra_image == PAUSE_IMAGE:
            engine.tag_image(images.base_tag(), PAUSE_IMAGE)
        config = made.files.get("config.yaml", [])
        # One component at a time, each ready before the next is played: the harness's own
        # readiness wait does the init containers' work here. Names resolve from /etc/hosts
        # (see _on_this_host), not through Podman 4.3's DNS.
        hosts: dict[str, str] = {}  # host name -> address of each instance played so far
        for component in order:
            played = [_on_this_host(d, hosts) for d in config + made.files[f"{component}.yaml"]
                      if d["kind"] not in NOT_PLAYED]
            with progress.step(f"podman kube play {component}"):
                engine.play_kube(kube.dump(played), run.network)
            for instance in run.instances(component):
                name = container_name(instance.name, component)
                _wait_ready(engine, name, component, made.host_ports.get(component))
                hosts[kube.host_name(instance.name)] = engine.address(name, run.network)
                progress.say(f"{component} ready ({name})")
        _add_hosts(engine, list(containers), hosts)
        home = next((c for c in run.components if all_components()[c].users), None)
        settle(engine, taken, keep, frontend=container_name(run.first(home).name, home) if home else None)
    except BaseException as error:
        abandon(engine, run, list(containers), error)
        raise


def _on_this_host(document: dict, hosts: dict[str, str]) -> dict:
    """A Pod as this host plays it: no init containers, and the components played before it
    in its /etc/hosts (`hostAliases`). Through Podman 4.3's DNS (aardvark-dns 1.4), in about
    1 play of 3 while other runs came and went, names stopped resolving for about 40 s: the
    frontend died at start ("could not translate host name ...: Temporary failure in name
    resolution"), or the users step or a build failed. The written manifests keep both the
    init containers and DNS names for a cluster."""
    if document["kind"] != "Pod":
        return document
    spec = {k: v for k, v in document["spec"].items() if k != "initContainers"}
    if hosts:
        spec["hostAliases"] = [{"ip": ip, "hostnames": [name]} for name, ip in sorted(hosts.items())]
    return document | {"spec": spec}


def _add_hosts(engine: Engine, containers: list[str], hosts: dict[str, str]) -> None:
    """Every instance's name into every container's /etc/hosts, once all are played (a
    component also reaches those played after it: the builders dist-git, keygen the backend)."""
    lines = "".join(f"{ip}\t{name}\n" for name, ip in sorted(hosts.items()))  # tab: as Podman writes
    script = 'while read -r line; do grep -qxF "$line" /etc/hosts || echo "$line" >>/etc/hosts; done'
    for name in containers:
        done = engine.exec(name, ["sh", "-c", f"printf %s '{lines}' | {{ {script}; }}"])
        if not done.ok:
            raise InfraError(f"cannot write the run's host names into {name}'s /etc/hosts: "
                             f"{done.output.strip()}")


def _wait_ready(engine: Engine, name: str, component: str, host_port: int | None) -> None:
    """Wait until a played container runs and passes its probe."""
    spec = all_components()[component]
    assert spec.probe is not None

    def poll() -> None:
        state = engine.state(name)
        if state in ("missing", "created", "configured", "initialized"):
            raise wait.NotYet(f"{name} is {state}")
        check_ready(engine, spec, name, host_port)

    wait.until(poll, what=f"{name} to be ready", timeout=spec.probe.timeout,
               context=lambda: last_log(engine, name))


def default_folder(run_id: str) -> Path:
    """Where `copr-harness kube` writes manifests unless told otherwise."""
    return Path("build") / "kube" / run_id


def secret_values(made: Export) -> dict[str, str]:
    """The decoded values of the export's Secrets (for tests that check where secrets went)."""
    return {key: base64.b64decode(value).decode()
            for secret in made.files.get("secret.yaml", []) for key, value in secret["data"].items()}

