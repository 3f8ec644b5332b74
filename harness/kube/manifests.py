"""Kubernetes export: manifests of a scenario's stack, and images with its RPMs built in.

The same manifests run on a cluster (after pushing the images) and, through `harness.kube.play`,
under `podman kube play` on this host. Where Podman 4.3 differs from a cluster, the manifests
take the form both accept:
- Podman resolves a played pod by its name on the network and ignores Services, so every
  instance is a Pod `<run>-<instance>` plus a headless Service of the same name: one DNS name
  that works in both places. Bare Pods, not Deployments: Podman names a Deployment's pod
  `<name>-pod-0` and applies its (mandatory) restartPolicy Always to init containers, which
  makes the pod's start fail once an init container exits.
- Podman has no ordering between pods and no readiness gates: a component that depends on
  others has an init container that waits (bounded) for their ports to accept connections.
- Clients on the host reach the frontend, backend and dist-git through hostPorts on 127.0.0.1,
  chosen when the manifests are written; the public URLs in the ConfigMaps name them.
"""

from __future__ import annotations

import base64
import hashlib
import socket
import tempfile
from pathlib import Path

import yaml

from harness import progress
from harness.artifacts import images
from harness.artifacts.archive import reproducible_tar
from harness.model.components import Component, all_components, start_order
from harness.naming import LABEL_COMPONENT, LABEL_RUN, secret_name
from harness.podman.engine import Engine
from harness.stack.bringup import render_env

LABEL_INSTANCE = "copr-harness.instance"
# The port a dependant waits for, for the components that publish none to clients.
DEPENDENCY_TIMEOUT = 300  # seconds an init container waits for the components it depends on

# Installs the scenario's RPMs at image build time: rpm enforces their Requires here, as
# `rpm -Uvh` does in a running stack.
CONTAINERFILE = """\
ARG COMPONENT_IMAGE
FROM ${COMPONENT_IMAGE}
COPY rpms/ /var/lib/copr-harness/rpms/
RUN rpm -Uvh --quiet /var/lib/copr-harness/rpms/*.rpm && rm -f /var/lib/copr-harness/rpms/*.rpm
"""


def installed_tag(component: str, rpms: list[Path]) -> str:
    """The tag of `component`'s image with `rpms` installed (a hash of both)."""
    digest = hashlib.sha256(images.component_tag(component).encode())
    for rpm in sorted(rpms):
        digest.update(rpm.name.encode() + b"\0" + rpm.read_bytes())
    return f"{images.REPO}/{component}-installed:{digest.hexdigest()[:12]}"


def build_images(engine: Engine, rpms: dict[str, list[Path]]) -> dict[str, str]:
    """Build (or find) each component's image with its RPMs installed; return the tags (a
    component without packages keeps its own image)."""
    tags = {}
    for component, packages in rpms.items():
        if not packages:  # nothing to install (the database is Debian's server)
            tags[component] = images.component_tag(component)
            continue
        tag = installed_tag(component, packages)
        tags[component] = tag
        if engine.image_id(tag) is not None:
            continue
        with tempfile.TemporaryDirectory(prefix=f"kube-{component}-") as tmp:
            folder = Path(tmp)
            (folder / "Containerfile").write_text(CONTAINERFILE)
            (folder / "rpms").mkdir()
            for rpm in packages:
                (folder / "rpms" / rpm.name).write_bytes(rpm.read_bytes())
            context = reproducible_tar(folder, [folder / "Containerfile", *folder.rglob("*.rpm"),
                                                folder / "rpms"])
            with progress.step(f"building image {tag} ({len(packages)} RPMs installed)"):
                engine.build_image(
                    context, tag, {"COMPONENT_IMAGE": images.component_tag(component)},
                    {images.LABEL_IMAGE: f"{component}-installed"},
                    on_line=lambda line, c=component: progress.say(f"  {c}: {line}"),
                )
    return tags


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (for a hostPort; another process could take it later)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def host_name(instance: str) -> str:
    """The DNS name of an instance: its pod's name under Podman, its Service's on a cluster."""
    return instance


