# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
""""any" is always a visible decision: every rule open to any address has a warning and a flag in the reports.

From the vendor's table: the agents reach the agent handler on TCP 443 and 17000,
the public API listens on TCP 10443, the backend reaches the update server on TCP
443 and its SQL server on TCP 1433/1434 and UDP 1434. Each of these falls back to
any address when the inventory names no peer.
"""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import SesInputError
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.matrix import compute_matrix
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.render_windows import remote_scope, render_rule
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.report import render_csv, render_markdown

__metaclass__ = type

UNSET = object()
BASE = {"bo1": {"ses_address": "10.0.0.11", "ses_version": "2.7.1"}, "con1": {"ses_address": "10.0.0.21"}}


def _matrix(bo1=None, agents=False, sql=True, **kwargs):
    hostvars = {name: dict(values) for name, values in BASE.items()}
    hostvars["bo1"].update({key: value for key, value in (bo1 or {}).items() if value is not UNSET})
    groups = {"ses_backends": ["bo1"], "ses_agent_handlers": ["bo1"], "ses_consoles": ["con1"]}
    if agents:
        groups["ses_agents"] = ["pc1"]
        hostvars["pc1"] = {"ses_address": "10.1.0.1"}
    if sql:
        groups["ses_sql_servers"] = ["sql1"]
        hostvars["sql1"] = {"ses_address": "10.0.0.31"}
    return compute_matrix(groups, hostvars, **kwargs)


def _any_rules(matrix):
    return sorted((host, rule["name"]) for host, entry in matrix["hosts"].items()
                  for rule in entry["rules"] if rule["peers"] == ["any"])


def test_no_agent_known_warns_for_443_and_17000():
    matrix = _matrix({"ses_public_api_clients": [], "ses_update_server": []})
    assert _any_rules(matrix) == [("bo1", "in_agent_to_agent_handler_tcp17000_legacy_agent"),
                                  ("bo1", "in_agent_to_agent_handler_tcp443_new")]
    assert any("host 'bo1'" in w and "ses_agent_networks" in w and "any address" in w for w in matrix["warnings"])


def test_unset_public_api_clients_and_update_server_warn():
    matrix = _matrix({"ses_agent_networks": ["10.1.0.0/16"]})
    warnings = "\n".join(matrix["warnings"])
    assert "ses_public_api_clients is unset" in warnings and "TCP 10443" in warnings
    assert "ses_update_server is unset" in warnings


def test_the_word_any_alone_is_a_visible_decision():
    matrix = _matrix({"ses_agent_networks": ["any"], "ses_public_api_clients": [], "ses_update_server": []})
    assert ("bo1", "in_agent_to_agent_handler_tcp443_new") in _any_rules(matrix)
    assert any("ses_agent_networks" in warning for warning in matrix["warnings"])


def test_world_networks_with_the_opt_in():
    matrix = _matrix({"ses_public_api_clients": ["0.0.0.0/0", "::/0"], "ses_update_server": [],
                      "ses_agent_networks": ["10.1.0.0/16"]}, allow_any_network=True)
    rule = [r for r in matrix["hosts"]["bo1"]["rules"] if r["port"] == 10443][0]
    assert rule["peers"] == ["0.0.0.0/0", "::/0"]
    assert any("0.0.0.0/0" in w and "ses_allow_any_network" in w for w in matrix["warnings"])


@settings(max_examples=120, deadline=None)
@given(st.sampled_from([UNSET, [], ["any"], ["203.0.113.0/24"]]),
       st.sampled_from([UNSET, [], ["any"], ["198.51.100.7/32"]]),
       st.sampled_from([UNSET, [], ["any"], ["10.1.0.0/16"]]),
       st.booleans(), st.booleans(), st.sampled_from(["migrate", "cleanup"]))
def test_every_any_rule_is_warned_about_and_flagged(api, update, networks, agents, sql, phase):
    matrix = _matrix({"ses_public_api_clients": api, "ses_update_server": update, "ses_agent_networks": networks},
                     agents=agents, sql=sql, phase=phase)
    warnings = "\n".join(matrix["warnings"])
    for host, name in _any_rules(matrix):
        flow = name.split("_", 1)[1].rsplit("_", 2)[0]
        assert "host '%s'" % host in warnings or host.startswith("pc"), (host, name, warnings)
        assert flow.split("_tcp")[0].split("_udp")[0] in warnings or host.startswith("pc"), (name, warnings)
    rows = list(csv.DictReader(io.StringIO(render_csv(matrix))))
    flagged = sorted((row["host"], row["name"]) for row in rows if row["any_peer"] == "true")
    assert flagged == _any_rules(matrix)
    if flagged:
        assert "open to any address" in render_markdown(matrix)


@pytest.mark.parametrize("peers", [[], None, ["10.0.0.0/8", "any"]])
def test_windows_refuses_what_linux_refuses(peers):
    """An empty peer list is no rule scope: Windows read it as any address, Linux refused it."""
    rule = {"name": "in_x_tcp1_new", "direction": "in", "protocol": "tcp", "port": 1, "purpose": "x",
            "lifecycle": "new", "flow": "x"}
    if peers is not None:
        rule["peers"] = peers
    with pytest.raises(SesInputError) as caught:
        render_rule(rule)
    assert "in_x_tcp1_new" in str(caught.value) and "[\"any\"]" in str(caught.value)
    assert remote_scope(["any"]) == "any"
