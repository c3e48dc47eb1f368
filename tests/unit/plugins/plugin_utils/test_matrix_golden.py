# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Golden fixtures: small inventories and the matrices derived by hand from the vendor's table.

Each ``tests/unit/fixtures/golden/<case>/expected.json`` was written from the
table of "Configuring the firewall" (2.7.1), row by row (its ``_derivation`` key
lists the rows used), never from the engine's output. A disagreement is either
an engine bug or a derivation mistake; see the fixtures' README.md.
"""

from __future__ import annotations

import copy
import json
import os

import pytest

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import SesInputError
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.matrix import compute_matrix
from ansible_collections.ses_evolution.firewall.tests.unit.plugins.plugin_utils.inventory_yaml import load_inventory

__metaclass__ = type

GOLDEN = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "golden")
CASES = sorted(name for name in os.listdir(GOLDEN) if os.path.isdir(os.path.join(GOLDEN, name)))
# The rule keys the hand derivation covers (purpose is prose: left out of the comparison).
RULE_KEYS = ("name", "direction", "protocol", "port", "peers", "lifecycle")
GATE_KEYS = ("backoffice_ready", "blocking_hosts", "agents_ready", "blocking_agents",
             "blocking_agents_count", "agent_networks_unverified")


def _load(case):
    groups, hostvars, fleet_vars = load_inventory(os.path.join(GOLDEN, case, "inventory.yml"))
    with open(os.path.join(GOLDEN, case, "expected.json"), encoding="utf-8") as handle:
        expected = json.load(handle)
    return groups, hostvars, fleet_vars, expected


def _matrix(groups, hostvars, fleet_vars):
    return compute_matrix(groups, hostvars, phase=fleet_vars.get("ses_phase", "migrate"),
                          target_version=fleet_vars.get("ses_target_version", "2.7.1"),
                          group_names=fleet_vars.get("ses_groups"))


def _contract_order(rule):
    """The order docs/matrix.md promises: direction (in first), port, protocol, name."""
    return (rule["direction"], rule["port"], rule["protocol"], rule["name"])


def _trim(rules):
    return [{key: rule[key] for key in RULE_KEYS} for rule in rules]


def _expected_host(entry):
    return {
        "components": entry["components"], "address": entry["address"], "co_located": entry["co_located"],
        "rules": sorted(entry["rules"], key=_contract_order),
        "retired_rules": sorted(entry["retired_rules"], key=_contract_order),
    }


def _actual_host(entry):
    return {
        "components": entry["components"], "address": entry["address"], "co_located": entry["co_located"],
        "rules": _trim(entry["rules"]), "retired_rules": _trim(entry["retired_rules"]),
    }


def test_there_are_enough_golden_cases():
    assert len(CASES) >= 6, CASES


@pytest.mark.parametrize("case", CASES)
def test_golden_hosts_match_the_hand_derivation(case):
    groups, hostvars, fleet_vars, expected = _load(case)
    matrix = _matrix(groups, hostvars, fleet_vars)
    assert sorted(matrix["hosts"]) == sorted(expected["hosts"]), "hosts taking part in flows"
    for name, entry in expected["hosts"].items():
        assert _actual_host(matrix["hosts"][name]) == _expected_host(entry), "host %s" % name


@pytest.mark.parametrize("case", CASES)
def test_golden_phase_gate_and_warnings(case):
    groups, hostvars, fleet_vars, expected = _load(case)
    matrix = _matrix(groups, hostvars, fleet_vars)
    assert matrix["phase"] == expected["phase"]
    assert matrix["target_version"] == expected["target_version"]
    assert matrix["preview"] is expected["preview"]
    assert {key: matrix["gate"][key] for key in GATE_KEYS} == expected["gate"]
    assert sorted(matrix["gate"]["blocking_reasons"]) == expected["gate"]["blocking_hosts"]
    assert len(matrix["warnings"]) == len(expected["warnings_about"])
    for host, warning in zip(expected["warnings_about"], matrix["warnings"]):
        assert "'%s'" % host in warning


@pytest.mark.parametrize("case", CASES)
def test_golden_flows_mirror_the_rules(case):
    """Each flow between two inventory hosts is an out rule on its source and an in rule on its destination."""
    groups, hostvars, fleet_vars, _expected = _load(case)
    matrix = _matrix(groups, hostvars, fleet_vars)
    hosts = matrix["hosts"]
    seen = 0
    for key, rules_key in (("flows", "rules"), ("retired_flows", "retired_rules")):
        for flow in matrix[key]:
            for end, direction, peer in (("source", "out", "destination"), ("destination", "in", "source")):
                if flow[end] not in hosts:
                    continue
                name = "%s_%s_%s%d_%s" % (direction, flow["flow"], flow["protocol"], flow["port"], flow["lifecycle"])
                rules = {rule["name"]: rule for rule in hosts[flow[end]][rules_key]}
                assert name in rules, (case, flow)
                peer_address = hosts[flow[peer]]["address"] if flow[peer] in hosts else None
                if peer_address is not None:
                    assert any(_covers(cidr, peer_address) for cidr in rules[name]["peers"]), (case, flow)
                seen += 1
    assert seen > 0


def _covers(cidr, address):
    import ipaddress
    if cidr == "any":
        return True
    network = ipaddress.ip_network(cidr)
    ip = ipaddress.ip_address(address)
    return ip.version == network.version and ip in network


@pytest.mark.parametrize("variant", range(7))
def test_cleanup_gate_variants(variant):
    groups, hostvars, fleet_vars, expected = _load("f_cleanup")
    spec = expected["gate_variants"][variant]
    hostvars = copy.deepcopy(hostvars)
    if spec["ses_version"] is None:
        hostvars[spec["host"]].pop("ses_version", None)
    else:
        hostvars[spec["host"]]["ses_version"] = spec["ses_version"]
    if "error_contains" in spec:
        with pytest.raises(SesInputError) as caught:
            _matrix(groups, hostvars, fleet_vars)
        for text in spec["error_contains"]:
            assert text in str(caught.value)
        return
    matrix = _matrix(groups, hostvars, fleet_vars)
    assert matrix["gate"]["blocking_hosts"] == spec["blocking_hosts"]
    assert matrix["gate"]["backoffice_ready"] is (not spec["blocking_hosts"])
    assert matrix["preview"] is spec["preview"]
    for host in spec["blocking_hosts"]:
        assert spec["reason_contains"] in matrix["gate"]["blocking_reasons"][host]
    # A preview shows the same post-cleanup rules: the gate never changes the matrix.
    for name, entry in expected["hosts"].items():
        assert _actual_host(matrix["hosts"][name]) == _expected_host(entry), name


def test_gate_variants_are_all_exercised():
    assert len(_load("f_cleanup")[3]["gate_variants"]) == 7


def ansible_inventory(path):
    """(groups, hostvars) as Ansible's own inventory manager reads ``path`` (its tagged value types included)."""
    inventory_manager = pytest.importorskip("ansible.inventory.manager")
    from ansible.parsing.dataloader import DataLoader
    from ansible.vars.manager import VariableManager

    loader = DataLoader()
    inventory = inventory_manager.InventoryManager(loader=loader, sources=[path])
    variables = VariableManager(loader=loader, inventory=inventory)
    hostvars = {host.name: variables.get_vars(host=host) for host in inventory.get_hosts()}
    return inventory.get_groups_dict(), hostvars


