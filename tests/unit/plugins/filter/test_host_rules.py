# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host_rules and matrix_summary filters on a small fleet.

Expected rules follow the vendor's table: ah2 is a separate agent handler and
bo2 a separate backend (TCP 443, permanent); bo1 is co-located, so ah2 reaches
it on TCP 443 (2.6, legacy) and TCP 8443 (2.7.1, new).
"""

from __future__ import annotations

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.ses_evolution.firewall.plugins.filter import host_rules as host_rules_plugin
from ansible_collections.ses_evolution.firewall.plugins.filter import matrix_summary as matrix_summary_plugin
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.matrix import compute_matrix

__metaclass__ = type

GROUPS = {"ses_backends": ["bo1", "bo2"], "ses_agent_handlers": ["bo1", "ah2"], "ses_consoles": []}
HOSTVARS = {
    "bo1": {"ses_address": "192.0.2.11", "ses_version": "2.7.1", "ses_public_api_clients": [],
            "ses_update_server": [], "ses_agent_networks": ["198.51.100.0/24"]},
    "bo2": {"ses_address": "192.0.2.12", "ses_version": "2.7.1", "ses_public_api_clients": [],
            "ses_update_server": []},
    "ah2": {"ses_address": "192.0.2.13", "ses_version": "2.7.1", "ses_agent_networks": ["198.51.100.0/24"]},
}

host_rules = host_rules_plugin.FilterModule().filters()["host_rules"]
matrix_summary = matrix_summary_plugin.FilterModule().filters()["matrix_summary"]


def ports(rules):
    return sorted((rule["direction"], rule["protocol"], rule["port"], tuple(rule["peers"]), rule["lifecycle"])
                  for rule in rules if rule["flow"] == "agent_handler_to_backend")


def test_phase_rules_of_a_separate_agent_handler():
    migrate = compute_matrix(GROUPS, HOSTVARS, phase="migrate")
    assert ports(host_rules(migrate, "ah2")) == [
        ("out", "tcp", 443, ("192.0.2.11/32",), "legacy"),
        ("out", "tcp", 443, ("192.0.2.12/32",), "permanent"),
        ("out", "tcp", 8443, ("192.0.2.11/32",), "new"),
    ]
    cleanup = compute_matrix(GROUPS, HOSTVARS, phase="cleanup")
    assert ports(host_rules(cleanup, "ah2")) == [
        ("out", "tcp", 443, ("192.0.2.12/32",), "permanent"),
        ("out", "tcp", 8443, ("192.0.2.11/32",), "new"),
    ]


def test_lifecycles_include_the_retired_rules():
    cleanup = compute_matrix(GROUPS, HOSTVARS, phase="cleanup")
    assert ports(host_rules(cleanup, "ah2", ["legacy"])) == [("out", "tcp", 443, ("192.0.2.11/32",), "legacy")]
    inbound = host_rules(cleanup, "bo1", "legacy_agent")
    assert [(rule["direction"], rule["port"], rule["peers"]) for rule in inbound] == [
        ("in", 17000, ["198.51.100.0/24"])]


def test_returned_rules_are_copies():
    matrix = compute_matrix(GROUPS, HOSTVARS)
    rules = host_rules(matrix, "ah2")
    rules[0]["port"] = 1
    assert host_rules(matrix, "ah2")[0]["port"] != 1


def test_unknown_host_has_no_rule():
    assert host_rules(compute_matrix(GROUPS, HOSTVARS), "nobody") == []


@pytest.mark.parametrize("matrix, lifecycles, message", [
    ({"phase": "migrate"}, None, "no 'hosts' key"),
    (["not", "a", "matrix"], None, "must be the port matrix"),
    (None, ["legacy", "obsolete"], "unknown lifecycle 'obsolete'"),
])
def test_bad_input(matrix, lifecycles, message):
    if matrix is None:
        matrix = compute_matrix(GROUPS, HOSTVARS)
    with pytest.raises(AnsibleFilterError, match=message):
        host_rules(matrix, "ah2", lifecycles)


def test_summary_filter():
    summary = matrix_summary(compute_matrix(GROUPS, HOSTVARS, phase="cleanup"))
    assert summary["hosts"] == 3
    assert summary["retired_rules"] == 2  # ah2 -> bo1 TCP 443: out on ah2, in on bo1
    with pytest.raises(AnsibleFilterError, match="not a port matrix"):
        matrix_summary({"phase": "migrate"})


@pytest.mark.parametrize("plugin", [host_rules_plugin, matrix_summary_plugin])
def test_documentation_parses(plugin):
    for text in (plugin.DOCUMENTATION, plugin.EXAMPLES, plugin.RETURN):
        assert yaml.safe_load(text)
    assert yaml.safe_load(plugin.DOCUMENTATION)["name"] in plugin.FilterModule().filters()


@pytest.mark.parametrize("args, kwargs, message", [
    # validated against the filter's own DOCUMENTATION, as the other filters are
    ((["a", "list"],), {}, r"matrix_summary: .*_input.*dict"),
    (("text",), {}, r"matrix_summary: .*_input.*dict"),
    ((None,), {}, r"matrix_summary: .*_input"),
    (({"hosts": {}},), {"colour": "red"}, r"matrix_summary: unknown option 'colour'"),
    (({"hosts": {}}, "extra"), {}, r"matrix_summary: takes 1 positional arguments"),
])
def test_summary_filter_validates_its_arguments(args, kwargs, message):
    with pytest.raises(AnsibleFilterError, match=message):
        matrix_summary(*args, **kwargs)
