# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The migration gates, fail closed: a version that is missing or unknown blocks."""

from __future__ import annotations

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import ses_catalog
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.versions import parse_version

__metaclass__ = type

# Enough old agents to act on, without writing 100,000 names into every report.
MAX_LISTED_AGENTS = 100


def why_blocking(version, version_text, minimum, minimum_text):
    """The reason a host blocks a gate, or None when it passes."""
    if version is None:
        return "ses_version is not set: the version is unknown"
    if version < minimum:
        return "runs %s, older than %s" % (version_text, minimum_text)
    return None


def gate_verdict(fleet):
    """Backoffice ready: every backend, agent handler and console at ses_target_version or later.

    Agents ready: every agent host at the catalog's agents' HTTPS release or later, and no agent network whose
    versions the inventory cannot tell (the console's agent export covers those).
    """
    reasons = {}
    for component in ses_catalog.BACKOFFICE_COMPONENTS:
        for host in fleet.of(component):
            reason = why_blocking(host.version, host.version_text, fleet.target_version,
                                  fleet.target_version_text)
            if reason:
                reasons[host.name] = reason

    agent_https = fleet.catalog.agent_https_version
    agent_minimum = parse_version(agent_https)
    old_agents = [host.name for host in fleet.of("agent")
                  if why_blocking(host.version, host.version_text, agent_minimum, agent_https)]
    network_variable = ses_catalog.OUTSIDE_INVENTORY["agent"]["variable"]
    handlers_with_networks = sorted(host.name for host in fleet.of("agent_handler")
                                    if host.setting(network_variable) != [])
    return {
        "backoffice_ready": not reasons,
        "blocking_hosts": sorted(reasons),
        "blocking_reasons": dict(sorted(reasons.items())),
        "agents_ready": not old_agents and not handlers_with_networks,
        "blocking_agents": old_agents[:MAX_LISTED_AGENTS],
        "blocking_agents_count": len(old_agents),
        "agent_networks_unverified": handlers_with_networks,
        # The declared networks themselves: the agents' gate counts the export's rows in each.
        "agent_networks": {name: [str(network) for network in fleet.hosts[name].setting(network_variable) or []]
                           for name in handlers_with_networks},
    }