@pytest.mark.parametrize("case", CASES)
def test_loader_agrees_with_ansible_inventory(case):
    """The fixtures' YAML loader gives the groups and variables Ansible itself gives."""
    path = os.path.join(GOLDEN, case, "inventory.yml")
    groups, hostvars, fleet_vars = load_inventory(path)
    ansible_groups, ansible_hostvars = ansible_inventory(path)
    for group, members in groups.items():
        assert sorted(ansible_groups.get(group, [])) == sorted(members), group
    assert sorted(ansible_hostvars) == sorted(hostvars)
    for host in hostvars:
        theirs = ansible_hostvars[host]
        ours = {k: v for k, v in hostvars[host].items() if k.startswith("ses_") or k == "ansible_host"}
        assert {k: theirs[k] for k in ours} == ours, host
        assert not [k for k in theirs if k.startswith("ses_") and k not in ours], host
    # The engine gives the same matrix on Ansible's own (tagged) values.
    assert _matrix(ansible_groups, ansible_hostvars, fleet_vars) == _matrix(groups, hostvars, fleet_vars)


def test_a_target_the_table_does_not_know_is_refused():
    """The page's ports change at 2.7.1 only: a 2.8 target is refused with the fix (hosts on 2.8 pass the
    2.7.1 gate), instead of a matrix computed for a release the table does not describe."""
    groups, hostvars, fleet_vars, _expected = _load("c_mixed")
    fleet_vars = dict(fleet_vars, ses_target_version="2.8")
    with pytest.raises(SesInputError) as caught:
        _matrix(groups, hostvars, fleet_vars)
    assert "ses_target_version is '2.8'" in str(caught.value)
    assert 'set ses_target_version: "2.7.1"' in str(caught.value)
