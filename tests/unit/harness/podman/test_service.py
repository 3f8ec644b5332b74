"""Finding the Podman API socket."""

from harness.podman.service import candidate_sockets


def test_container_host_wins():
    assert candidate_sockets({"CONTAINER_HOST": "unix:///x.sock"}, 0) == ["unix:///x.sock"]


def test_rootful_then_rootless():
    urls = candidate_sockets({"XDG_RUNTIME_DIR": "/run/user/1000"}, 0)
    assert urls == ["unix:///run/podman/podman.sock", "unix:///run/user/1000/podman/podman.sock"]
    assert candidate_sockets({"XDG_RUNTIME_DIR": "/run/user/1000"}, 1000) == urls[1:]
