# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ses_target_version: only a release at which the vendor's table changes, newer than the baseline.

From the vendor's table ("Configuring the firewall", 2.7.1): the table changes at
2.7.1 only (TCP 8443 to a co-located backend and the agents' TCP 443 appear, the
console's and agent handler's TCP 443 to a co-located backend goes). A cleanup
computed for a lower target once dropped the 2.7.1 rules from every host while
its record said nothing was removed.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.cleanup_gate import agents_verdict, cleanup_plan
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import SesInputError
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.matrix import compute_matrix

__metaclass__ = type

# bo1 backend + agent handler (co-located), ah2 a separate agent handler, con1 a console, one agent.
GROUPS = {"ses_backends": ["bo1"], "ses_agent_handlers": ["bo1", "ah2"], "ses_consoles": ["con1"],
          "ses_agents": ["pc1"]}
HOSTVARS = {
    "bo1": {"ses_address": "10.0.0.11", "ses_version": "2.6.3", "ses_public_api_clients": [],
            "ses_update_server": []},
    "ah2": {"ses_address": "10.0.0.12", "ses_version": "2.6.3"},
    "con1": {"ses_address": "10.0.0.21", "ses_version": "2.6.3"},
    "pc1": {"ses_address": "10.0.1.1", "ses_version": "2.6.1"},
}
# The 2.7.1 flows of the vendor's table, by host: (direction, protocol, port) that must never be removed.
NEW_IN_2_7_1 = {
    "bo1": {("in", "tcp", 8443), ("in", "tcp", 443)},   # from con1 and ah2 (8443); from the agents (443)
    "ah2": {("out", "tcp", 8443), ("in", "tcp", 443)},  # to bo1 (8443); from the agents (443)
    "con1": {("out", "tcp", 8443)},                      # to bo1
    "pc1": {("out", "tcp", 443)},                        # to bo1 and ah2
}
# The only rules the table retires at 2.7.1: TCP 443 to the co-located backend bo1.
RETIRED = {"bo1": {"in_console_to_backend_tcp443_legacy", "in_agent_handler_to_backend_tcp443_legacy"},
           "ah2": {"out_agent_handler_to_backend_tcp443_legacy"}, "con1": {"out_console_to_backend_tcp443_legacy"},
           "pc1": set()}


def _cleanup(target):
    return compute_matrix(GROUPS, HOSTVARS, phase="cleanup", target_version=target)


@pytest.mark.parametrize("target, words", [
    ("2.6.3", ["ses_target_version is '2.6.3'", "not newer than the 2.6 baseline", "ses_target_version: \"2.7.1\""]),
    ("2.6", ["ses_target_version is '2.6'", "not newer than the 2.6 baseline", "ses_target_version: \"2.7.1\""]),
    ("2.5", ["ses_target_version is '2.5'", "not newer than the 2.6 baseline"]),
    ("2.7.2", ["ses_target_version is '2.7.2'", "the vendor's port table does not change at 2.7.2",
               "ses_target_version: \"2.7.1\""]),
    ("2.8", ["ses_target_version is '2.8'", "does not change at 2.8"]),
])
def test_a_target_that_is_not_a_release_of_the_table_is_refused(target, words):
    with pytest.raises(SesInputError) as caught:
        _cleanup(target)
    message = str(caught.value)
    assert all(word in message for word in words), message


@pytest.mark.parametrize("target", ["2.7.1", "2.7.1.0", " 2.7.1 ", "v2.7.1"])
def test_the_2_7_1_target_is_accepted(target):
    assert _cleanup(target)["target_version"] == target


def _kept(matrix, host):
    return {(rule["direction"], rule["protocol"], rule["port"]) for rule in matrix["hosts"][host]["rules"]}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=12), min_size=1, max_size=4).map(
    lambda parts: ".".join(str(part) for part in parts)))
def test_no_target_ever_removes_a_rule_of_the_2_7_1_table(target):
    """Whatever the target: refused, or the cleanup keeps every 2.7.1 flow and removes only the 2.6 ones."""
    try:
        matrix = _cleanup(target)
    except SesInputError as exc:
        assert "ses_target_version" in str(exc) and "2.7.1" in str(exc)
        return
    plan = cleanup_plan(matrix, agents_verdict(matrix, requested=False))
    for host, flows in NEW_IN_2_7_1.items():
        assert flows <= _kept(matrix, host), (target, host)
        assert set(plan[host]["removed_names"]) == RETIRED[host], (target, host)
        assert not [rule for rule in plan[host]["removed"] if rule["lifecycle"] == "new"]
