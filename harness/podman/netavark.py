"""What netavark leaves of a removed network whose teardown never ran, found and removed.

Podman sets up a container's network (bridge, NAT and forwarding rules, the DNAT rule of each
published port, the aardvark-dns entry) before it records the container as running. A service
killed between the two (the harness's own service killed under `up`, an OOM kill) leaves that
set-up behind when the container is removed later: Podman does not tear down what it never
recorded. The leftovers outlive the network and break later runs: a stale DNAT rule sends a new
container's published port (Podman picks ports without looking at the firewall) to an address
that no longer exists, so its readiness probe sees "connection refused" until it times out.

After removing a run's networks, and in `gc`, the harness removes what belongs to no network
Podman still has. It reads the firewall, DNS files and bridges first and Podman's networks
second: a network created in between is in the second list, so nothing of it is taken for a
leftover. Rootful only: a rootless network lives in a namespace that goes with its containers.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

AARDVARK_DIR = Path("/run/containers/networks/aardvark-dns")
BRIDGE = re.compile(r"podman\d+")  # netavark's names for the bridges it creates
DNAT_NAME = re.compile(r'dnat name: (\S+) id:')
COMMAND_TIMEOUT = 30  # seconds one iptables or ip command may take


@dataclass(frozen=True)
class Live:
    """Podman's networks now: their names, subnets and bridge interfaces."""

    names: frozenset[str]
    subnets: frozenset[str]
    interfaces: frozenset[str]

    @classmethod
    def from_attrs(cls, networks: list[dict]) -> "Live":
        """From the attrs of Podman's network list."""
        names, subnets, interfaces = set(), set(), set()
        for network in networks:
            names.add(network.get("name", ""))
            interfaces.add(network.get("network_interface", ""))
            subnets |= {str(ipaddress.ip_network(s["subnet"], strict=False))
                        for s in network.get("subnets") or [] if s.get("subnet")}
        return cls(frozenset(names), frozenset(subnets), frozenset(interfaces))


@dataclass
class Leftovers:
    """Commands that remove what netavark left of removed networks."""

    nat: list[list[str]] = field(default_factory=list)
    filter: list[list[str]] = field(default_factory=list)
    dns_files: list[str] = field(default_factory=list)
    bridges: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.nat or self.filter or self.dns_files or self.bridges)

    def summary(self) -> str:
        rules = sum(1 for args in self.nat + self.filter if args[0] == "-D")
        return (f"{rules} firewall rules, {len(self.dns_files)} DNS files, "
                f"{len(self.bridges)} bridges")


def _subnet(value: str) -> str | None:
    try:
        return str(ipaddress.ip_network(value, strict=False))
    except ValueError:
        return None


def _rules(text: str) -> list[list[str]]:
    """`iptables -S` output as argument lists, `-A` rules only."""
    return [args for line in text.splitlines() if (args := shlex.split(line))[:1] == ["-A"]]


def _value(args: list[str], flag: str) -> str | None:
    return args[args.index(flag) + 1] if flag in args[:-1] else None


def nat_leftovers(text: str, live: Live) -> list[list[str]]:
    """From `iptables -t nat -S`: delete the port DNAT rules naming a removed network and the
    source NAT jump of a removed subnet, then flush and delete the chains they jumped to."""
    deletes, chains = [], []
    for args in _rules(text):
        chain, target = args[1], _value(args, "-j")
        if chain == "NETAVARK-HOSTPORT-DNAT":
            found = DNAT_NAME.search(_value(args, "--comment") or "")
            gone = found is not None and found.group(1) not in live.names
        elif chain == "POSTROUTING" and (target or "").startswith("NETAVARK-") and target != "NETAVARK-HOSTPORT-MASQ":
            subnet = _subnet(_value(args, "-s") or "")
            gone = subnet is not None and subnet not in live.subnets
        else:
            continue
        if gone:
            deletes.append(["-D", *args[1:]])
            if target and target not in chains:
                chains.append(target)
    return deletes + [[flag, chain] for chain in chains for flag in ("-F", "-X")]


def filter_leftovers(text: str, live: Live) -> list[list[str]]:
    """From `iptables -S`: the forwarding rules of removed subnets and the isolation rules of
    removed bridges."""
    deletes = []
    for args in _rules(text):
        chain = args[1]
        if chain == "NETAVARK_FORWARD":
            subnet = _subnet(_value(args, "-d") or _value(args, "-s") or "")
            gone = subnet is not None and subnet not in live.subnets
        elif chain.startswith("NETAVARK_ISOLATION"):
            bridge = _value(args, "-i") or _value(args, "-o") or ""
            gone = bool(BRIDGE.fullmatch(bridge)) and bridge not in live.interfaces
        else:
            continue
        if gone:
            deletes.append(["-D", *args[1:]])
    return deletes


def find(nat: str, filter_: str, dns_files: list[str], bridges: list[str], live: Live) -> Leftovers:
    """Everything in the given snapshot that belongs to no live network."""
    return Leftovers(
        nat=nat_leftovers(nat, live),
        filter=filter_leftovers(filter_, live),
        dns_files=sorted(n for n in dns_files if n != "aardvark.pid" and n not in live.names),
        bridges=sorted(b for b in bridges if BRIDGE.fullmatch(b) and b not in live.interfaces),
    )


def applies() -> bool:
    """Whether this host can have leftovers the harness may remove: root, with iptables."""
    return os.geteuid() == 0 and shutil.which("iptables") is not None and shutil.which("ip") is not None


def _run(command: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=COMMAND_TIMEOUT)


def snapshot() -> tuple[str, str, list[str], list[str]]:
    """The NAT and filter rules, aardvark-dns's network files and the host's interfaces."""
    nat = _run(["iptables", "-t", "nat", "-S"]).stdout
    filter_ = _run(["iptables", "-t", "filter", "-S"]).stdout
    dns = sorted(p.name for p in AARDVARK_DIR.iterdir()) if AARDVARK_DIR.is_dir() else []
    links = json.loads(_run(["ip", "-j", "link", "show"]).stdout or "[]")
    return nat, filter_, dns, [link["ifname"] for link in links]


def remove(left: Leftovers) -> Leftovers:
    """Run the removals; return those that took effect (another teardown may have raced us)."""
    done = Leftovers()
    for table, commands, out in (("nat", left.nat, done.nat), ("filter", left.filter, done.filter)):
        for args in commands:
            if _run(["iptables", "-t", table, *args]).returncode == 0:
                out.append(args)
    for name in left.dns_files:
        try:
            (AARDVARK_DIR / name).unlink()
            done.dns_files.append(name)
        except FileNotFoundError:
            pass
    if done.dns_files:
        _reload_aardvark()
    for bridge in left.bridges:
        if _run(["ip", "link", "delete", bridge]).returncode == 0:
            done.bridges.append(bridge)
    return done


def _reload_aardvark() -> None:
    """aardvark-dns rereads its network files on SIGHUP."""
    try:
        os.kill(int((AARDVARK_DIR / "aardvark.pid").read_text().strip()), signal.SIGHUP)
    except (OSError, ValueError):
        pass
