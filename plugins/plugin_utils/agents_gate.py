# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Is the console's agent export complete enough to close TCP 17000 for every agent?

An export of one line must not stand for a whole network of agents. The export
is compared with the inventory: every ``ses_agents`` host is in it, each network
of ``ses_agent_networks`` holds rows (by the agents' IP addresses), no row lies
outside the agents the rules cover, the export is not smaller than the
inventory's agents, and it reaches the floor the user sets
(``ses_agent_export_min_agents``). Any doubt refuses.
"""

from __future__ import annotations

import ipaddress

__metaclass__ = type

FLOOR_VARIABLE = "ses_agent_export_min_agents"
LISTED = 10


def _short(name):
    """An agent's name as the console and the inventory may both write it: lower case, without the domain."""
    return str(name).strip().lower().split(".", 1)[0]


def _listed(names):
    return ", ".join(names[:LISTED]) + (" and %d more" % (len(names) - LISTED) if len(names) > LISTED else "")


def declared_networks(matrix):
    """Every network of ses_agent_networks, once, in order."""
    seen = []
    for networks in (matrix["gate"].get("agent_networks") or {}).values():
        for network in networks:
            parsed = ipaddress.ip_network(network)
            if parsed not in seen:
                seen.append(parsed)
    return sorted(seen, key=lambda net: (net.version, net))


def export_completeness(matrix, export, agent_hosts, minimum_agents=None):
    """(reasons, rows per declared network) for an export; no reason means complete."""
    reasons = []
    networks = declared_networks(matrix)
    counts = [{"network": str(network), "rows": 0} for network in networks]
    if export is None:
        if minimum_agents and len(agent_hosts) < minimum_agents:
            reasons.append("%d agent(s) known, fewer than %s (%d); pass the console's full agent export"
                           % (len(agent_hosts), FLOOR_VARIABLE, minimum_agents))
        return reasons, counts
    rows = export["agents"]
    in_export = {_short(agent["name"]) for agent in rows}
    missing = [name for name in agent_hosts if _short(name) not in in_export]
    if missing:
        reasons.append("ses_agents host(s) %s are not in the export %s: export the full agent list"
                       % (_listed(missing), export["path"]))
    if len(rows) < len(agent_hosts):
        reasons.append("the export lists %d agent(s), fewer than the %d ses_agents hosts of the inventory: "
                       "export the full agent list" % (len(rows), len(agent_hosts)))
    floor = max(minimum_agents or 0, 0)
    if floor and len(rows) < floor:
        reasons.append("the export lists %d agent(s), fewer than %s (%d): export the full agent list, or correct "
                       "the floor" % (len(rows), FLOOR_VARIABLE, floor))
    hosts = {_short(name) for name in agent_hosts}
    if networks and export.get("address_column") is None:
        reasons.append("ses_agent_networks declares %s, but the export %s has no IP address column, so no row can be "
                       "placed in a network: export the agent list with the agents' IP addresses"
                       % (", ".join(str(net) for net in networks), export["path"]))
        return reasons, counts
    if not networks and not agent_hosts:
        return reasons, counts  # the agent rules allow any address: every row is covered
    outside = []
    for agent in rows:
        if _short(agent["name"]) in hosts:
            continue
        addresses = [ipaddress.ip_address(text) for text in agent.get("addresses") or ()]
        inside = [entry for network, entry in zip(networks, counts)
                  if any(address in network for address in addresses)]
        for entry in inside:
            entry["rows"] += 1
        if not inside:
            where = ", ".join(agent.get("addresses") or ()) or "no address"
            outside.append("%s (line %d, %s)" % (agent["name"], agent["line"], where))
    empty = [entry["network"] for entry in counts if entry["rows"] == 0]
    if empty:
        reasons.append("no row of the export falls inside %s (ses_agent_networks): the export does not cover those "
                       "agents; export the full agent list, or remove the network" % ", ".join(empty))
    if outside:
        reasons.append("%d row(s) of the export are outside every ses_agent_networks network and are no ses_agents "
                       "host: %s; add their network to ses_agent_networks (or the host to ses_agents), or export "
                       "the right console's list" % (len(outside), _listed(outside)))
    return reasons, counts
