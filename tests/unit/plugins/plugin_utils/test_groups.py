# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SES groups: every group ses_groups names exists, and a near miss of an SES group name is refused.

A console in ``[ses_console]`` instead of ``[ses_consoles]`` dropped out of the matrix
and of the cleanup gate; a backend's agent handler in ``[ses_agent_handler]`` made it
a separate backend, so the wrong ports followed.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings, strategies as st

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import SesInputError
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.fleet import DEFAULT_GROUPS, near_miss
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.matrix import compute_matrix

__metaclass__ = type

HOSTVARS = {"bo1": {"ses_address": "192.0.2.10", "ses_version": "2.7.1"},
            "con1": {"ses_address": "192.0.2.21", "ses_version": "2.6.3"}}


def _matrix(groups, **kwargs):
    return compute_matrix(dict({"all": sorted(HOSTVARS), "ungrouped": []}, **groups), HOSTVARS, **kwargs)


def test_ses_groups_naming_a_missing_group_is_refused():
    with pytest.raises(SesInputError) as caught:
        _matrix({"ses_backends": ["bo1"], "ses_consoles": ["con1"]}, group_names={"console": "ses_console"})
    assert "ses_groups.console names the group 'ses_console', which is not in the inventory" in str(caught.value)


def test_ses_groups_naming_an_empty_group_is_accepted():
    matrix = _matrix({"ses_backends": ["bo1"], "my_consoles": []}, group_names={"console": "my_consoles"})
    assert sorted(matrix["hosts"]) == ["bo1"]


def test_a_default_group_may_be_missing():
    assert sorted(_matrix({"ses_backends": ["bo1"]})["hosts"]) == ["bo1"]


def _one_edit(name, data):
    """A name one keyboard slip away from ``name``: a letter dropped, added, changed, or two swapped."""
    kind = data.draw(st.sampled_from(["drop", "add", "change", "swap", "case", "dash"]))
    index = data.draw(st.integers(min_value=0, max_value=len(name) - 1))
    letter = data.draw(st.sampled_from("abcdefghijklmnopqrstuvwxyz_"))
    if kind == "drop":
        return name[:index] + name[index + 1:]
    if kind == "add":
        return name[:index] + letter + name[index:]
    if kind == "change":
        return name[:index] + letter + name[index + 1:]
    if kind == "swap":
        index = min(index, len(name) - 2)
        return name[:index] + name[index + 1] + name[index] + name[index + 2:]
    if kind == "case":
        return name.upper()
    return name.replace("_", "-")


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(DEFAULT_GROUPS.items())), st.data())
def test_a_near_miss_of_any_ses_group_holding_hosts_is_refused_unless_declared(component_group, data):
    component, group = component_group
    typo = _one_edit(group, data)
    assume(typo not in DEFAULT_GROUPS.values())
    groups = {"ses_backends": ["bo1"], typo: ["con1"]}
    if component == "backend":
        groups = {"ses_backends": ["bo1", "con1"], "ses_consoles": ["con1"], typo: ["con1", "bo1"]}
        groups["ses_backends"] = ["bo1"]
    with pytest.raises(SesInputError) as caught:
        _matrix(groups)
    message = str(caught.value)
    assert "inventory group '%s'" % typo in message and "ses_unrelated_groups: [%s]" % typo in message, message
    # Declared unrelated, the same inventory passes.
    _matrix(groups, unrelated_groups=[typo])


def test_a_child_group_inside_the_ses_group_is_no_near_miss():
    matrix = _matrix({"ses_backends": ["bo1"], "ses_consoles": ["con1"], "ses_consoles2": ["con1"]})
    assert "con1" in matrix["hosts"]


@pytest.mark.parametrize("name, ses_group, expected", [
    ("ses_console", "ses_consoles", True),          # singular
    ("ses_agent_handler", "ses_agent_handlers", True),
    ("ses_backend", "ses_backends", True),
    ("ses-consoles", "ses_consoles", True),
    ("SES_CONSOLES", "ses_consoles", True),
    ("ses_consoels", "ses_consoles", True),         # two letters swapped
    ("ses_consoles", "ses_consoles", False),        # the group itself
    ("ses_agents", "ses_agent_handlers", False),
    ("webservers", "ses_backends", False),
    ("ses_sql_servers", "ses_syslog_servers", False),
])
def test_near_miss(name, ses_group, expected):
    assert near_miss(name, ses_group) is expected
