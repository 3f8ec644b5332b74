"""Fixed addresses for a run's containers, and the host names every container resolves without
DNS: aardvark-dns stops answering for 15 to 25 s right after containers of a network come and go
(the rehearsal's builder step), and the stack's services would wait on it (README: Host quirks).
A container keeps its address across restarts, and a replaced one gets its predecessor's."""

from __future__ import annotations

import ipaddress

from harness.errors import InfraError
from harness.model.components import Instance

# The first address handed out: below it are the gateway (where aardvark-dns answers) and room.
FIRST = 10


def plan(subnet: str, instances: list[Instance]) -> dict[str, str]:
    """Container name -> address: the instances in name order from the subnet's FIRST address on
    (the same plan for the same run, whoever makes it: `up`, or the window replacing builders)."""
    network = ipaddress.ip_network(subnet, strict=False)
    names = sorted(instance.name for instance in instances)
    if FIRST + len(names) >= network.num_addresses - 1:
        raise InfraError(f"the run's network {subnet} has too few addresses for {len(names)} containers")
    return {name: str(network.network_address + FIRST + index) for index, name in enumerate(names)}


def hosts(instances: list[Instance], planned: dict[str, str]) -> dict[str, str]:
    """Host name -> address: every alias of every instance (each container's /etc/hosts)."""
    return {alias: planned[instance.name] for instance in instances for alias in instance.aliases}
