"""What netavark left of removed networks, found in a snapshot of the firewall, DNS files and
bridges (the text is what Podman 4.3's netavark wrote on Debian 12)."""

from __future__ import annotations

from harness.podman.netavark import Leftovers, Live, filter_leftovers, find, nat_leftovers

NAT = """\
-P PREROUTING ACCEPT
-N NETAVARK-02AD4E861691B
-N NETAVARK-DN-02AD4E861691B
-N NETAVARK-1A2B3C4D5E6F7
-A PREROUTING -m addrtype --dst-type LOCAL -j NETAVARK-HOSTPORT-DNAT
-A POSTROUTING -j NETAVARK-HOSTPORT-MASQ
-A POSTROUTING -s 10.89.2.0/24 -j NETAVARK-02AD4E861691B
-A POSTROUTING -s 10.89.1.0/24 -j NETAVARK-1A2B3C4D5E6F7
-A NETAVARK-02AD4E861691B -d 10.89.2.0/24 -j ACCEPT
-A NETAVARK-DN-02AD4E861691B -d 127.0.0.1/32 -p tcp -m tcp --dport 39195 -j DNAT --to-destination 10.89.2.3:5000
-A NETAVARK-HOSTPORT-DNAT -p tcp -m tcp --dport 39195 -m comment --comment "dnat name: ch-old-net id: 7ecf" -j NETAVARK-DN-02AD4E861691B
-A NETAVARK-HOSTPORT-DNAT -p tcp -m tcp --dport 40001 -m comment --comment "dnat name: ch-new-net id: 9abc" -j NETAVARK-DN-1A2B3C4D5E6F7
"""

FILTER = """\
-A FORWARD -j NETAVARK_ISOLATION_1
-A NETAVARK_FORWARD -d 10.89.2.0/24 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A NETAVARK_FORWARD -s 10.89.2.0/24 -j ACCEPT
-A NETAVARK_FORWARD -s 10.89.1.0/24 -j ACCEPT
-A NETAVARK_ISOLATION_1 -i podman3 ! -o podman3 -j NETAVARK_ISOLATION_2
-A NETAVARK_ISOLATION_1 -i podman2 ! -o podman2 -j NETAVARK_ISOLATION_2
-A NETAVARK_ISOLATION_2 -o podman3 -j DROP
"""

LIVE = Live.from_attrs([
    {"name": "podman", "network_interface": "podman0", "subnets": [{"subnet": "10.88.0.0/16"}]},
    {"name": "ch-new-net", "network_interface": "podman2", "subnets": [{"subnet": "10.89.1.0/24"}]},
])


def test_the_dnat_rule_and_nat_chains_of_a_removed_network_go_and_a_live_ones_stay():
    commands = nat_leftovers(NAT, LIVE)
    assert commands == [
        ["-D", "POSTROUTING", "-s", "10.89.2.0/24", "-j", "NETAVARK-02AD4E861691B"],
        ["-D", "NETAVARK-HOSTPORT-DNAT", "-p", "tcp", "-m", "tcp", "--dport", "39195", "-m",
         "comment", "--comment", "dnat name: ch-old-net id: 7ecf", "-j", "NETAVARK-DN-02AD4E861691B"],
        ["-F", "NETAVARK-02AD4E861691B"], ["-X", "NETAVARK-02AD4E861691B"],
        ["-F", "NETAVARK-DN-02AD4E861691B"], ["-X", "NETAVARK-DN-02AD4E861691B"],
    ]


def test_forward_and_isolation_rules_of_a_removed_subnet_and_bridge_go():
    assert filter_leftovers(FILTER, LIVE) == [
        ["-D", "NETAVARK_FORWARD", "-d", "10.89.2.0/24", "-m", "conntrack", "--ctstate",
         "RELATED,ESTABLISHED", "-j", "ACCEPT"],
        ["-D", "NETAVARK_FORWARD", "-s", "10.89.2.0/24", "-j", "ACCEPT"],
        ["-D", "NETAVARK_ISOLATION_1", "-i", "podman3", "!", "-o", "podman3", "-j",
         "NETAVARK_ISOLATION_2"],
        ["-D", "NETAVARK_ISOLATION_2", "-o", "podman3", "-j", "DROP"],
    ]


def test_dns_files_and_bridges_of_removed_networks_only():
    left = find("", "", ["aardvark.pid", "ch-old-net", "ch-new-net"],
                ["lo", "eth0", "podman0", "podman2", "podman3", "veth1"], LIVE)
    assert left.dns_files == ["ch-old-net"]
    assert left.bridges == ["podman3"]


def test_nothing_left_when_every_network_lives():
    live = Live.from_attrs([
        {"name": "ch-old-net", "network_interface": "podman3", "subnets": [{"subnet": "10.89.2.0/24"}]},
        {"name": "ch-new-net", "network_interface": "podman2", "subnets": [{"subnet": "10.89.1.0/24"}]},
    ])
    assert not find(NAT, FILTER, ["aardvark.pid", "ch-old-net"], ["podman2", "podman3"], live)


def test_summary_counts_rules_not_chain_flushes():
    left = Leftovers(nat=[["-D", "X"], ["-F", "C"], ["-X", "C"]], filter=[["-D", "Y"]],
                     dns_files=["a"], bridges=["podman3", "podman4"])
    assert left.summary() == "2 firewall rules, 1 DNS files, 2 bridges"
