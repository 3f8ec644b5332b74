"""The played stack's error messages: a failed init container names what it waited for."""

from harness.kube.play import _init_log
from tests.support.fake_engine import FakeEngine


def test_a_failed_init_container_shows_which_dependency_it_gave_up_on():
    engine = FakeEngine()
    engine.logs_text["894fcbf20e79"] = "gave up waiting for ch-x-database:5432 after 300s\n"
    text = _init_log(engine, "playing YAML file: init container 894fcbf20e79 exited with code 1")
    assert "gave up waiting for ch-x-database:5432" in text
    assert _init_log(engine, "no such image") == "(Podman named no init container)"
