"""Who may talk to the keygen: the backend only, as upstream's httpd configuration allows only the
backend's host. Builds run on builders on the same network: an address check by network segment
would let build code sign with any project's key.

The backend's addresses are resolved at each request (a restarted backend may get a new one).
Containers cannot forge a source address: the harness drops NET_RAW and NET_ADMIN.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def backend_addresses(hosts: Iterable[str]) -> set[Address]:
    """The addresses the backend's host names resolve to now (names that do not resolve: none)."""
    found: set[Address] = set()
    for host in hosts:
        try:
            infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError):
            continue
        found.update(ipaddress.ip_address(info[4][0]) for info in infos)
    return found


def allowed(remote: str | None, backend: set[Address]) -> bool:
    """Whether a client address may use the keygen: loopback (its probe) or the backend."""
    try:
        address = ipaddress.ip_address(remote or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback or address in backend
