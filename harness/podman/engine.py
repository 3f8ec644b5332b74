"""The one Podman wrapper: finds or starts the API service, and does every container operation.

Nothing else in the project (tests included) talks to Podman; everything goes through `Engine`.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from podman import PodmanClient
from podman.errors import APIError, NotFound

from harness import interrupts, progress, wait
from harness.errors import InfraError
from harness.naming import LABEL_RUN, secret_run_id
from harness.podman import conmon
from harness.podman.quirks import HostConfig, detect, probe_host
from harness.podman.service import (
    ANSWER_TIMEOUT, INSTALL_HINT, OwnService, answers, candidate_sockets,
)

# Containers created here got NET_RAW and MKNOD besides containers.conf's default capabilities
# (seen with Podman 4.3): raw sockets would let a container forge its peers' addresses on the
# run's network (the keygen trusts its segment), and no service makes device nodes.
DROPPED_CAPS = ["NET_RAW", "MKNOD"]
BUSY_TIMEOUT = 60.0  # how long a removal is retried while Podman says "device or resource busy"


@dataclass
class ExecResult:
    """What a command run inside a container returned."""

    exit_code: int
    output: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


@dataclass
class ContainerSpec:
    """What the harness asks of a container; the engine turns it into Podman's terms."""

    name: str
    image: str
    labels: dict[str, str]
    network: str
    aliases: list[str]
    environment: dict[str, str] = field(default_factory=dict)
    volumes: dict[str, str] = field(default_factory=dict)  # volume name -> mount point
    ports: list[int] = field(default_factory=list)  # container ports published on 127.0.0.1
    command: list[str] | None = None
    memory_mb: int | None = None


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


