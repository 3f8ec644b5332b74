"""Every container operation of the engine (a mixin of `Engine`, which holds the connection):
create, start, stop, exec, copy files in and out, logs, inspect, memory."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from podman import PodmanClient
from podman.api.parse_utils import stream_frames
from podman.errors import APIError, NotFound

from harness import interrupts, wait
from harness.errors import InfraError
from harness.podman.http import GONE, check, message
from harness.podman.quirks import HostConfig

# Containers created here got NET_RAW and MKNOD besides containers.conf's default capabilities
# (seen with Podman 4.3): raw sockets would let a container forge its peers' addresses on the
# run's network (the keygen trusts its segment), and no service makes device nodes.
DROPPED_CAPS = ["NET_RAW", "MKNOD"]
# A container asks only its run network's DNS server (aardvark-dns, at the network's gateway),
# not the host's resolvers too: no query leaves the machine. A query aardvark-dns does not
# answer (it stops for a while as containers come and go, e.g. builders being replaced) is asked
# again after 1 s, and fails after 5 s rather than Podman's default 20 s (aardvark-dns, then
# each host resolver, 5 s apiece, twice).
DNS_OPTIONS = ["timeout:1", "attempts:5"]
# Seconds Podman's archive endpoint gets to accept a copy (it refuses some under load: retried).
COPY_TIMEOUT = 30
FOLLOW_CONNECT_TIMEOUT = 30  # seconds to reach Podman when following a log (reading never ends)


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
    address: str | None = None  # a fixed address on `network` (else Podman picks one)
    hosts: dict[str, str] = field(default_factory=dict)  # /etc/hosts entries: name -> address


def mac_for(address: str) -> str:
    """A locally administered unicast MAC address holding an IPv4 address (as Docker makes them)."""
    return "02:42:" + ":".join(f"{int(part):02x}" for part in address.split("."))


class Containers:
    """Container operations; `client` and `host` are the engine's."""

    client: PodmanClient
    host: HostConfig

    def _runtime(self) -> dict:
        """What every container gets from the host's quirks: its rlimits and OCI runtime."""
        made: dict = {"ulimits": [{"Name": name, "Soft": value, "Hard": value}
                                  for name, value in self.host.ulimits.items()]}
        if self.host.runtime:
            made["runtime"] = self.host.runtime
        return made

    def create_container(self, spec: ContainerSpec) -> None:
        """Create (not start) a container as `spec` describes; its ports are chosen now."""
        kwargs: dict = dict(
            name=spec.name,
            labels=spec.labels,
            environment=spec.environment,
            networks={spec.network: {"aliases": spec.aliases, **self._fixed(spec.address)}},
            extra_hosts=spec.hosts,
            ports={f"{port}/tcp": {"ip": "127.0.0.1"} for port in spec.ports},
            cap_drop=DROPPED_CAPS,
            dns=[self.network_gateway(spec.network)],
            dns_opt=DNS_OPTIONS,
            volumes={vol: {"bind": dest, "mode": "rw"} for vol, dest in spec.volumes.items()},
            detach=True,
            **self._runtime(),
        )
        if spec.command:
            kwargs["command"] = spec.command
        if spec.memory_mb:
            kwargs["mem_limit"] = f"{spec.memory_mb}m"
        with interrupts.deferred():
            self.client.containers.create(spec.image, **kwargs)

    @staticmethod
    def _fixed(address: str | None) -> dict:
        """A fixed address, and a MAC address made from it: a container started again on a new
        interface keeps both, so its peers' ARP entries stay right. With a new MAC, the peers
        sent to the old one until their entries expired, and the first requests to a restarted
        database or keygen hung for about 35 s."""
        if not address:
            return {}
        return {"static_ips": [address], "static_mac": mac_for(address)}

    def _subnet(self, name: str, key: str) -> str:
        """One field ("subnet", "gateway") of a network's (first) subnet."""
        subnets = self.client.networks.get(name).attrs.get("subnets") or []
        if not subnets or not subnets[0].get(key):
            raise InfraError(f"network {name} has no {key} (Podman: {subnets})")
        return str(subnets[0][key])

    def network_gateway(self, name: str) -> str:
        """The gateway address of a network: where its aardvark-dns answers."""
        return self._subnet(name, "gateway")

    def network_subnet(self, name: str) -> str:
        """The subnet of a network, e.g. 10.89.3.0/24."""
        return self._subnet(name, "subnet")

    def run_once(self, image: str, command: list[str], timeout: int = 60) -> ExecResult:
        """Run a throw-away container to completion (doctor's trial run); return its result."""
        kwargs: dict = dict(command=command, detach=True, network_mode="none", **self._runtime())
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
        check(response, f"removing container {name}", ok=GONE)

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
                raise wait.NotYet(f"HTTP {response.status_code}: {message(response)[:300]}")

        wait.until(copy, what=f"Podman to copy files into {name}:{directory}", timeout=COPY_TIMEOUT)

    def read_files(self, name: str, directory: str) -> dict[str, bytes]:
        """The regular files under `directory` of a container (running or stopped), by their path
        below it; {} if there is no such directory."""
        container = self.client.containers.get(name)
        response = self.client.api.get(f"/containers/{container.id}/archive", params={"path": directory})
        if response.status_code == 404:
            return {}
        check(response, f"copying {directory} out of {name}")
        found = {}
        with tarfile.open(fileobj=io.BytesIO(response.content), mode="r") as tar:
            for member in tar.getmembers():
                if member.isfile():
                    parts = member.name.split("/", 1)  # the archive's top is the directory itself
                    data = tar.extractfile(member)
                    if len(parts) == 2 and data is not None:
                        found[parts[1]] = data.read()
        return found

    def logs(self, name: str, tail: int | None = None) -> str:
        """A container's output (stdout and stderr), the last `tail` lines if given."""
        try:
            container = self.client.containers.get(name)
            chunks = container.logs(stdout=True, stderr=True, tail=tail if tail else "all")
        except (NotFound, APIError) as error:
            return f"(no logs: {error})"
        data = b"".join(chunks) if not isinstance(chunks, bytes) else chunks
        return data.decode(errors="replace")

    def follow_logs(self, name: str, tail: int | None = None) -> Iterator[str]:
        """A container's output as it comes (the last `tail` lines first, else all of it), until
        the container stops. No read timeout: a quiet service may write nothing for hours."""
        container = self.client.containers.get(name)
        params = {"follow": True, "stdout": True, "stderr": True, "tail": tail if tail else "all"}
        response = self.client.api.get(f"/containers/{container.id}/logs", params=params,
                                       stream=True, timeout=(FOLLOW_CONNECT_TIMEOUT, None))
        check(response, f"following the log of {name}")
        for frame in stream_frames(response):
            yield frame.decode(errors="replace")

    # -- inspecting: what the integration tests check (addresses, ports, privileges) ----------

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

    def container_labels(self, label: str) -> list[dict[str, str]]:
        """The labels of every container carrying `label`."""
        filters = {"label": label}
        return [c.labels for c in self.client.containers.list(all=True, filters=filters)]

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


def _unframe(data: bytes) -> str:
    """Join the payloads of Podman's multiplexed stream (8-byte header per frame) as text."""
    out = bytearray()
    while len(data) >= 8 and data[0] in (0, 1, 2) and data[1:4] == b"\0\0\0":
        size = int.from_bytes(data[4:8], "big")
        out += data[8 : 8 + size]
        data = data[8 + size :]
    out += data  # a stream that was not framed (a TTY) comes through as it is
    return out.decode(errors="replace")