def service_port(spec: Component) -> int | None:
    """The port the component serves the stack on (what dependants wait for)."""
    return spec.ports[0] if spec.ports else spec.service_port


def _labels(run_id: str, component: str, instance: str | None = None) -> dict[str, str]:
    found = {LABEL_RUN: run_id, LABEL_COMPONENT: component}
    if instance:
        found[LABEL_INSTANCE] = instance
    return found


def _b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


def _wait_script(targets: list[tuple[str, int]]) -> str:
    """Bash for an init container: wait, up to a deadline, until every host:port accepts."""
    lines = [f"deadline=$((SECONDS + {DEPENDENCY_TIMEOUT}))"]
    for host, port in targets:
        lines.append(
            f"until (exec 3<>/dev/tcp/{host}/{port}) 2>/dev/null; do "
            f"if [ $SECONDS -ge $deadline ]; then echo 'gave up waiting for {host}:{port} "
            f"after {DEPENDENCY_TIMEOUT}s' >&2; exit 1; fi; sleep 1; done; "
            f"echo '{host}:{port} accepts connections'")
    return "\n".join(lines) + "\n"


def _probe(spec: Component) -> dict:
    assert spec.probe is not None
    if spec.probe.http:
        action: dict = {"httpGet": {"path": spec.probe.http.path, "port": spec.probe.http.port}}
    else:
        action = {"exec": {"command": list(spec.probe.exec or [])}}
    return action | {"periodSeconds": 2, "failureThreshold": max(1, int(spec.probe.timeout / 2))}


def manifests(run_id: str, components: list[str], image_tags: dict[str, str],
              host_ports: dict[str, int], run_secrets: dict[str, str]) -> dict[str, list[dict]]:
    """Every manifest of a run, by file name (kustomization.yaml lists them in apply order).

    Settings that hold a secret go to a Secret, everything else to a ConfigMap, one pair per
    component; `host_ports` maps a component to the 127.0.0.1 port clients use.
    """
    defined = all_components()
    order = [c for wave in start_order(components) for c in wave]
    internal, public, hosts = {}, {}, {}
    for component in order:
        spec = defined[component]
        names = [host_name(instance.name) for instance in spec.instances(run_id)]
        hosts[component] = " ".join(names)
        if spec.ports:
            internal[component] = f"http://{names[0]}:{spec.ports[0]}"
            public[component] = f"http://127.0.0.1:{host_ports[component]}"
    namespace = f"copr-harness-{run_id}"
    files: dict[str, list[dict]] = {
        "namespace.yaml": [{"apiVersion": "v1", "kind": "Namespace",
                            "metadata": {"name": namespace, "labels": {LABEL_RUN: run_id}}}],
        "config.yaml": [], "secret.yaml": [], "volumes.yaml": [],
    }
    for component in order:
        spec = defined[component]
        values = render_env(spec, run_id, run_secrets, internal, public, hosts)
        secret_keys = {key for key, template in spec.environment.items() if "{secrets[" in template}
        env_name = f"{run_id}-{component}-env"
        secret = secret_name(run_id, f"{component}-env")
        files["config.yaml"].append({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": env_name, "labels": _labels(run_id, component)},
            "data": {k: v for k, v in values.items() if k not in secret_keys},
        })
        env_from: list[dict] = [{"configMapRef": {"name": env_name}}]
        if secret_keys:
            files["secret.yaml"].append({
                "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                "metadata": {"name": secret, "labels": _labels(run_id, component)},
                "data": {k: _b64(values[k]) for k in sorted(secret_keys)},
            })
            env_from.append({"secretRef": {"name": secret}})
        waits = [(host, port) for dep in spec.depends_on if dep in components
                 for host in hosts[dep].split() if (port := service_port(defined[dep]))]
        documents = []
        for instance in (i.name for i in spec.instances(run_id)):
            documents += _instance(run_id, spec, instance, image_tags[component], env_from,
                                   waits, host_ports.get(component))
            for volume in spec.volumes:
                files["volumes.yaml"].append({
                    "apiVersion": "v1", "kind": "PersistentVolumeClaim",
                    "metadata": {"name": f"{instance}-{volume}",
                                 "labels": _labels(run_id, component, instance)},
                    "spec": {"accessModes": ["ReadWriteOnce"],
                             "resources": {"requests": {"storage": "1Gi"}}},
                })
        files[f"{component}.yaml"] = documents
    files = {name: docs for name, docs in files.items() if docs}
    files["kustomization.yaml"] = [{
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "namespace": namespace,
        "resources": list(files),
        # A cluster pulls from a registry: point these at where the images were pushed.
        "images": [{"name": name, "newName": name, "newTag": version}
                   for name, version in sorted(tag.rsplit(":", 1) for tag in set(image_tags.values()))],
    }]
    return files


