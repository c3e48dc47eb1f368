# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the scale work in the engine must not change: exact agent peers, shared lists, the GC state."""

from __future__ import annotations

import gc
import ipaddress

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.matrix import compute_matrix

__metaclass__ = type


def fleet(agent_count):
    groups = {"ses_backends": ["bo1"], "ses_agent_handlers": ["bo1", "ah1", "ah2"], "ses_consoles": ["con1"],
              "ses_agents": []}
    hostvars = {"bo1": {"ses_address": "10.0.0.1", "ses_version": "2.7.1"},
                "ah1": {"ses_address": "10.0.0.2", "ses_version": "2.7.1",
                        "ses_agent_networks": ["172.16.0.0/22"]},
                "ah2": {"ses_address": "10.0.0.3", "ses_version": "2.6.3"},
                "con1": {"ses_address": "2001:db8::21", "ses_version": "2.7.1"}}
    # Blocks of 300 agents every 512 addresses, plus a few IPv6 agents.
    addresses = []
    for index in range(agent_count):
        if index % 97 == 0:
            address = ipaddress.ip_address("2001:db8:a::%x" % index)
        else:
            address = ipaddress.ip_address("10.64.0.0") + (index // 300) * 512 + index % 300
        addresses.append(address)
        name = "agent%05d" % index
        groups["ses_agents"].append(name)
        hostvars[name] = {"ses_address": str(address), "ses_version": "2.7.1"}
    return groups, hostvars, addresses


def expected_peers(networks):
    v4 = [ipaddress.ip_network(net) for net in networks if ipaddress.ip_network(net).version == 4]
    v6 = [ipaddress.ip_network(net) for net in networks if ipaddress.ip_network(net).version == 6]
    return [str(net) for net in ipaddress.collapse_addresses(v4)] + [str(net) for net in ipaddress.collapse_addresses(v6)]


def test_agent_peers_are_the_exact_collapse():
    groups, hostvars, addresses = fleet(3000)
    matrix = compute_matrix(groups, hostvars)
    agents = expected_peers(addresses)
    with_network = expected_peers(addresses + [ipaddress.ip_network("172.16.0.0/22")])
    assert len(agents) > 20  # blocks of 300 do not collapse to one CIDR each
    for handler, expected in (("bo1", agents), ("ah2", agents), ("ah1", with_network)):
        rules = {rule["port"]: rule["peers"] for rule in matrix["hosts"][handler]["rules"]
                 if rule["flow"] == "agent_to_agent_handler"}
        assert rules == {443: expected, 17000: expected}, handler
        flows = [flow["source_peers"] for flow in matrix["flows"]
                 if flow["flow"] == "agent_to_agent_handler" and flow["destination"] == handler]
        assert flows == [expected, expected]
    # Agents reach every agent handler: 10.0.0.1-10.0.0.3.
    agent_rule = matrix["hosts"]["agent00001"]["rules"][0]
    assert agent_rule["peers"] == ["10.0.0.1/32", "10.0.0.2/31"]


def test_peer_lists_are_not_shared_between_rules():
    groups, hostvars, _addresses = fleet(50)
    matrix = compute_matrix(groups, hostvars)
    rules = [rule for rule in matrix["hosts"]["bo1"]["rules"] if rule["flow"] == "agent_to_agent_handler"]
    rules[0]["peers"].append("192.0.2.1/32")
    assert "192.0.2.1/32" not in rules[1]["peers"]
    assert all("192.0.2.1/32" not in flow["source_peers"] for flow in matrix["flows"])


def test_garbage_collector_state_is_restored():
    groups, hostvars, _addresses = fleet(10)
    assert gc.isenabled()
    compute_matrix(groups, hostvars)
    assert gc.isenabled()
    gc.disable()
    try:
        compute_matrix(groups, hostvars)
        assert not gc.isenabled()
    finally:
        gc.enable()
