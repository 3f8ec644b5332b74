"""How this host plays an export: one component at a time, names from /etc/hosts."""

from __future__ import annotations

from types import SimpleNamespace

import yaml

from harness.kube import manifests as kube
from harness.kube import play as kube_play
from harness.model.components import start_order
from harness.podman.engine import ExecResult

COMPONENTS = ["database", "frontend", "backend", "distgit", "keygen", "builder"]
SECRETS = {"db_password": "a", "backend_password": "b", "broker_password": "d", "builder_ssh_key": "c",
           "builder_ssh_pubkey": "d"}


class PlayingEngine:
    """Records plays (each pod's name and /etc/hosts aliases), readiness and /etc/hosts writes."""

    host = SimpleNamespace(infra_image="elsewhere/pause")

    def __init__(self, events: list) -> None:
        self.events = events
        self.addresses: dict[str, str] = {}

    def create_volume(self, *args) -> None:
        pass

    def create_secret(self, *args) -> None:
        pass

    def play_kube(self, manifest: str, network: str) -> None:
        pods = [d for d in yaml.safe_load_all(manifest) if d["kind"] == "Pod"]
        assert not [p for p in pods if "initContainers" in p["spec"]]  # the harness waits
        aliases = {p["metadata"]["name"]: [h for a in p["spec"].get("hostAliases", [])
                                           for h in a["hostnames"]] for p in pods}
        self.events.append(("play", aliases))

    def address(self, name: str, network: str) -> str:
        return self.addresses.setdefault(name, f"10.89.0.{len(self.addresses) + 2}")

    def exec(self, name: str, command: list[str], **kwargs) -> ExecResult:
        self.events.append(("hosts", name, command[-1]))
        return ExecResult(0, "")


def test_each_component_is_played_once_the_previous_ones_are_ready_and_known_by_address(
        monkeypatch, tmp_path):
    ports = {"frontend": 41001, "backend": 41002, "distgit": 41003}
    files = kube.manifests("ch-kube-2", COMPONENTS, {c: f"img-{c}:1" for c in COMPONENTS}, ports,
                           SECRETS)
    made = kube_play.Export("ch-kube-2", COMPONENTS, None, files, ports, tmp_path / "s.yaml")
    events: list = []
    engine = PlayingEngine(events)
    monkeypatch.setattr(kube_play, "claim", lambda *a: SimpleNamespace(owner="me"))
    monkeypatch.setattr(kube_play, "settle", lambda *a, **k: events.append(("users",)))
    monkeypatch.setattr(kube_play, "_wait_ready",
                        lambda engine, name, component, port: events.append(("ready", component)))
    kube_play.play(engine, made)

    plays = [e for e in events if e[0] == "play"]
    order = [c for wave in start_order(COMPONENTS) for c in wave]
    assert len(plays) == len(order)
    seen: list[str] = []  # host names of the instances played so far
    for component, (_, aliases) in zip(order, plays):
        pods = [d["metadata"]["name"] for d in files[f"{component}.yaml"] if d["kind"] == "Pod"]
        assert sorted(aliases) == sorted(pods)
        for pod_aliases in aliases.values():
            assert pod_aliases == sorted(seen)  # every earlier instance, none later
        # played, then each instance waited for, before the next play
        at = events.index(("play", aliases))
        assert events[at + 1:at + 1 + len(pods)] == [("ready", component)] * len(pods)
        seen += pods  # a Pod is named as its host name
    # at the end every container learns every name (the earlier ones, the later ones too)
    writes = [e for e in events if e[0] == "hosts"]
    assert len(writes) == sum(1 for d in files.values() for p in d if p["kind"] == "Pod")
    for _, _, script in writes:
        assert all(f"\t{name}\n" in script for name in seen)
    assert events[-1] == ("users",)
    # the written manifests keep what a cluster needs
    assert all(p["spec"]["initContainers"] for p in files["frontend.yaml"] if p["kind"] == "Pod")
