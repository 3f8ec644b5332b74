"""Memory readings: the engine's stats call (with a fake Podman client) and the peak sampler."""

from __future__ import annotations

import threading

from harness.errors import InfraError
from harness.podman.engine import Engine
from harness.stack import memory


class _Response:
    def __init__(self, body: dict, status: int = 200) -> None:
        self.body, self.status_code = body, status

    def json(self) -> dict:
        return self.body


class _Named:
    def __init__(self, name: str) -> None:
        self.name = name


class FakeClient:
    """Podman's answers: a stats call naming a container that is gone returns Stats null."""

    def __init__(self, running: list[str], usage: dict[str, int]) -> None:
        self.running, self.usage, self.calls = running, usage, []
        self.containers = self
        self.api = self

    def list(self, filters: dict) -> list[_Named]:
        return [_Named(name) for name in self.running]

    def get(self, path: str, params: dict) -> _Response:
        names = params["containers"]
        self.calls.append(list(names))
        if any(name not in self.usage for name in names):
            return _Response({"Error": {}, "Stats": None})
        return _Response({"Error": None,
                          "Stats": [{"Name": n, "MemUsage": self.usage[n]} for n in names]})

    def close(self) -> None:
        pass


def fake_engine(client: FakeClient) -> Engine:
    engine = Engine.__new__(Engine)
    engine.client = client
    engine.url, engine.host, engine.service = "unix:///fake", None, None
    return engine


def test_usage_asks_once_for_every_running_container_of_the_run():
    client = FakeClient(["r-a", "r-b"], {"r-a": 100, "r-b": 50})
    assert memory.usage(fake_engine(client), "r") == {"r-a": 100, "r-b": 50}
    assert client.calls == [["r-a", "r-b"]]


def test_a_container_that_vanished_is_left_out():
    client = FakeClient(["r-a", "r-gone", "r-b"], {"r-a": 100, "r-b": 50})
    assert memory.usage(fake_engine(client), "r") == {"r-a": 100, "r-b": 50}
    assert client.calls == [["r-a", "r-gone", "r-b"], ["r-a"], ["r-gone"], ["r-b"]]


def test_no_running_container_means_no_usage():
    client = FakeClient([], {})
    assert memory.usage(fake_engine(client), "r") == {}
    assert client.calls == []


def test_peaks_keep_the_highest_total_with_its_breakdown_and_each_containers_highest():
    peaks = memory.Peaks()
    peaks.add({"r-a": 100, "r-b": 10})
    peaks.add({"r-a": 50, "r-b": 80})  # total 130: the new peak, though r-a was higher before
    peaks.add({"r-a": 20})
    assert peaks.total == 130
    assert peaks.by_component("r") == {"a": 50, "b": 80}
    assert peaks.per_container == {"r-a": 100, "r-b": 80}
    assert peaks.samples == 3


class _SteppingEngine:
    """An engine whose usage grows on each call and that says when enough samples were taken."""

    def __init__(self) -> None:
        self.n = 0
        self.enough = threading.Event()
        self.client = FakeClient([], {})

    def connection(self) -> "_SteppingEngine":
        return self

    def close(self) -> None:
        self.closed = True

    def memory_usage(self, label: str) -> dict[str, int]:
        self.n += 1
        if self.n == 2:
            raise InfraError("the service hiccuped")
        if self.n >= 4:
            self.enough.set()
        return {"r-x": self.n * 10}


def test_sampler_records_peaks_until_stopped_and_survives_a_failed_sample():
    engine = _SteppingEngine()
    sampler = memory.Sampler(engine, "r", period=0.01).start()  # type: ignore[arg-type]
    assert engine.enough.wait(30), "the sampler never sampled four times"
    peaks = sampler.stop()
    assert peaks.total == engine.n * 10  # the last sample is the highest
    assert peaks.samples == engine.n - 1
    assert sampler.errors == ["the service hiccuped"]
    calls = engine.n
    assert not sampler._thread.is_alive() and engine.n == calls
    assert engine.closed
