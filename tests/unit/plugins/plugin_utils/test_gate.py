# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The gates fail closed: an unknown version blocks, and only versions at the target pass."""

from __future__ import annotations

import pytest

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import SesInputError
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.fleet import build_fleet
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.gate import MAX_LISTED_AGENTS, gate_verdict

__metaclass__ = type

UNSET = object()


def _fleet(versions, target="2.7.1", agents=None, agent_networks=None, sql_version=UNSET):
    """bo1 (backend), ah1 (agent handler), con1 (console), with the given ses_version each (UNSET: none)."""
    names = ("bo1", "ah1", "con1")
    hostvars = {}
    for index, (name, version) in enumerate(zip(names, versions)):
        hostvars[name] = {"ses_address": "192.0.2.%d" % (10 + index)}
        if version is not UNSET:
            hostvars[name]["ses_version"] = version
    if agent_networks is not None:
        hostvars["ah1"]["ses_agent_networks"] = agent_networks
    groups = {"ses_backends": ["bo1"], "ses_agent_handlers": ["ah1"], "ses_consoles": ["con1"],
              "ses_sql_servers": ["sql1"], "ses_agents": []}
    hostvars["sql1"] = {"ses_address": "192.0.2.40"}
    if sql_version is not UNSET:
        hostvars["sql1"]["ses_version"] = sql_version
    for index, version in enumerate(agents or []):
        name = "pc%05d" % index
        groups["ses_agents"].append(name)
        hostvars[name] = {"ses_address": "10.%d.%d.%d" % (index >> 16, (index >> 8) & 255, index & 255)}
        if version is not UNSET:
            hostvars[name]["ses_version"] = version
    return build_fleet(groups, hostvars, "migrate", target)


def test_all_at_target_is_ready():
    gate = gate_verdict(_fleet(["2.7.1", "2.7.1", "2.7.1"]))
    assert gate["backoffice_ready"] is True and gate["blocking_hosts"] == [] and gate["blocking_reasons"] == {}


@pytest.mark.parametrize("version", ["2.7.1.1204", "2.7.2", "2.10", "3.0"])
def test_newer_than_target_passes(version):
    assert gate_verdict(_fleet(["2.7.1", version, "2.7.1"]))["backoffice_ready"] is True


@pytest.mark.parametrize("version, reason", [
    (UNSET, "not set"),
    ("", "not set"),
    (None, "not set"),
    ("2.6.3", "runs 2.6.3, older than 2.7.1"),
    ("2.7", "runs 2.7, older than 2.7.1"),
    ("2.7.0.9999", "older than 2.7.1"),
])
@pytest.mark.parametrize("position", [0, 1, 2])
def test_each_backoffice_component_blocks_when_old_or_unknown(version, reason, position):
    versions = ["2.7.1", "2.7.1", "2.7.1"]
    versions[position] = version
    gate = gate_verdict(_fleet(versions))
    name = ("bo1", "ah1", "con1")[position]
    assert gate["backoffice_ready"] is False
    assert gate["blocking_hosts"] == [name]
    assert reason in gate["blocking_reasons"][name]


def _later_target(fleet, text="2.8"):
    """The fleet as if the table knew a later release (today 2.7.1 is the only valid target)."""
    fleet.target_version_text, fleet.target_version = text, tuple(int(p) for p in text.split(".")) + (0, 0)
    return fleet


def test_a_higher_target_blocks_hosts_at_2_7_1():
    gate = gate_verdict(_later_target(_fleet(["2.8", "2.7.1", "2.8.0.1"])))
    assert gate["blocking_hosts"] == ["ah1"]


def test_every_blocking_host_is_listed_sorted():
    gate = gate_verdict(_fleet([UNSET, "2.6.3", "2.6.1"]))
    assert gate["blocking_hosts"] == ["ah1", "bo1", "con1"]


@pytest.mark.parametrize("version", [2.7, 2.10, "2.7.x", "two"])
def test_an_unparseable_version_is_an_error_not_a_pass(version):
    with pytest.raises(SesInputError) as caught:
        _fleet(["2.7.1", "2.7.1", version])
    assert "host 'con1'" in str(caught.value) and "ses_version" in str(caught.value)


def test_sql_and_syslog_servers_are_not_gated():
    assert gate_verdict(_fleet(["2.7.1"] * 3, sql_version="2.6.3"))["backoffice_ready"] is True


def test_agents_ready_only_when_every_agent_is_2_7_1_or_later():
    gate = gate_verdict(_fleet(["2.7.1"] * 3, agents=["2.7.1", "2.8", "2.7.1.5"]))
    assert gate["agents_ready"] is True and gate["blocking_agents"] == [] and gate["blocking_agents_count"] == 0


def test_old_and_unknown_agents_block():
    gate = gate_verdict(_fleet(["2.7.1"] * 3, agents=["2.7.1", "2.6.9", UNSET, "2.7"]))
    assert gate["agents_ready"] is False
    assert gate["blocking_agents"] == ["pc00001", "pc00002", "pc00003"]
    assert gate["blocking_agents_count"] == 3


def test_agent_gate_follows_2_7_1_whatever_the_backoffice_target():
    gate = gate_verdict(_later_target(_fleet(["2.8"] * 3, agents=["2.7.1"])))
    assert gate["agents_ready"] is True and gate["backoffice_ready"] is True


def test_agent_networks_keep_the_agent_gate_closed():
    gate = gate_verdict(_fleet(["2.7.1"] * 3, agents=["2.7.1"], agent_networks=["10.50.0.0/16"]))
    assert gate["agents_ready"] is False and gate["agent_networks_unverified"] == ["ah1"]


def test_no_agent_at_all_is_ready():
    gate = gate_verdict(_fleet(["2.7.1"] * 3))
    assert gate["agents_ready"] is True


def test_many_old_agents_are_counted_in_full_and_listed_in_part():
    gate = gate_verdict(_fleet(["2.7.1"] * 3, agents=["2.6.1"] * (MAX_LISTED_AGENTS + 50)))
    assert gate["blocking_agents_count"] == MAX_LISTED_AGENTS + 50
    assert len(gate["blocking_agents"]) == MAX_LISTED_AGENTS
    assert gate["blocking_agents"][0] == "pc00000"


def test_backoffice_gate_ignores_agents():
    gate = gate_verdict(_fleet(["2.7.1"] * 3, agents=["2.6.1"]))
    assert gate["backoffice_ready"] is True and gate["agents_ready"] is False
