"""Who may talk to the keygen: only its own network segment (upstream's httpd allows only the
backend's host). The gateway of a segment is refused too: it is the address the container host
has on the bridge, and the one that traffic routed in from other networks is masqueraded to."""

from __future__ import annotations

import ipaddress
import socket
import struct
from dataclasses import dataclass, field
from pathlib import Path

ROUTE_TABLE = Path("/proc/net/route")


@dataclass
class Segments:
    """The IPv4 networks the container is directly attached to, and their gateways."""

    networks: list[ipaddress.IPv4Network] = field(default_factory=list)
    gateways: set[ipaddress.IPv4Address] = field(default_factory=set)


def _address(hex_le: str) -> str:
    """An address as /proc/net/route writes it (hex, little-endian) in dotted form."""
    return socket.inet_ntoa(struct.pack("<L", int(hex_le, 16)))


def parse_routes(text: str) -> Segments:
    """The segments of a /proc/net/route table: routes without a gateway are attached networks,
    the gateways of the others are routers (refused)."""
    found = Segments()
    for line in text.splitlines()[1:]:
        columns = line.split()
        if len(columns) < 8 or columns[0] == "lo":
            continue
        destination, gateway, mask = _address(columns[1]), _address(columns[2]), _address(columns[7])
        if gateway != "0.0.0.0":
            found.gateways.add(ipaddress.IPv4Address(gateway))
        elif mask != "0.0.0.0":
            found.networks.append(ipaddress.IPv4Network(f"{destination}/{mask}", strict=False))
    return found


def allowed(remote: str | None, segments: Segments) -> bool:
    """Whether a client address may use the keygen: loopback, or a peer on an attached segment
    that is not its gateway."""
    try:
        address = ipaddress.ip_address(remote or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.is_loopback:
        return True
    if not isinstance(address, ipaddress.IPv4Address) or address in segments.gateways:
        return False
    return any(address in network for network in segments.networks)


def local_segments(table: Path = ROUTE_TABLE) -> Segments:
    """This host's segments, read now (the container may be attached to networks later)."""
    try:
        return parse_routes(table.read_text())
    except OSError:
        return Segments()
