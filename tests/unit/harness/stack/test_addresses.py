"""The fixed addresses of a run's containers and the host names each container knows."""

from __future__ import annotations

import pytest

from harness.errors import InfraError
from harness.model.components import Instance
from harness.stack import addresses

INSTANCES = [Instance("r-frontend", "frontend", ["frontend"]),
             Instance("r-builder-2", "builder-2", ["builder-2"]),
             Instance("r-builder-1", "builder-1", ["builder-1"]),
             Instance("r-backend", "backend", ["backend", "copr-be"])]


def test_each_container_gets_its_own_address_from_the_tenth_on_in_name_order():
    planned = addresses.plan("10.89.3.0/24", INSTANCES)
    assert planned == {"r-backend": "10.89.3.10", "r-builder-1": "10.89.3.11",
                       "r-builder-2": "10.89.3.12", "r-frontend": "10.89.3.13"}
    # Whoever plans it (up, or the window replacing builders) gets the same plan.
    assert addresses.plan("10.89.3.0/24", list(reversed(INSTANCES))) == planned


def test_every_alias_of_every_instance_is_a_host_entry():
    planned = addresses.plan("10.89.3.0/24", INSTANCES)
    assert addresses.hosts(INSTANCES, planned) == {
        "frontend": "10.89.3.13", "builder-2": "10.89.3.12", "builder-1": "10.89.3.11",
        "backend": "10.89.3.10", "copr-be": "10.89.3.10"}


def test_a_network_too_small_is_named():
    with pytest.raises(InfraError, match="10.89.3.0/29 has too few addresses for 4 containers"):
        addresses.plan("10.89.3.0/29", INSTANCES)


def test_a_fixed_address_comes_with_a_mac_address_made_from_it():
    """A restarted container keeps its MAC with its address: its peers' ARP entries stay right."""
    from harness.podman.containers import Containers, mac_for
    assert mac_for("10.89.0.14") == "02:42:0a:59:00:0e"
    assert Containers._fixed("10.89.3.255") == {"static_ips": ["10.89.3.255"],
                                                "static_mac": "02:42:0a:59:03:ff"}
    assert Containers._fixed(None) == {}
