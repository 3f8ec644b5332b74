"""Issue 18, items 7, 8 and 15 on the engine's side, without Podman's containers: an API that
does not answer over ssh:// is given up on in bounded time; a removal that Podman finds briefly
busy is retried (and a lasting one is not hidden); exec conmons of removed containers are ended."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from harness import wait
from harness.podman import conmon, engine as engine_module
from harness.podman.engine import Engine, Resources
from harness.errors import InfraError
from harness.podman.quirks import HostConfig

ROOT = Path(__file__).resolve().parents[4]
needs_podman = pytest.mark.skipif(shutil.which("podman") is None, reason="podman is not installed")


# -- item 8: every transport gets a timeout --------------------------------------------------------


def closed_port() -> int:
    """A port of 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def silent_listener():
    """A TCP port that accepts connections and never says a word (an ssh client waits for the
    server's banner for ever; an HTTP client for the answer)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    for conn in accepted:
        conn.close()
    server.close()


def status_with(container_host: str) -> tuple[subprocess.CompletedProcess, float]:
    began = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "harness.cli", "status"], capture_output=True,
                            text=True, timeout=120, cwd=ROOT, stdin=subprocess.DEVNULL,
                            env={**os.environ, "CONTAINER_HOST": container_host})
    return result, time.monotonic() - began


@needs_podman
@pytest.mark.parametrize("url", ["ssh://root@127.0.0.1:{port}/run/podman/podman.sock",
                                 "tcp://127.0.0.1:{port}"], ids=["ssh", "tcp"])
def test_a_closed_port_fails_in_bounded_time_naming_the_url(url):
    host = url.format(port=closed_port())
    result, took = status_with(host)
    assert result.returncode == 3, result.stderr
    assert result.stderr.splitlines()[0].startswith(
        f"copr-harness: the Podman API at CONTAINER_HOST={host} does not answer"), result.stderr
    assert took < 30, f"took {took:.1f}s"


@needs_podman
@pytest.mark.parametrize("url", ["ssh://root@127.0.0.1:{port}/run/podman/podman.sock",
                                 "tcp://127.0.0.1:{port}"], ids=["ssh", "tcp"])
def test_a_port_that_never_answers_fails_in_bounded_time(silent_listener, url):
    host = url.format(port=silent_listener)
    result, took = status_with(host)
    assert result.returncode == 3, result.stderr
    assert f"CONTAINER_HOST={host} does not answer within 10s" in result.stderr
    assert "Traceback" not in result.stderr
    assert took < 40, f"took {took:.1f}s"


# -- item 7: down retries what is briefly busy -----------------------------------------------------


class Response:
    def __init__(self, status: int, text: str = "") -> None:
        self.status_code, self.text = status, text
        self.ok = status < 400

    def json(self) -> object:
        raise ValueError("not JSON")  # Podman's plain-text answers, as requests reads them


class BusyApi:
    """Answers DELETE of a container with 'device or resource busy' `busy` times, then 204."""

    def __init__(self, busy: int) -> None:
        self.busy = busy
        self.deletes: list[str] = []

    def delete(self, path: str, params: dict | None = None) -> Response:
        self.deletes.append(path)
        if self.busy:
            self.busy -= 1
            return Response(500, "cleaning up container: unmounting: device or resource busy")
        return Response(204)


class FakeClient:
    def __init__(self, api: BusyApi) -> None:
        self.api = api


def busy_engine(monkeypatch, busy: int) -> tuple[Engine, BusyApi]:
    engine = object.__new__(Engine)
    api = BusyApi(busy)
    engine.client = FakeClient(api)
    monkeypatch.setattr(Engine, "find", lambda self, label: Resources(["ch-x-database"], [], []))
    monkeypatch.setattr(Engine, "_container_ids", lambda self, label, pods: {"abc"})
    return engine, api


def test_down_retries_a_removal_that_is_briefly_busy(monkeypatch):
    engine, api = busy_engine(monkeypatch, busy=2)
    removed = engine.remove_run("ch-x")
    assert removed.containers == ["ch-x-database"]
    assert api.deletes == ["/containers/ch-x-database"] * 3


def test_a_lasting_busy_removal_fails_naming_it(monkeypatch):
    monkeypatch.setattr(engine_module, "BUSY_TIMEOUT", 1.0)
    engine, api = busy_engine(monkeypatch, busy=10**6)
    with pytest.raises(wait.WaitTimeout, match=r"container ch-x-database to be removable .*"
                                               r"device or resource busy"):
        engine.remove_run("ch-x")


def test_another_removal_error_is_not_retried(monkeypatch):
    engine, api = busy_engine(monkeypatch, busy=0)
    api.delete = lambda path, params=None: Response(500, "no space left on device")
    with pytest.raises(InfraError, match=r"removing container ch-x-database failed \(HTTP 500\): no space left"):
        engine.remove_run("ch-x")


def test_a_dead_own_service_is_replaced(monkeypatch):
    """The service killed under a command: the engine starts another (for the teardown)."""
    started = []

    class Service:
        def __init__(self, host):
            self.url, self.stopped = f"unix:///fake/{len(started)}", False
            self.process = subprocess.Popen(["true"])
            self.process.wait()
            started.append(self)

        def start(self):
            self.process = subprocess.Popen(["sleep", "30"])

        def stop(self):
            self.stopped = True
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()

    monkeypatch.setattr(engine_module, "OwnService", Service)
    answering = {"unix:///fake/1"}
    monkeypatch.setattr(engine_module, "answers", lambda url, timeout=10: url in answering)
    dead = Service(None)  # its process has exited
    engine = Engine(dead.url, HostConfig("v2", "runc"), dead)
    assert engine.restart_service()
    assert dead.stopped and engine.service is started[1] and engine.url == "unix:///fake/1"
    assert not engine.restart_service()  # the new one runs and answers: nothing to do
    # Still running but no longer answering (SIGKILLed, not yet gone): stopped and replaced.
    answering.clear()
    dying = engine.service
    assert engine.restart_service()
    assert dying.stopped and engine.service is started[2]
    engine.service.stop()


# -- item 15: exec conmons of a run's containers are ended -----------------------------------------


def fake_conmon(container_id: str, ignore_term: bool = False) -> subprocess.Popen:
    """A process whose command line reads as Podman's exec conmon for `container_id`."""
    code = ("import signal, time\n"
            + ("signal.signal(signal.SIGTERM, signal.SIG_IGN)\n" if ignore_term else "")
            + "time.sleep(300)\n")
    return subprocess.Popen(["bash", "-c", 'exec -a conmon "$0" -c "$1" -- "$@"', sys.executable,
                             code, "--api-version", "1", "-c", container_id, "-n", "ch-x-frontend",
                             "--exec-attach", "--exit-delay", "300"])


