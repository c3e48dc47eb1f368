# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules the linux_firewall role loaded, read inside each lab namespace.

The expected inbound rules of the example fleet (examples/lab/inventory.yml) are
written by hand from the vendor's 2.7.1 table, not from the code:
- bo1 (backend + agent handler, co-located): TCP 443 from the separate agent
  handler ah2 and the console con1 (2.6, legacy) and from the agents (2.7.1);
  TCP 8443 from ah2 and con1 (2.7.1); TCP 10443 from the SIEM (public API);
  TCP 17000 from the agents (agents before 2.7.1).
- ah2 (agent handler): TCP 443 and TCP 17000 from the agents.
- sql1: TCP 1433, TCP 1434, UDP 1434 from the backend.
- log1: TCP 1468, UDP 514, TCP 5614 from both agent handlers.
- con1 and the agents serve nothing.
Cleanup removes the legacy ones (bo1's TCP 443 from ah2 and con1).

Environment: SES_LAB_PREFIX (the lab), SES_LAB_BACKEND (nftables|iptables),
SES_LAB_PHASE (migrate|cleanup).
"""

from __future__ import annotations

import ipaddress
import os
import re

import pytest

__metaclass__ = type

BACKEND = os.environ.get("SES_LAB_BACKEND", "nftables")
PHASE = os.environ.get("SES_LAB_PHASE", "migrate")

BO1, AH2, CON1, SQL1, LOG1 = "10.77.0.11", "10.77.0.12", "10.77.0.21", "10.77.0.31", "10.77.0.41"
AGENTS = ("10.77.0.101", "10.77.0.102")
SIEM = "10.77.0.60"

EXPECTED_IN = {
    "bo1": {("tcp", 443, AH2), ("tcp", 443, CON1)} | {("tcp", 443, a) for a in AGENTS}
    | {("tcp", 8443, AH2), ("tcp", 8443, CON1), ("tcp", 10443, SIEM)} | {("tcp", 17000, a) for a in AGENTS},
    "ah2": {("tcp", 443, a) for a in AGENTS} | {("tcp", 17000, a) for a in AGENTS},
    "sql1": {("tcp", 1433, BO1), ("tcp", 1434, BO1), ("udp", 1434, BO1)},
    "log1": {(p, n, s) for p, n in (("tcp", 1468), ("udp", 514), ("tcp", 5614)) for s in (BO1, AH2)},
    "con1": set(),
    "agent-old": set(),
    "agent-new": set(),
}
LEGACY_IN = {"bo1": {("tcp", 443, AH2), ("tcp", 443, CON1)}}


def expected_in(host):
    rules = set(EXPECTED_IN[host])
    if PHASE == "cleanup":
        rules -= LEGACY_IN.get(host, set())
    return rules


def _addresses(text):
    """Each address of an nft set '{ a/32, b-c }' (nft lists adjacent addresses as a range) or 'a/32'."""
    out = set()
    for item in text.strip("{} ").split(","):
        item = item.strip()
        if "-" in item:
            first, last = (ipaddress.ip_address(end) for end in item.split("-"))
            out.update(str(ipaddress.ip_address(int(first) + i)) for i in range(int(last) - int(first) + 1))
            continue
        network = ipaddress.ip_network(item)
        out.update(str(address) for address in (network if network.num_addresses <= 256 else [network]))
    return out


def inbound_nftables(host):
    listing = host.check_output("nft list table inet ses_evolution")
    assert re.search(r"hook input priority \S+; policy drop;", listing), listing
    chain = listing.split("chain input", 1)[1].split("chain ", 1)[0]
    found = set()
    for peers, protocol, port in re.findall(r"ip6? saddr (\{[^}]*\}|\S+) (tcp|udp) dport (\d+) accept", chain):
        found.update((protocol, int(port), address) for address in _addresses(peers))
    return found


def inbound_iptables(host):
    listing = host.check_output("iptables-save -t filter")
    assert re.search(r"^-A INPUT .*-j SES_IN$", listing, re.M), listing
    found = set()
    for line in listing.splitlines():
        match = re.match(r"-A SES_IN -s (\S+) -p (tcp|udp) .*--dport (\d+) .*-j ACCEPT$", line)
        if match:
            found.update((match.group(2), int(match.group(3)), a) for a in _addresses(match.group(1)))
    assert re.search(r"^-A SES_IN .*-j DROP$", listing, re.M), "SES_IN must end with a drop"
    return found


@pytest.mark.parametrize("name", sorted(EXPECTED_IN))
def test_inbound_rules_match_the_vendor_table(lab_host, name):
    host = lab_host(name)
    found = inbound_nftables(host) if BACKEND == "nftables" else inbound_iptables(host)
    assert found == expected_in(name)


def test_the_bridge_namespace_has_no_rules(lab_host):
    bridge = lab_host("bridge")
    assert "ses_evolution" not in bridge.check_output("nft list tables")
    assert "SES_IN" not in bridge.check_output("iptables-save")


@pytest.mark.parametrize("name", ["bo1", "sql1"])
def test_lab_services_still_listen(lab_host, lab, name):
    host = lab_host(name)
    for port in lab["hosts"][name]["tcp"]:
        assert host.socket("tcp://0.0.0.0:%d" % port).is_listening or host.socket("tcp://:::%d" % port).is_listening
