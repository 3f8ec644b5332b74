"""The played stack's error messages: a failed init container names what it waited for."""

from harness.kube.play import _init_log
from tests.support.fake_engine import FakeEngine


def test_a_failed_init_container_shows_which_dependency_it_gave_up_on():
    engine = FakeEngine()
    engine.logs_text["894fcbf20e79"] = "gave up waiting for ch-x-database:5432 after 300s\n"
    text = _init_log(engine, "playing YAML file: init container 894fcbf20e79 exited with code 1")
    assert "gave up waiting for ch-x-database:5432" in text
    assert _init_log(engine, "no such image") == "(Podman named no init container)"


def test_each_component_is_played_once_the_previous_one_is_ready(monkeypatch, tmp_path):
    """A pod joining the network makes aardvark-dns reload, and a lookup meanwhile fails: so no
    component is played while an earlier one is still starting."""
    from types import SimpleNamespace

    import yaml

    from harness.kube import manifests as kube
    from harness.kube import play as kube_play
    from harness.model.components import start_order

    components = ["database", "frontend", "backend", "distgit", "keygen", "builder"]
    tags = {c: f"localhost/copr-harness/{c}-installed:abc123" for c in components}
    ports = {"frontend": 41001, "backend": 41002, "distgit": 41003}
    secrets = {"db_password": "a", "backend_password": "b", "builder_ssh_key": "c",
               "builder_ssh_pubkey": "d"}
    files = kube.manifests("ch-kube-2", components, tags, ports, secrets)
    made = kube_play.Export("ch-kube-2", components, None, files, ports, tmp_path / "s.yaml")
    events: list[tuple[str, str]] = []

    class Engine:
        host = SimpleNamespace(infra_image="elsewhere/pause")

        def create_volume(self, *args):
            pass

        def create_secret(self, *args):
            pass

        def play_kube(self, manifest, network):
            pods = [d["metadata"]["name"] for d in yaml.safe_load_all(manifest) if d["kind"] == "Pod"]
            events.append(("play", " ".join(pods)))

    monkeypatch.setattr(kube_play, "claim", lambda *a: SimpleNamespace(owner="me"))
    monkeypatch.setattr(kube_play, "settle", lambda *a, **k: None)
    monkeypatch.setattr(kube_play, "_wait_ready",
                        lambda engine, name, component, port: events.append(("ready", component)))
    kube_play.play(Engine(), made)

    order = [c for wave in start_order(components) for c in wave]
    expected = []
    for component in order:
        count = sum(1 for d in files[f"{component}.yaml"] if d["kind"] == "Pod")
        expected.append(("play", component))
        expected += [("ready", component)] * count
    assert [kind for kind, _ in events] == [kind for kind, _ in expected]
    for (kind, what), (_, component) in zip(events, expected):
        if kind == "play":  # every pod of this play is an instance of that component
            assert all(name.endswith(component) or f"-{component}-" in name for name in what.split())
        else:
            assert what == component
