"""Finding Podman's API socket, or starting the harness's own `podman system service`."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

from podman import PodmanClient

from harness import interrupts, wait
from harness.errors import InfraError
from harness.paths import service_root
from harness.podman.quirks import HostConfig

ROOTFUL_SOCKET = "/run/podman/podman.sock"
INSTALL_HINT = "install Podman and runc: 'apt-get update && apt-get install -y podman runc'"
ANSWER_TIMEOUT = 10.0  # seconds an API socket has to answer a ping, over any transport
SERVICE_START_TIMEOUT = 30  # seconds an own `podman system service` may take to answer
SERVICE_STOP_TIMEOUT = 10  # seconds it gets after SIGTERM (then SIGKILL)


def candidate_sockets(environ: dict[str, str], uid: int) -> list[str]:
    """API URLs to try, in order: CONTAINER_HOST, the rootful socket, the rootless one."""
    if environ.get("CONTAINER_HOST"):
        return [environ["CONTAINER_HOST"]]
    urls = []
    if uid == 0:
        urls.append(f"unix://{ROOTFUL_SOCKET}")
    runtime_dir = environ.get("XDG_RUNTIME_DIR")
    if runtime_dir:
        urls.append(f"unix://{runtime_dir}/podman/podman.sock")
    return urls


def answers(url: str, timeout: float = ANSWER_TIMEOUT) -> bool:
    """Whether the API at `url` answers a ping within `timeout` seconds, whatever its transport.
    podman-py's own timeout does not cover ssh:// (it waits up to 300 s for the tunnel's socket,
    even after ssh failed, and ssh may wait for a silent server's banner for ever): there the
    ping runs in a child process group that is killed with its ssh when the time is up, after a
    port that refuses connections has been seen at once."""
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme not in ("ssh", "http+ssh"):
        try:
            with PodmanClient(base_url=url, timeout=timeout) as client:
                return bool(client.ping())
        except Exception:  # noqa: BLE001 - any failure means "does not answer"
            return False
    try:
        socket.create_connection((parsed.hostname or "localhost", parsed.port or 22),
                                 timeout=timeout).close()
    except OSError:
        return False
    ping = ("import sys; from podman import PodmanClient\n"
            "with PodmanClient(base_url=sys.argv[1], timeout=float(sys.argv[2])) as client:\n"
            "    sys.exit(0 if client.ping() else 1)\n")
    child = subprocess.Popen([sys.executable, "-c", ping, url, str(timeout)],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        return child.wait(timeout=timeout) == 0
    except subprocess.TimeoutExpired:
        return False
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)  # the ping and the ssh it started
        child.wait()


def sweep_services() -> list[Path]:
    """Remove the folders of self-started services whose harness process is gone."""
    removed = []
    for folder in service_root().glob("service-*"):
        pid = folder.name.split("-")[1]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


class OwnService:
    """A `podman system service` the harness starts for one command, with its own config."""

    def __init__(self, host: HostConfig) -> None:
        self.host = host
        base = service_root()
        base.mkdir(parents=True, exist_ok=True)
        self.dir = Path(tempfile.mkdtemp(prefix=f"service-{os.getpid()}-", dir=base))
        self.socket = self.dir / "podman.sock"
        self.conf = self.dir / "containers.conf"
        self.log = self.dir / "service.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self) -> None:
        """Start the service and wait until its socket answers."""
        self.conf.write_text(self.host.containers_conf())
        env = dict(os.environ, CONTAINERS_CONF=str(self.conf))
        # Deferred: a signal while Popen runs would lose the handle of a service that started.
        with self.log.open("wb") as log, interrupts.deferred():
            self.process = subprocess.Popen(
                ["podman", "system", "service", "--time=0", self.url],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # a Ctrl-C in the terminal must not kill it mid-teardown
                preexec_fn=interrupts.die_with_parent,  # ...but a SIGKILLed harness must not leave it running
            )

        def ready() -> None:
            if self.process is not None and self.process.poll() is not None:
                raise InfraError(
                    f"'podman system service' exited with code {self.process.returncode}:\n"
                    + self.log.read_text(errors="replace")[-2000:]
                )
            if not answers(self.url):
                raise wait.NotYet(f"no answer on {self.socket}")

        wait.until(
            ready,
            what="the harness's own 'podman system service' to answer",
            timeout=SERVICE_START_TIMEOUT,
            context=lambda: self.log.read_text(errors="replace")[-2000:],
        )

    def stop(self) -> None:
        """Stop the service (containers keep running under conmon) and remove its files."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=SERVICE_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=SERVICE_STOP_TIMEOUT)
        shutil.rmtree(self.dir, ignore_errors=True)
