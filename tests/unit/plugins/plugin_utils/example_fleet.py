# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bundled example fleet (examples/lab/inventory.yml) as the engine receives it, for the renderer tests."""

from __future__ import annotations

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.matrix import compute_matrix

__metaclass__ = type

GROUPS = {
    "ses_backends": ["bo1"],
    "ses_agent_handlers": ["bo1", "ah2"],
    "ses_consoles": ["con1"],
    "ses_sql_servers": ["sql1"],
    "ses_syslog_servers": ["log1"],
    "ses_agents": ["agent-old", "agent-new"],
}
HOSTVARS = {
    "bo1": {"ses_address": "10.77.0.11", "ses_version": "2.7.1", "ses_public_api_clients": ["10.77.0.60/32"],
            "ses_update_server": ["10.77.0.250/32"]},
    "ah2": {"ses_address": "10.77.0.12", "ses_version": "2.6.3"},
    "con1": {"ses_address": "10.77.0.21", "ses_version": "2.6.3"},
    "sql1": {"ses_address": "10.77.0.31"},
    "log1": {"ses_address": "10.77.0.41"},
    "agent-old": {"ses_address": "10.77.0.101", "ses_version": "2.6.1"},
    "agent-new": {"ses_address": "10.77.0.102", "ses_version": "2.7.1"},
}
# The same fleet with one agent on IPv6, so that firewall renderers meet both families.
HOSTVARS_DUAL_STACK = dict(HOSTVARS, **{"agent-new": {"ses_address": "2001:db8:77::102", "ses_version": "2.7.1"}})


def dual_stack_rules_of(host, phase="migrate"):
    """One host's rules in the dual-stack fleet."""
    return compute_matrix(GROUPS, HOSTVARS_DUAL_STACK, phase)["hosts"][host]["rules"]