def _instance(run_id: str, spec: Component, instance: str, image: str, env_from: list[dict],
              waits: list[tuple[str, int]], host_port: int | None) -> list[dict]:
    """The Pod and headless Service of one instance of a component."""
    labels = _labels(run_id, spec.name, instance)
    container: dict = {
        "name": spec.name, "image": image, "envFrom": env_from,
        "readinessProbe": _probe(spec),
        "volumeMounts": [{"name": volume, "mountPath": mount}
                         for volume, mount in spec.volumes.items()],
    }
    if spec.ports:
        container["ports"] = [{"containerPort": port} for port in spec.ports]
        if host_port:
            container["ports"][0] |= {"hostPort": host_port, "hostIP": "127.0.0.1"}
    if spec.memory_mb:
        container["resources"] = {"limits": {"memory": f"{spec.memory_mb}Mi"}}
    # Never: a crashed service shows as exited, as in `up` (and Podman 4.3 would apply any other
    # policy to init containers too, restart them, and fail the pod's start).
    pod: dict = {"restartPolicy": "Never", "containers": [container]}
    if waits:
        pod["initContainers"] = [{"name": "wait-for-dependencies", "image": image,
                                  "command": ["bash", "-c", _wait_script(waits)]}]
    if spec.volumes:
        pod["volumes"] = [{"name": volume, "persistentVolumeClaim": {"claimName": f"{instance}-{volume}"}}
                          for volume in spec.volumes]
    pod_manifest = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": instance, "labels": labels},
        "spec": pod,
    }
    port = service_port(spec)
    service = {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": host_name(instance), "labels": labels},
        "spec": {"clusterIP": "None", "selector": labels,
                 "ports": [{"name": "service", "port": port}] if port else []},
    }
    return [pod_manifest, service]


class _PlainDumper(yaml.SafeDumper):
    """Writes repeated values out in full: no YAML anchors and aliases in manifests."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def dump(documents: list[dict]) -> str:
    """Documents as one multi-document YAML text."""
    return yaml.dump_all(documents, Dumper=_PlainDumper, sort_keys=False, default_flow_style=False)


def stream(files: dict[str, list[dict]]) -> str:
    """Every resource as one YAML stream in apply order, for `kubectl apply -f -`: what the
    kustomization adds (the namespace) is written into each resource instead."""
    kustomization = files["kustomization.yaml"][0]
    namespace = kustomization["namespace"]
    documents = []
    for name in kustomization["resources"]:
        for document in files[name]:
            if document["kind"] != "Namespace":
                document = document | {"metadata": document["metadata"] | {"namespace": namespace}}
            documents.append(document)
    return dump(documents)


def write(folder: Path, files: dict[str, list[dict]]) -> list[Path]:
    """Write the manifests into `folder`; the Secret file only readable by its owner."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, documents in files.items():
        path = folder / name
        if name == "secret.yaml":
            path.unlink(missing_ok=True)
            path.touch(mode=0o600)
        path.write_text(dump(documents))
        written.append(path)
    return written