class Engine:
    """A connection to Podman's API, and every operation the harness does with containers."""

    def __init__(self, url: str, host: HostConfig, service: OwnService | None = None) -> None:
        self.url = url
        self.host = host
        self.service = service
        self.client = PodmanClient(base_url=url, timeout=600)

    # -- connection -------------------------------------------------------------------------

    @classmethod
    def connect(cls, start_service: bool = True) -> "Engine":
        """Connect to the first API socket that answers, or start an own service."""
        if shutil.which("podman") is None:
            raise InfraError("Podman is not installed", hint=INSTALL_HINT)
        host = detect(probe_host())
        if host.problems:
            raise InfraError("Podman cannot run containers here: " + "; ".join(host.problems))
        urls = candidate_sockets(dict(os.environ), os.getuid())
        for url in urls:
            if answers(url):
                return cls(url, host)
        if os.environ.get("CONTAINER_HOST"):
            raise InfraError(
                f"the Podman API at CONTAINER_HOST={os.environ['CONTAINER_HOST']} does not answer "
                f"within {ANSWER_TIMEOUT:.0f}s",
                hint="start it ('podman system service --time=0 <url> &') or unset CONTAINER_HOST",
            )
        if not start_service:
            raise InfraError("no Podman API socket answers: tried " + ", ".join(urls))
        service = OwnService(host)
        try:
            service.start()
        except BaseException:
            service.stop()
            raise
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

    def info(self) -> dict:
        """`podman info` as the service reports it."""
        return self.client.info()

    # -- images -----------------------------------------------------------------------------

    def image_id(self, tag: str) -> str | None:
        """The id of the image with this tag, or None."""
        try:
            return self.client.images.get(tag).id
        except (NotFound, APIError):
            return None

    def import_image(self, tarball: Path, tag: str, changes: list[str]) -> str:
        """`podman import` a root file system tarball as `tag`; return the image id."""
        with tarball.open("rb") as body:
            response = self.client.api.post(
                "/images/import",
                params={"reference": tag, "changes": changes},
                data=body,
                headers={"Content-Type": "application/x-tar"},
            )
        if response.status_code >= 400:
            raise InfraError(f"podman import of {tarball.name} failed: {response.text.strip()}")
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
        if error or response.status_code >= 400:
            raise InfraError(f"building image {tag} failed: {error or response.text}")
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
        if response.status_code >= 400:
            try:
                message = response.json().get("message", response.text)
            except ValueError:
                message = response.text
            raise InfraError(f"podman kube play failed: {message.strip()}")
        report = response.json()
        errors = [e for pod in report.get("Pods") or [] for e in pod.get("ContainerErrors") or []]
        if errors:
            raise InfraError("podman kube play: " + "; ".join(errors))
        return [self.client.pods.get(pod["ID"]).name for pod in report.get("Pods") or []]

    def create_container(self, spec: ContainerSpec) -> None:
        """Create (not start) a container as `spec` describes; its ports are chosen now."""
        kwargs: dict = dict(
            name=spec.name,
            labels=spec.labels,
            environment=spec.environment,
            networks={spec.network: {"aliases": spec.aliases}},
            ports={f"{port}/tcp": {"ip": "127.0.0.1"} for port in spec.ports},
            cap_drop=DROPPED_CAPS,
            volumes={vol: {"bind": dest, "mode": "rw"} for vol, dest in spec.volumes.items()},
            ulimits=[
                {"Name": name, "Soft": value, "Hard": value}
                for name, value in self.host.ulimits.items()
            ],
            detach=True,
        )
        if self.host.runtime:
            kwargs["runtime"] = self.host.runtime
        if spec.command:
            kwargs["command"] = spec.command
        if spec.memory_mb:
            kwargs["mem_limit"] = f"{spec.memory_mb}m"
        with interrupts.deferred():
            self.client.containers.create(spec.image, **kwargs)

    def run_once(self, image: str, command: list[str], timeout: int = 60) -> ExecResult:
        """Run a throw-away container to completion (doctor's trial run); return its result."""
        kwargs: dict = dict(
            command=command, detach=True, network_mode="none",
            ulimits=[{"Name": k, "Soft": v, "Hard": v} for k, v in self.host.ulimits.items()],
        )
        if self.host.runtime:
            kwargs["runtime"] = self.host.runtime
        with interrupts.deferred():  # an unlabelled container: it must not outlive a signal
            try:
                container = self.client.containers.create(image, **kwargs)
            except APIError as error:
                return ExecResult(-1, str(error))
            try:
                container.start()
                code = container.wait(timeout=timeout)
                output = b"".join(container.logs(stdout=True, stderr=True))
                return ExecResult(int(code), output.decode(errors="replace"))
            except APIError as error:
                return ExecResult(-1, str(error))
            finally:
                container.remove(force=True)

    def remove_container(self, name: str) -> None:
        """Remove one container at once: no graceful stop (podman-py does not pass timeout=0)."""
        response = self.client.api.delete(f"/containers/{name}",
                                          params={"force": True, "v": True, "timeout": 0})
        if response.status_code not in (200, 204, 404):
            raise InfraError(f"removing container {name} failed: {response.text.strip()}")

    def exists(self, name: str) -> bool:
        """Whether a container of this name exists."""
        return self.client.containers.exists(name)

    def state(self, name: str) -> str:
        """A container's status ('running', 'exited', ...), or 'missing'."""
        try:
            container = self.client.containers.get(name)
        except NotFound:
            return "missing"
        return container.status

    def exec(
        self, name: str, command: list[str], user: str | None = None, env: dict[str, str] | None = None
    ) -> ExecResult:
        """Run a command in a running container; return its exit code and combined output."""
        container = self.client.containers.get(name)
        code, output = container.exec_run(command, user=user, environment=env)
        return ExecResult(int(code if code is not None else -1), _unframe(output))

    def put_files(self, name: str, directory: str, files: dict[str, bytes], mode: int = 0o644) -> None:
        """Copy files (name -> content) into `directory` of a container (created or running)."""
        archive = io.BytesIO()
        with tarfile.open(fileobj=archive, mode="w") as tar:
            for filename, content in files.items():
                info = tarfile.TarInfo(filename)
                info.size = len(content)
                info.mode = mode
                tar.addfile(info, io.BytesIO(content))
        container = self.client.containers.get(name)

        def copy() -> None:
            # Podman 4.3's archive endpoint intermittently refuses a copy into a container that
            # was just created or started (seen under load): try again, and say what it answered.
            response = self.client.api.put(f"/containers/{container.id}/archive",
                                           params={"path": directory}, data=archive.getvalue())
            if not response.ok:
                raise wait.NotYet(f"HTTP {response.status_code}: {response.text.strip()[:300]}")

        wait.until(copy, what=f"Podman to copy files into {name}:{directory}", timeout=30)

    def logs(self, name: str, tail: int | None = None) -> str:
        """A container's output (stdout and stderr), the last `tail` lines if given."""
        try:
            container = self.client.containers.get(name)
            chunks = container.logs(stdout=True, stderr=True, tail=tail if tail else "all")
        except (NotFound, APIError) as error:
            return f"(no logs: {error})"
        data = b"".join(chunks) if not isinstance(chunks, bytes) else chunks
        return data.decode(errors="replace")

    def port_bindings(self, name: str) -> list[tuple[str, int]]:
        """Every (host address, host port) a container publishes."""
        ports = self.client.containers.get(name).attrs.get("NetworkSettings", {}).get("Ports") or {}
        return [(b["HostIp"], int(b["HostPort"])) for found in ports.values() if found for b in found]

    def address(self, name: str, network: str) -> str:
        """A container's IPv4 address on one of its networks."""
        networks = self.client.containers.get(name).attrs.get("NetworkSettings", {}).get("Networks") or {}
        if network not in networks or not networks[network].get("IPAddress"):
            raise InfraError(f"container {name} has no address on network {network}")
        return networks[network]["IPAddress"]

    def privileges(self, name: str) -> dict:
        """What a container may do beyond Podman's defaults: `privileged` and `cap_add`."""
        host_config = self.client.containers.get(name).attrs.get("HostConfig", {})
        return {"privileged": bool(host_config.get("Privileged")),
                "cap_add": list(host_config.get("CapAdd") or [])}

    def published_port(self, name: str, port: int) -> int:
        """The 127.0.0.1 port Podman chose for a container's `port`."""
        container = self.client.containers.get(name)
        bindings = container.attrs.get("NetworkSettings", {}).get("Ports", {}).get(f"{port}/tcp")
        if not bindings:
            raise InfraError(f"container {name} publishes no port for {port}/tcp")
        return int(bindings[0]["HostPort"])

    def stop(self, name: str, timeout: int = 10) -> None:
        """Stop a container (SIGTERM, then SIGKILL after `timeout` seconds)."""
        self.client.containers.get(name).stop(timeout=timeout)

    def start(self, name: str) -> None:
        """Start a stopped container."""
        self.client.containers.get(name).start()

    def pause(self, name: str) -> None:
        """Freeze every process of a container (cgroup freezer) until `unpause`."""
        self.client.containers.get(name).pause()

    def unpause(self, name: str) -> None:
        """Let a paused container's processes run on."""
        self.client.containers.get(name).unpause()

    def kill(self, name: str, signal_name: str = "KILL") -> None:
        """Send a signal to a container's main process."""
        self.client.containers.get(name).kill(signal=signal_name)

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

    def container_labels(self, label: str) -> list[dict[str, str]]:
        """The labels of every container carrying `label`."""
        filters = {"label": label}
        return [c.labels for c in self.client.containers.list(all=True, filters=filters)]

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

    def memory_usage(self, label: str) -> dict[str, int]:
        """Memory in use (bytes, as `podman stats` shows it) by each running container carrying
        `label`. A container that vanishes meanwhile is left out, not an error."""
        names = [c.name for c in self.client.containers.list(filters={"label": label})]
        usage = self._stats(names)
        if usage is None:  # one vanished container fails the whole call: ask one by one
            usage = {}
            for name in names:
                usage.update(self._stats([name]) or {})
        return usage

    def _stats(self, names: list[str]) -> dict[str, int] | None:
        """One stats call for `names`; None when Podman refuses it (a container is gone)."""
        if not names:
            return {}
        try:
            response = self.client.api.get("/containers/stats",
                                           params={"containers": names, "stream": False})
        except APIError:
            return None
        body = response.json() if response.status_code == 200 else {}
        if not body.get("Stats"):
            return None
        return {item["Name"]: int(item["MemUsage"]) for item in body["Stats"]}

    def connection(self) -> "Engine":
        """Another connection to the same service, for a thread of its own (closing it leaves
        the service running)."""
        return Engine(self.url, self.host)

    def podman_cli(self, args: list[str], timeout: float = 120) -> ExecResult:
        """Run the plain `podman` CLI (local, with the host's quirks in its own containers.conf).

        Only the benchmark uses this, to compare the harness with the CLI doing the same work.
        """
        with tempfile.NamedTemporaryFile("w", suffix=".conf") as conf:
            conf.write(self.host.containers_conf())
            conf.flush()
            result = subprocess.run(["podman", *args], capture_output=True, text=True,
                                    timeout=timeout, env=dict(os.environ, CONTAINERS_CONF=conf.name))
        return ExecResult(result.returncode, result.stdout + result.stderr)

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
            if response.status_code not in (200, 204, 404):
                raise InfraError(f"removing pod {name} failed: {response.text.strip()}")
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
        return found


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


def _unframe(data: bytes) -> str:
    """Join the payloads of Podman's multiplexed stream (8-byte header per frame) as text."""
    out = bytearray()
    while len(data) >= 8 and data[0] in (0, 1, 2) and data[1:4] == b"\0\0\0":
        size = int.from_bytes(data[4:8], "big")
        out += data[8 : 8 + size]
        data = data[8 + size :]
    out += data  # a stream that was not framed (a TTY) comes through as it is
    return out.decode(errors="replace")
