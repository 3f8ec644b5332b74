"""Unit tests of the keygen's client filter: its own network segment only, never the gateway."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("flask")

from copr_keygen.access import allowed, local_segments, parse_routes  # noqa: E402
from copr_keygen.app import create_app  # noqa: E402
from copr_keygen.config import Settings  # noqa: E402

# A container on 10.89.3.0/24 whose default route goes through the bridge's gateway 10.89.3.1.
ROUTES = """\
Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t0103590A\t0003\t0\t0\t0\t00000000\t0\t0\t0
eth0\t0003590A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
"""


def test_routes_give_the_attached_network_and_its_gateway():
    segments = parse_routes(ROUTES)
    assert [str(n) for n in segments.networks] == ["10.89.3.0/24"]
    assert {str(g) for g in segments.gateways} == {"10.89.3.1"}


@pytest.mark.parametrize("client, expected", [
    ("10.89.3.7", True),                 # the backend, a peer on the segment
    ("127.0.0.1", True), ("::1", True),  # the container itself (probes, tests)
    ("::ffff:10.89.3.7", True),
    ("10.89.3.1", False),                # the host, or traffic routed in from another network
    ("10.89.4.7", False),                # another run's network
    ("192.0.2.9", False), ("fd00::2", False), ("", False), (None, False), ("nonsense", False),
])
def test_only_peers_of_the_segment_are_allowed(client, expected):
    assert allowed(client, parse_routes(ROUTES)) is expected


def test_an_unreadable_route_table_allows_only_loopback(tmp_path):
    segments = local_segments(tmp_path / "missing")
    assert allowed("127.0.0.1", segments) and not allowed("10.89.3.7", segments)


def test_the_app_answers_403_outside_the_segment(tmp_path):
    (tmp_path / "route").write_text(ROUTES)
    settings = Settings(state_dir=tmp_path / "state", route_table=tmp_path / "route")
    client = create_app(settings).test_client()
    assert client.get("/ping", environ_base={"REMOTE_ADDR": "10.89.3.7"}).status_code == 200
    refused = client.post("/gen_key", json={"name_real": "x", "name_email": "x@example.org"},
                          environ_base={"REMOTE_ADDR": "10.89.3.1"})
    assert refused.status_code == 403
    assert client.get("/ping", environ_base={"REMOTE_ADDR": "10.89.9.9"}).status_code == 403