def wait_listed(container_id: str, pid: int) -> None:
    def listed() -> None:
        if pid not in conmon.exec_conmons({container_id}):
            raise wait.NotYet(f"{pid} not seen yet")

    wait.until(listed, what=f"process {pid} to look like a conmon", timeout=10)


def test_exec_conmons_of_the_containers_are_found_and_ended():
    """SIGKILL, since a conmon sleeping out its exit delay ignores SIGTERM (the fake does too)."""
    ours, other = "a" * 64, "b" * 64
    mine, theirs = fake_conmon(ours, ignore_term=True), fake_conmon(other)
    try:
        wait_listed(ours, mine.pid)
        wait_listed(other, theirs.pid)
        assert conmon.exec_conmons({ours}) == [mine.pid]
        assert conmon.end_exec_conmons({ours}) == [mine.pid]
        assert mine.wait(timeout=10) == -9
        assert conmon.exec_conmons({ours}) == []
        assert theirs.poll() is None  # another container's conmon is left alone
    finally:
        for process in (mine, theirs):
            process.kill()
            process.wait()


def test_the_own_service_keeps_exec_sessions_briefly():
    conf = HostConfig("v2", "runc").containers_conf()
    engine_section = conf.split("[engine]", 1)[1]
    delay = int(engine_section.split("exit_command_delay = ", 1)[1].split()[0])
    assert 0 < delay <= 30


def test_a_failed_api_call_is_one_line_naming_the_route():
    import requests
    from podman.errors import APIError

    from harness.podman.http import api_failure as _api_failure

    try:
        try:
            raise requests.ConnectionError("Connection refused")
        except requests.ConnectionError as cause:
            raise APIError("http://%2Frun%2Fx%2Fpodman.sock/v5.8.0/libpod/containers/abc/start",
                           explanation="POST operation failed") from cause
    except APIError as error:
        assert _api_failure(error) == ("the Podman API stopped answering: /containers/abc/start "
                                       "(POST operation failed)")
