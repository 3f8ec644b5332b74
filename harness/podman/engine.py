"""The one Podman wrapper: a connection to the API (found or started), images, networks, volumes,
secrets, played pods and a run's resources by label; container operations come from `Containers`.

Nothing else in the project (tests included) talks to Podman; everything goes through `Engine`.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from podman import PodmanClient
from podman.errors import APIError, NotFound

from harness import interrupts, progress, wait
from harness.errors import InfraError
from harness.naming import LABEL_RUN, secret_run_id
from harness.podman import conmon, netavark
from harness.podman.containers import ContainerSpec, Containers, ExecResult
from harness.podman.http import GONE, check
from harness.podman.overview import RunOverview, epoch
from harness.podman.quirks import HostConfig, detect, probe_host
from harness.podman.service import (
    ANSWER_TIMEOUT, INSTALL_HINT, OwnService, answers, candidate_sockets,
)

__all__ = ["ContainerSpec", "Engine", "ExecResult", "Resources", "RunOverview"]

log = logging.getLogger(__name__)

BUSY_TIMEOUT = 60.0  # how long a removal is retried while Podman says "device or resource busy"

# Seconds one API call may take: an image build or `kube play` of a whole stack is one call.
API_TIMEOUT = 600

@dataclass
class Resources:
    """The pods, containers, networks, volumes and secrets that carry one label filter."""

    containers: list[str]
    networks: list[str]
    volumes: list[str]
    pods: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.containers or self.networks or self.volumes or self.pods or self.secrets)


class Engine(Containers):
    """A connection to Podman's API, and every operation the harness does with Podman."""

    def __init__(self, url: str, host: HostConfig, service: OwnService | None = None) -> None:
        self.url = url
        self.host = host
        self.service = service
        self.client = PodmanClient(base_url=url, timeout=API_TIMEOUT)

    # -- connection -------------------------------------------------------------------------

    @classmethod
    def connect(cls) -> "Engine":
        """Connect to the first API socket that answers, or start an own service."""
        if shutil.which("podman") is None:
            raise InfraError("Podman is not installed", hint=INSTALL_HINT)
        host = detect(probe_host())
        if host.problems:
            raise InfraError("Podman cannot run containers here: " + "; ".join(host.problems))
        urls = candidate_sockets(dict(os.environ), os.getuid())
        for url in urls:
            if answers(url):
                log.debug("using the Podman API at %s", url)
                return cls(url, host)
            log.debug("no Podman API answers at %s", url)
        if os.environ.get("CONTAINER_HOST"):
            raise InfraError(
                f"the Podman API at CONTAINER_HOST={os.environ['CONTAINER_HOST']} does not answer "
                f"within {ANSWER_TIMEOUT:.0f}s",
                hint="start it ('podman system service --time=0 <url> &') or unset CONTAINER_HOST",
            )
        service = OwnService(host)
        try:
            service.start()
        except BaseException:
            service.stop()
            raise
        log.debug("started the harness's own Podman service at %s", service.url)
        return cls(service.url, host, service)

    def restart_service(self) -> bool:
        """If the service this engine started has died (killed under it), start another on a new
        socket and reconnect, so a failed command can still remove what it made; True if it did.
        The new service sees the same containers: they live in Podman's storage, not in it."""
        if self.service is None or self.service.process is None:
            return False
        # A SIGKILLed service may not have exited yet when its calls already fail: one that
        # does not answer is stopped (SIGTERM, SIGKILL) and replaced all the same.
        if self.service.process.poll() is None and answers(self.url, timeout=5):
            return False
        self.service.stop()
        code = self.service.process.returncode
        service = OwnService(self.host)
        try:
            service.start()
        except BaseException:
            service.stop()
            raise
        self.client.close()
        self.service, self.url = service, service.url
        self.client = PodmanClient(base_url=self.url, timeout=600)
        progress.say(f"the harness's own Podman service died (exit {code}); started another")
        return True

    def close(self) -> None:
        """Close the connection and stop the service this engine started, if any."""
        with interrupts.deferred():
            self.client.close()
            if self.service is not None:
                self.service.stop()
                self.service = None

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def version(self) -> dict:
        """Podman's and the API's versions as the service reports them."""
        return self.client.version()

    # -- images -----------------------------------------------------------------------------

    def image_id(self, tag: str) -> str | None:
        """The id of the image with this tag, or None when there is none. Any other answer of
        the API is an InfraError: a broken service must not look like a cache miss."""
        try:
            return self.client.images.get(tag).id
        except APIError as error:  # NotFound too; podman-py raises a plain APIError for some 404s
            if isinstance(error, NotFound) or error.status_code == 404:
                return None
            raise InfraError(f"looking up image {tag} failed: {error}") from None

    def import_image(self, tarball: Path, tag: str, changes: list[str]) -> str:
        """`podman import` a root file system tarball as `tag`; return the image id."""
        with tarball.open("rb") as body:
            response = self.client.api.post(
                "/images/import",
                params={"reference": tag, "changes": changes},
                data=body,
                headers={"Content-Type": "application/x-tar"},
            )
        check(response, f"podman import of {tarball.name}")
        image = self.image_id(tag)
        if image is None:
            raise InfraError(f"podman import of {tarball.name} did not produce {tag}")
        return image

    def build_image(
        self,
        context: bytes,
        tag: str,
        buildargs: dict[str, str],
        labels: dict[str, str],
        on_line: Callable[[str], None],
        nocache: bool = False,
    ) -> str:
        """Build the Containerfile in a tar'ed `context` as `tag`, with layer caching, offline."""
        params = {
            "dockerfile": "Containerfile",
            "t": tag,
            "layers": True,
            "nocache": nocache,
            "rm": True,
            "networkmode": "none",  # builds are hermetic: nothing inside may reach a network
            "buildargs": json.dumps(buildargs),
            "labels": json.dumps(labels),
            "outputformat": "application/vnd.oci.image.manifest.v1+json",
        }
        response = self.client.api.post(
            "/build",
            params=params,
            data=context,
            headers={"Content-Type": "application/x-tar"},
            stream=True,
        )
        error = None
        for raw in response.iter_lines():
            if not raw:
                continue
            item = json.loads(raw)
            if "stream" in item:
                for line in item["stream"].splitlines():
                    if line.strip():
                        on_line(line.rstrip())
            if "error" in item:
                error = item["error"]
        if error:
            raise InfraError(f"building image {tag} failed: {error}")
        check(response, f"building image {tag}")
        image = self.image_id(tag)
        if image is None:
            raise InfraError(f"building image {tag} produced no image")
        return image

    def tag_image(self, source: str, tag: str) -> None:
        """Give an existing image another tag."""
        repository, _, version = tag.rpartition(":")
        if not self.client.images.get(source).tag(repository, version):
            raise InfraError(f"tagging {source} as {tag} failed")

    def remove_image(self, tag: str) -> None:
        """Remove an image if it exists."""
        try:
            self.client.images.remove(tag, force=True)
        except NotFound:
            pass

    # -- networks and volumes ---------------------------------------------------------------

    def create_network(self, name: str, labels: dict[str, str]) -> None:
        """Create a bridge network with DNS, so containers reach each other by alias, isolated
        from the other isolated networks of the host (each run's): netavark drops traffic
        between two bridges that both carry the `isolate` option (netavark >= 1.1)."""
        with interrupts.deferred():  # a create in flight completes: the teardown must see it
            self.client.networks.create(name, labels=labels, dns_enabled=True,
                                        options={"isolate": "true"})

    def network_options(self, name: str) -> dict[str, str]:
        """The driver options a network was created with."""
        return dict(self.client.networks.get(name).attrs.get("options") or {})

    def create_volume(self, name: str, labels: dict[str, str]) -> None:
        """Create a named volume."""
        with interrupts.deferred():
            self.client.volumes.create(name, labels=labels)

    def remove_volume(self, name: str) -> None:
        """Remove a volume if it exists."""
        try:
            self.client.volumes.get(name).remove(force=True)
        except NotFound:
            pass

    def create_secret(self, name: str, data: bytes) -> None:
        """Create a Podman secret (what a played pod's secretRef reads)."""
        self.client.secrets.create(name, data)

    def play_kube(self, manifest: str, network: str) -> list[str]:
        """`podman kube play` a YAML text with every pod on `network`; return the pods' names."""
        response = self.client.api.post("/play/kube", params={"network": [network]},
                                        data=manifest.encode(),
                                        headers={"Content-Type": "application/x-yaml"})
        check(response, "podman kube play")
        report = response.json()
        errors = [e for pod in report.get("Pods") or [] for e in pod.get("ContainerErrors") or []]
        if errors:
            raise InfraError("podman kube play: " + "; ".join(errors))
        return [self.client.pods.get(pod["ID"]).name for pod in report.get("Pods") or []]

    def find(self, label: str) -> Resources:
        """Every pod, container, network, volume and secret carrying `label` (key or key=value)."""
        filters = {"label": label}
        key, _, value = label.partition("=")
        return Resources(
            pods=[p.name for p in self.client.pods.list(filters=filters)],
            secrets=[s.name for s in self.client.secrets.list() if _carries(s.name, key, value)],
            containers=[c.name for c in self.client.containers.list(all=True, filters=filters)],
            networks=[n.name for n in self.client.networks.list(filters=filters)],
            volumes=[v.name for v in self.client.volumes.list(filters=filters)],
        )

    def run_ids(self) -> dict[str, dict[str, str]]:
        """Every run id that has resources on this host, with the labels of its marker volume."""
        runs: dict[str, dict[str, str]] = {}
        for volume in self.client.volumes.list(filters={"label": LABEL_RUN}):
            labels = volume.attrs.get("Labels") or {}
            runs.setdefault(labels[LABEL_RUN], {}).update(labels)
        for container in self.client.containers.list(all=True, filters={"label": LABEL_RUN}):
            runs.setdefault(container.labels[LABEL_RUN], {})
        for network in self.client.networks.list(filters={"label": LABEL_RUN}):
            runs.setdefault((network.attrs.get("labels") or {})[LABEL_RUN], {})
        for pod in self.client.pods.list(filters={"label": LABEL_RUN}):
            runs.setdefault((pod.attrs.get("Labels") or {})[LABEL_RUN], {})
        for secret in self.client.secrets.list():
            if run_id := secret_run_id(secret.name):
                runs.setdefault(run_id, {})
        return runs

    def runs_overview(self) -> dict[str, RunOverview]:
        """When each run's first volume or container was made, and its containers' states."""
        found: dict[str, RunOverview] = {}
        for volume in self.client.volumes.list(filters={"label": LABEL_RUN}):
            labels = volume.attrs.get("Labels") or {}
            found.setdefault(labels[LABEL_RUN], RunOverview()).seen(epoch(volume.attrs.get("CreatedAt")))
        for container in self.client.containers.list(all=True, filters={"label": LABEL_RUN}):
            overview = found.setdefault(container.labels[LABEL_RUN], RunOverview())
            overview.seen(epoch(container.attrs.get("Created")))
            state = container.attrs.get("State")  # a listing gives the state as a word
            overview.states[container.name] = state if isinstance(state, str) else container.status
        return found

    def connection(self) -> "Engine":
        """Another connection to the same service, for a thread of its own (closing it leaves
        the service running)."""
        return Engine(self.url, self.host)

    def _remove_network(self, name: str) -> None:
        try:
            self.client.networks.get(name).remove(force=True)
        except NotFound:
            pass

    def _container_ids(self, label: str, pods: list[str]) -> set[str]:
        """The full ids of the containers carrying `label` and of the pods' containers."""
        ids = {c.id for c in self.client.containers.list(all=True, filters={"label": label})}
        for pod in pods:
            try:
                ids |= {c["Id"] for c in self.client.pods.get(pod).attrs.get("Containers") or []}
            except (NotFound, KeyError):
                pass
        return ids

    def remove_run(self, run_id: str) -> Resources:
        """Remove every container, then network and volume labelled with `run_id`."""
        found = self.find(f"{LABEL_RUN}={run_id}")
        ids = self._container_ids(f"{LABEL_RUN}={run_id}", found.pods)
        # Played pods (their containers carry no labels of their own), all stopped first: a
        # forced removal alone stops each container with its 10 s timeout, and the stopped
        # containers' cleanups then run side by side.
        for name in found.pods:
            self.client.api.post(f"/pods/{name}/stop", params={"t": 0})
        for name in found.pods:
            response = self.client.api.delete(f"/pods/{name}", params={"force": True})
            check(response, f"removing pod {name}", ok=GONE)
        for name in found.containers:
            _unless_busy(f"container {name}", lambda: self.remove_container(name))
        conmon.end_exec_conmons(ids)
        for name in found.networks:
            _unless_busy(f"network {name}", lambda: self._remove_network(name))
        for name in found.volumes:
            _unless_busy(f"volume {name}", lambda: self.remove_volume(name))
        for name in found.secrets:
            try:
                self.client.secrets.get(name).remove()
            except NotFound:
                pass
        if found.networks:
            self.remove_network_leftovers()
        return found

    def remove_network_leftovers(self) -> netavark.Leftovers:
        """Remove what netavark left of removed networks on this host (see harness.podman.netavark),
        saying what it removed; nothing for a service on another host or a rootless one."""
        if not self.url.startswith("unix:") or not netavark.applies():
            return netavark.Leftovers()
        taken = netavark.snapshot()  # before the network list: see the module's docstring
        live = netavark.Live.from_attrs([n.attrs for n in self.client.networks.list()])
        done = netavark.remove(netavark.find(*taken, live))
        if done:
            progress.say(f"removed what netavark left of removed networks: {done.summary()}")
        return done


def _unless_busy(what: str, remove: Callable[[], None]) -> None:
    """Run a removal, again while Podman answers "device or resource busy" (a mount or a
    container's clean-up still in flight, seen after the service was killed mid-command)."""

    def attempt() -> None:
        try:
            remove()
        except (APIError, InfraError) as error:
            if "resource busy" in str(error):
                raise wait.NotYet(str(error).strip().splitlines()[0][:300]) from None
            raise

    wait.until(attempt, what=f"{what} to be removable", timeout=BUSY_TIMEOUT)


def _carries(secret: str, key: str, value: str) -> bool:
    """Whether a secret carries the run label `key[=value]` (its name says it: see naming)."""
    run_id = secret_run_id(secret)
    return key == LABEL_RUN and run_id is not None and (not value or run_id == value)
