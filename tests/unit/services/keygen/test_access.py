"""Unit tests of the keygen's client filter: only the backend's addresses (and loopback)."""

from __future__ import annotations

import ipaddress

import pytest

pytest.importorskip("flask")

from copr_keygen.access import allowed, backend_addresses  # noqa: E402
from copr_keygen.app import create_app  # noqa: E402
from copr_keygen.config import Settings  # noqa: E402

BACKEND = {ipaddress.ip_address("10.89.3.7")}


@pytest.mark.parametrize("client, expected", [
    ("10.89.3.7", True),                 # the backend
    ("::ffff:10.89.3.7", True),
    ("127.0.0.1", True), ("::1", True),  # the container itself (probes, tests)
    ("10.89.3.8", False),                # a builder on the same network
    ("10.89.3.1", False),                # the host, or traffic routed in from another network
    ("10.89.4.7", False),                # another run's network
    ("192.0.2.9", False), ("fd00::2", False), ("", False), (None, False), ("nonsense", False),
])
def test_only_the_backend_is_allowed(client, expected):
    assert allowed(client, BACKEND) is expected


def test_backend_addresses_are_resolved_now_and_unknown_names_give_none():
    assert backend_addresses(("localhost", "no-such-host.invalid")) >= {ipaddress.ip_address("127.0.0.1")}
    assert backend_addresses(("no-such-host.invalid",)) == set()
    assert backend_addresses(()) == set()


def test_the_backend_hosts_come_from_the_stack_environment():
    assert Settings.from_env({"BACKEND_HOSTS": "backend"}).backend_hosts == ("backend",)
    assert Settings.from_env({}).backend_hosts == ()


def test_the_app_answers_403_to_anyone_but_the_backend(tmp_path):
    settings = Settings(state_dir=tmp_path / "state", backend_hosts=("backend",))
    app = create_app(settings, resolve=lambda hosts: BACKEND if hosts == ("backend",) else set())
    client = app.test_client()
    assert client.get("/ping", environ_base={"REMOTE_ADDR": "10.89.3.7"}).status_code == 200
    assert client.get("/ping").status_code == 200  # loopback: the probe
    for builder in ("10.89.3.8", "10.89.3.1"):
        refused = client.post("/sign/alice%23p@copr.fedorahosted.org?hash=sha256", data=b"\xed\xab\xee\xdb",
                              environ_base={"REMOTE_ADDR": builder})
        assert refused.status_code == 403 and refused.data == b"only the backend may use the keygen\n"
        gen = client.post("/gen_key", json={"name_real": "x", "name_email": "x@example.org"},
                          environ_base={"REMOTE_ADDR": builder})
        assert gen.status_code == 403
