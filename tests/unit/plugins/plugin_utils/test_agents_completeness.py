# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The agents' gate compares the export with the inventory before TCP 17000 goes.

An export of one line (PC-0001 on 2.7.1) used to open the gate for a /24 of
agents, and would have closed TCP 17000 for every other agent of it. The export
must now cover every ses_agents host, put rows in every declared agent network
(by the agents' IP addresses), hold no row outside them, and reach the floor the
user sets.
"""

from __future__ import annotations

import copy
import ipaddress

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.agent_export import parse_agent_export
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.cleanup_gate import agents_table, agents_verdict
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.matrix import compute_matrix

__metaclass__ = type

GROUPS = {"ses_backends": ["bo1"], "ses_agent_handlers": ["bo1"], "ses_consoles": ["con1"]}
HOSTVARS = {"bo1": {"ses_address": "10.0.0.11", "ses_version": "2.7.1", "ses_agent_networks": ["10.8.1.0/24"]},
            "con1": {"ses_address": "10.0.0.21", "ses_version": "2.7.1"}}


def _matrix(networks=("10.8.1.0/24",), agents=()):
    groups = copy.deepcopy(GROUPS)
    hostvars = copy.deepcopy(HOSTVARS)
    hostvars["bo1"]["ses_agent_networks"] = list(networks)
    groups["ses_agents"] = [name for name, _address in agents]
    for name, address in agents:
        hostvars[name] = {"ses_address": address, "ses_version": "2.7.1"}
    return compute_matrix(groups, hostvars, phase="cleanup")


def _export(rows, with_address=True):
    header = "Agent name;Agent version;IP address\r\n" if with_address else "Agent name;Agent version\r\n"
    lines = ["%s;%s;%s\r\n" % row if with_address else "%s;%s\r\n" % row[:2] for row in rows]
    return parse_agent_export((header + "".join(lines)).encode("utf-8"), "agents.csv")


def test_one_line_for_a_network_without_addresses_refuses():
    """The finding itself: PC-0001 on 2.7.1, no address column, a /24 declared."""
    verdict = agents_verdict(_matrix(), True, _export([("PC-0001", "2.7.1", "")], with_address=False))
    assert verdict["ready"] is False
    assert any("no IP address column" in reason for reason in verdict["reasons"]), verdict["reasons"]


def test_a_declared_network_without_rows_refuses_with_a_table():
    matrix = _matrix(networks=("10.8.1.0/24", "10.8.2.0/24"))
    verdict = agents_verdict(matrix, True, _export([("PC-0001", "2.7.1", "10.8.1.5")]))
    assert verdict["ready"] is False
    table = "\n".join(agents_table(verdict))
    assert "10.8.1.0/24" in table and "10.8.2.0/24" in table
    assert any("10.8.2.0/24" in reason and "no row" in reason for reason in verdict["reasons"])
    assert verdict["networks"] == [{"network": "10.8.1.0/24", "rows": 1}, {"network": "10.8.2.0/24", "rows": 0}]


def test_rows_outside_every_declared_network_refuse():
    verdict = agents_verdict(_matrix(), True, _export([("PC-0001", "2.7.1", "10.8.1.5"),
                                                       ("PC-0002", "2.7.1", "172.16.0.9")]))
    assert verdict["ready"] is False
    assert any("PC-0002" in reason and "outside" in reason for reason in verdict["reasons"]), verdict["reasons"]


def test_every_agent_host_must_be_in_the_export():
    matrix = _matrix(networks=(), agents=[("pc-a", "10.9.0.1"), ("pc-b", "10.9.0.2")])
    verdict = agents_verdict(matrix, True, _export([("PC-A", "2.7.1", "10.9.0.1")]))
    assert verdict["ready"] is False
    assert any("pc-b" in reason and "not in the export" in reason for reason in verdict["reasons"])
    assert any("1 agent(s), fewer than the 2" in reason for reason in verdict["reasons"])


def test_the_user_floor_is_honoured():
    export = _export([("PC-%04d" % i, "2.7.1", "10.8.1.%d" % i) for i in range(1, 4)])
    assert agents_verdict(_matrix(), True, export)["ready"] is True
    verdict = agents_verdict(_matrix(), True, export, minimum_agents=200)
    assert verdict["ready"] is False
    assert any("3 agent(s)" in reason and "ses_agent_export_min_agents (200)" in reason for reason in verdict["reasons"])
    assert agents_verdict(_matrix(), True, export, minimum_agents=3)["ready"] is True


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 4), st.integers(0, 255)), min_size=1, max_size=12, unique=True),
       st.sets(st.integers(1, 4), min_size=1, max_size=4))
def test_the_gate_passes_only_when_every_network_has_rows_and_no_row_is_outside(rows, declared):
    """Agents in 10.8.N.0/24 for N in 1..4; declared networks a subset. Ready exactly when the export fills
    every declared network and holds no agent outside them."""
    networks = ["10.8.%d.0/24" % n for n in sorted(declared)]
    export = _export([("PC-%d-%d" % (n, host), "2.7.1", "10.8.%d.%d" % (n, host)) for n, host in rows])
    verdict = agents_verdict(_matrix(networks=networks), True, export)
    used = {n for n, _host in rows}
    assert verdict["ready"] is (used == set(declared))
    counts = {entry["network"]: entry["rows"] for entry in verdict["networks"]}
    for n in declared:
        assert counts["10.8.%d.0/24" % n] == sum(1 for m, _host in rows if m == n)
    assert all(ipaddress.ip_network(entry["network"]) for entry in verdict["networks"])


def test_export_reads_the_address_column():
    export = _export([("PC-0001", "2.7.1", "10.8.1.5")])
    assert export["address_column"] == "IP address" and export["agents"][0]["addresses"] == ["10.8.1.5"]
    assert _export([("PC-0001", "2.7.1", "")], with_address=False)["address_column"] is None


@pytest.mark.parametrize("cell, expected", [("10.8.1.5, fe80::1", ["10.8.1.5", "fe80::1"]), ("n/a", [])])
def test_address_cells(cell, expected):
    text = "Name;Version;Address\r\nPC-1;2.7.1;\"%s\"\r\n" % cell
    assert parse_agent_export(text.encode(), "a.csv")["agents"][0]["addresses"] == expected
