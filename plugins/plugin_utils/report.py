# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The port matrix as files a person reads: JSON (the matrix itself), CSV (one row per rule), Markdown.

The Markdown groups hosts whose rules are identical (thousands of agents, a
row of consoles) into one table, so the report stays readable at any fleet size.
"""

from __future__ import annotations

import csv
import io
import json

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.addresses import ANY
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.catalog import LIFECYCLES, VENDOR
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ses_catalog import COMPONENTS

__metaclass__ = type

REPORT_FILES = ("port_matrix.json", "port_matrix.csv", "port_matrix.md")
LIFECYCLE_ORDER = LIFECYCLES
COMPONENT_ORDER = COMPONENTS
CSV_COLUMNS = ("host", "address", "components", "direction", "protocol", "port", "peers",
               "lifecycle", "purpose", "name", "phase", "preview", "any_peer")
# How many hosts a collapsed table names, and how many peers a table cell lists.
LISTED_HOSTS = 5
LISTED_PEERS = 8
# Up to this many hosts (agents aside) the diagram draws one node per host; beyond, one node per
# component group and topology, and a table under the diagram says which host is in which node.
DIAGRAM_HOSTS = 8
EXTERNAL_LABELS = {
    "agents": "agents",
    "public_api_clients": "public API clients",
    "update_server": "update server",
    "sql_servers_outside_inventory": "SQL servers outside the inventory",
    "syslog_servers_outside_inventory": "syslog servers outside the inventory",
}


def select_host_rules(matrix, host, lifecycles=None):
    """A host's rules: the phase's rules, or those of the given lifecycles (retired ones included).

    A host that takes part in no flow has no rule. Raises ValueError for an unknown lifecycle.
    """
    entry = matrix["hosts"].get(host)
    if lifecycles is None:
        return [dict(rule) for rule in entry["rules"]] if entry else []
    if isinstance(lifecycles, str):
        lifecycles = [lifecycles]
    unknown = sorted(set(lifecycles) - set(LIFECYCLE_ORDER))
    if unknown:
        raise ValueError("unknown lifecycle %s; use some of: %s"
                         % (", ".join(repr(item) for item in unknown), ", ".join(LIFECYCLE_ORDER)))
    if not entry:
        return []
    wanted = set(lifecycles)
    rules = list(entry["rules"]) + list(entry.get("retired_rules", ()))
    selected = [dict(rule) for rule in rules if rule["lifecycle"] in wanted]
    return sorted(selected, key=lambda rule: (rule["direction"], rule["port"], rule["protocol"], rule["name"]))


def render_json(matrix):
    """The matrix as stable, indented JSON (key order as the engine builds it)."""
    return json.dumps(matrix, indent=2) + "\n"


def render_csv(matrix):
    """One row per rule of every host. ``preview`` is "true" on every row of a cleanup preview;
    ``any_peer`` is "true" on every rule that allows any address.

    Peers and components are joined with spaces, so one cell holds one list.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    phase = matrix["phase"]
    preview = "true" if matrix.get("preview") else "false"
    for name, host in matrix["hosts"].items():
        components = " ".join(host["components"])
        for rule in host["rules"]:
            writer.writerow((name, host["address"], components, rule["direction"], rule["protocol"],
                             rule["port"], " ".join(rule["peers"]), rule["lifecycle"], rule["purpose"],
                             rule["name"], phase, preview, "true" if ANY in rule["peers"] else "false"))
    return out.getvalue()


def summarize(matrix):
    """Counts for a short console summary: hosts per component, rules per lifecycle, the gate."""
    components = {component: 0 for component in COMPONENT_ORDER}
    lifecycles = {lifecycle: 0 for lifecycle in LIFECYCLE_ORDER}
    retired = 0
    for host in matrix["hosts"].values():
        for component in host["components"]:
            components[component] = components.get(component, 0) + 1
        for rule in host["rules"]:
            lifecycles[rule["lifecycle"]] = lifecycles.get(rule["lifecycle"], 0) + 1
        retired += len(host.get("retired_rules", ()))
    gate = matrix["gate"]
    return {
        "phase": matrix["phase"],
        "target_version": matrix["target_version"],
        "preview": bool(matrix.get("preview")),
        "hosts": len(matrix["hosts"]),
        "hosts_per_component": {key: value for key, value in components.items() if value},
        "rules": sum(lifecycles.values()),
        "rules_per_lifecycle": lifecycles,
        "retired_rules": retired,
        "flows": len(matrix["flows"]),
        "backoffice_ready": gate["backoffice_ready"],
        "blocking_hosts": gate["blocking_hosts"],
        "agents_ready": gate["agents_ready"],
        "blocking_agents_count": gate.get("blocking_agents_count", 0),
        "agent_networks_unverified": list(gate.get("agent_networks_unverified", ())),
        "warnings": list(matrix.get("warnings", ())),
    }


def host_groups(matrix):
    """Hosts with identical components and rules, as lists of names (in component, then name order)."""
    groups = {}
    key_of_list = {}
    for name, host in matrix["hosts"].items():
        # Agents share one rule list object: serialize it once, not once per agent. The cache keeps
        # the lists it saw, so that an id is never reused by another list.
        rules, retired = host["rules"], host.get("retired_rules", [])
        cached = key_of_list.get(id(rules))
        if cached is None or cached[1] is not retired:
            cached = (rules, retired, json.dumps([rules, retired], sort_keys=True))
            key_of_list[id(rules)] = cached
        rules_key = cached[2]
        groups.setdefault((tuple(host["components"]), rules_key), []).append(name)
    return sorted(groups.values(), key=lambda names: (_component_rank(matrix["hosts"][names[0]]), names[0]))


def _component_rank(host):
    return min(COMPONENT_ORDER.index(c) if c in COMPONENT_ORDER else len(COMPONENT_ORDER)
               for c in host["components"])


def _cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def _peers_cell(peers):
    if len(peers) <= LISTED_PEERS:
        return _cell(", ".join(peers))
    return _cell("%s, ... (%d more, see port_matrix.csv)" % (", ".join(peers[:LISTED_PEERS]),
                                                             len(peers) - LISTED_PEERS))


def _rule_table(rules):
    lines = ["| direction | protocol/port | peers | lifecycle | purpose | rule name |",
             "|---|---|---|---|---|---|"]
    for rule in rules:
        lines.append("| %s | %s/%d | %s | %s | %s | `%s` |" % (
            rule["direction"], rule["protocol"], rule["port"], _peers_cell(rule["peers"]),
            rule["lifecycle"], _cell(rule["purpose"]), rule["name"]))
    return lines


def _host_title(matrix, names):
    first = matrix["hosts"][names[0]]
    components = ", ".join(first["components"])
    if len(names) == 1:
        return "### %s (%s, %s)" % (names[0], components, first["address"])
    listed = ", ".join("%s (%s)" % (name, matrix["hosts"][name]["address"]) for name in names[:LISTED_HOSTS])
    more = " and %d more" % (len(names) - LISTED_HOSTS) if len(names) > LISTED_HOSTS else ""
    return "### %d hosts with the same rules (%s): %s%s" % (len(names), components, listed, more)


def _host_details(host):
    details = []
    if not set(host["components"]) & set(COMPONENT_ORDER[:4]):
        details.append("address %s" % host["address"])  # SQL and syslog servers run no SES release
    elif host.get("version"):
        details.append("version %s" % host["version"])
    else:
        details.append("version unknown (ses_version unset)")
    if host.get("co_located"):
        details.append("co-located backend and agent handler")
    return "; ".join(details)


def _group_versions(matrix, names):
    """' Versions: 2.6.3 (ah1, ...); 2.7.1 (...).': the same rules do not mean the same release."""
    if not set(matrix["hosts"][names[0]]["components"]) & set(COMPONENT_ORDER[:4]):
        return ""  # SQL and syslog servers run no SES release
    by_version = {}
    for name in names:
        version = matrix["hosts"][name].get("version") or "unknown, ses_version unset"
        by_version.setdefault(version, []).append(name)
    parts = []
    for version in sorted(by_version, key=lambda item: (item.startswith("unknown"), _version_key(item))):
        members = by_version[version]
        more = " and %d more" % (len(members) - LISTED_HOSTS) if len(members) > LISTED_HOSTS else ""
        parts.append("%s (%s%s)" % (_cell(version), _cell(", ".join(members[:LISTED_HOSTS])), more))
    return " Versions: %s." % "; ".join(parts)


def _version_key(text):
    return [int(part) if part.isdigit() else 0 for part in text.split(".")]


def render_markdown(matrix):
    """A reviewer's view: verdict, warnings, a Mermaid flow diagram and one rule table per host group."""
    summary = summarize(matrix)
    gate = matrix["gate"]
    lines = ["# SES Evolution port matrix: phase %s, target %s" % (matrix["phase"], matrix["target_version"]), ""]
    if summary["preview"]:
        lines += ["> **PREVIEW**: the backoffice gate is not met (blocking: %s; target %s), so cleanup would "
                  "refuse to run. This is the matrix cleanup *will* leave once every backend, agent "
                  "handler and console runs %s." % (", ".join(gate["blocking_hosts"]), matrix["target_version"],
                                                    matrix["target_version"]), ""]
    lines += ["## Summary", "",
              "- Hosts: %d (%s)" % (summary["hosts"], ", ".join(
                  "%d %s" % (count, component) for component, count in summary["hosts_per_component"].items())),
              "- Rules: %d (%s)" % (summary["rules"], ", ".join(
                  "%d %s" % (count, lifecycle) for lifecycle, count in summary["rules_per_lifecycle"].items())),
              ]
    if matrix["phase"] == "cleanup":
        lines.append("- Rules this cleanup removes (legacy): %d, listed under each host" % summary["retired_rules"])
    lines += ["", "## Gate", ""]
    verdict = "**ready**" if gate["backoffice_ready"] else "**not ready**"
    lines.append("- Backoffice at %s: %s" % (matrix["target_version"], verdict))
    for name, reason in gate.get("blocking_reasons", {}).items():
        lines.append("  - %s: %s" % (name, reason))
    agents = "**ready**" if gate["agents_ready"] else "**not ready**"
    lines.append("- Agents at %s (TCP 17000 can go): %s" % (_agent_https(matrix), agents))
    old_agents = gate.get("blocking_agents_count") or 0
    if old_agents:
        listed = gate.get("blocking_agents", [])
        more = " and %d more" % (old_agents - len(listed)) if old_agents > len(listed) else ""
        lines.append("  - %d older agent(s): %s%s" % (old_agents, ", ".join(listed), more))
    if gate.get("agent_networks_unverified"):
        lines.append("  - agent versions unknown behind ses_agent_networks of: %s"
                     % ", ".join(gate["agent_networks_unverified"]))
    lines += ["", "## Warnings", ""]
    lines += ["- %s" % _cell(warning) for warning in matrix.get("warnings", [])] or ["None."]
    lines += ["", "## Rules open to any address", ""] + (_any_lines(matrix) or ["None."])
    lines += ["", "## Flows", ""] + render_mermaid(matrix) + [""]
    lines += ["Solid arrows: permanent flows; **bold**: new in %s; dashed: legacy flows (removed by "
              "cleanup) and TCP 17000 for agents older than %s." % (matrix["target_version"], _agent_https(matrix)),
              ""]
    lines += render_within_table(matrix)
    lines += render_node_table(matrix)
    lines += ["## Rules per host", ""]
    for names in host_groups(matrix):
        host = matrix["hosts"][names[0]]
        lines += [_host_title(matrix, names), "", _host_details(host) if len(names) == 1 else
                  "Components: %s.%s" % (", ".join(host["components"]), _group_versions(matrix, names)), ""]
        if host["rules"]:
            lines += _rule_table(host["rules"])
        else:
            lines.append("No rule in this phase.")
        if host.get("retired_rules"):
            lines += ["", "Removed by cleanup:", ""] + _rule_table(host["retired_rules"])
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _any_lines(matrix):
    """One line per group of hosts with rules that allow any address (each a decision to review)."""
    lines = []
    for names in host_groups(matrix):
        rules = [rule["name"] for rule in matrix["hosts"][names[0]]["rules"] if ANY in rule["peers"]]
        if rules:
            shown = ", ".join(names[:LISTED_HOSTS]) + (" and %d more" % (len(names) - LISTED_HOSTS)
                                                       if len(names) > LISTED_HOSTS else "")
            lines.append("- **%s**: %s" % (_cell(shown), ", ".join("`%s`" % name for name in rules)))
    return lines


def _label(text):
    return str(text).replace('"', "#quot;")


def diagram_nodes(matrix):
    """The diagram's nodes: ([(node id, label, [host names])], grouped). Agents are not among them.

    Up to DIAGRAM_HOSTS hosts, one node per host. Beyond, a network team cannot
    follow crossing edges, so hosts with the same components and topology share
    one node ("5 co-located backends", "150 agent handlers").
    """
    names = [name for group in host_groups(matrix) for name in group
             if "agent" not in matrix["hosts"][name]["components"]]
    if len(names) <= DIAGRAM_HOSTS:
        return [("h%d" % index, _host_label(matrix, name), [name]) for index, name in enumerate(names)], False
    groups = {}
    for name in names:
        groups.setdefault(tuple(matrix["hosts"][name]["components"]), []).append(name)
    return [("g%d" % index, _group_label(components, members), members)
            for index, (components, members) in enumerate(groups.items())], True


def _host_label(matrix, name):
    host = matrix["hosts"][name]
    return "<br/>".join((name, ", ".join(host["components"]), host["address"]))


def _group_label(components, members):
    count = len(members)
    if set(components) == {"backend", "agent_handler"}:
        title = "%d co-located backend%s" % (count, "" if count == 1 else "s")
    elif len(components) == 1 and components[0] in GROUP_NOUNS:
        singular, plural = GROUP_NOUNS[components[0]]
        title = "%d %s" % (count, singular if count == 1 else plural)
    else:
        title = "%d host%s: %s" % (count, "" if count == 1 else "s", ", ".join(components))
    return title if count > 1 else "%s<br/>%s" % (title, members[0])


# Singular and plural of each component, as a node of the grouped diagram names them.
GROUP_NOUNS = {
    "backend": ("backend", "backends"),
    "agent_handler": ("agent handler", "agent handlers"),
    "console": ("console", "consoles"),
    "sql_server": ("SQL server", "SQL servers"),
    "syslog_server": ("syslog server", "syslog servers"),
}


# Edge style per lifecycle: dashed for what cleanup removes, bold for what the target release adds.
EDGE_STYLES = {"legacy": "-.->", "legacy_agent": "-.->", "new": "==>"}


def _diagram(matrix):
    """The diagram's parts: (nodes and grouped as diagram_nodes gives them, edges, flows within a node, externals).

    edges: {(source node, destination node, style): {(port, protocol)}}. A flow whose two
    ends are one node (the co-located backends of a grouped diagram, whose agent handlers
    reach each other's backends) is no edge: Mermaid draws a loop back to the node and
    piles its labels there. It is kept in ``within``: {node: {(lifecycle, port, protocol, flow)}}.
    """
    nodes, grouped = diagram_nodes(matrix)
    node_of = {}
    for node, _label_text, members in nodes:
        for name in members:
            node_of[name] = node
    edges, within, externals = {}, {}, {}
    for flow in matrix["flows"]:
        ends = []
        for end, peers in ((flow["source"], flow["source_peers"]), (flow["destination"], flow["destination_peers"])):
            node = node_of.get(end)
            if node is None:
                node = "x_" + "".join(ch if ch.isalnum() else "_" for ch in end)
                externals.setdefault(node, [EXTERNAL_LABELS.get(end, end), set()])[1].update(peers)
            ends.append(node)
        if ends[0] == ends[1]:
            within.setdefault(ends[0], set()).add((flow["lifecycle"], flow["port"], flow["protocol"], flow["flow"]))
            continue
        style = EDGE_STYLES.get(flow["lifecycle"], "-->")
        edges.setdefault((ends[0], ends[1], style), set()).add((flow["port"], flow["protocol"]))
    return nodes, grouped, edges, within, externals


def _within_line(flows, members):
    """The line a node adds for the flows between its own hosts: ports, with the lifecycle when not permanent."""
    ports = {}
    for lifecycle, port, protocol, _flow in sorted(flows, key=lambda item: (item[1], item[2], item[0])):
        text = "%s/%d" % (protocol, port)
        ports.setdefault(text, [])
        if lifecycle != "permanent" and lifecycle not in ports[text]:
            ports[text].append(lifecycle.replace("_", " "))
    shown = ", ".join(text + (" (%s)" % ", ".join(lifecycles) if lifecycles else "")
                      for text, lifecycles in ports.items())
    return ("between these hosts: " if len(members) > 1 else "to itself: ") + shown


def render_mermaid(matrix):
    """A Mermaid flowchart: one node per host (agents as one node) or outside end, one edge per style.

    Beyond DIAGRAM_HOSTS hosts, one node per component group and topology
    (diagram_nodes), each edge one flow style between two nodes with its port set.
    Flows between the hosts of one node are a line of that node's label, not a loop.
    """
    nodes, grouped, edges, within, externals = _diagram(matrix)
    node_lines = []
    for node, label, members in nodes:
        if node in within:
            label += "<br/>" + _within_line(within[node], members)
        node_lines.append('    %s["%s"]' % (node, _label(label)))
    for node, (label, peers) in sorted(externals.items()):
        shown = sorted(peers)
        if node == "x_agents" and grouped:
            # Agents' addresses are their networks; a large fleet names how many.
            networks = len(peers - {"any"})
            label = "%s: %d network%s" % (label, networks, "" if networks == 1 else "s")
            shown = ["and any address"] if "any" in peers else []
        elif "any" in peers:
            shown = ["any"]
        elif node == "x_agents":
            shown = []
        elif len(shown) > 3:
            shown = ["%d networks" % len(shown)]
        if node in within:
            shown.append(_within_line(within[node], [None, None]))
        text = "<br/>".join([label] + shown)
        node_lines.append('    %s(["%s"])' % (node, _label(text)))
    lines = ["```mermaid", "flowchart LR"] + node_lines
    for (source, destination, style), labels in sorted(edges.items()):
        text = ", ".join("%s/%d" % (protocol, port) for port, protocol in sorted(labels))
        lines.append('    %s %s|"%s"| %s' % (source, style, text, destination))
    lines.append("```")
    return lines


def render_within_table(matrix):
    """Under the diagram: the flows between the hosts of one node, which the diagram writes in the node."""
    nodes, _grouped, _edges, within, _externals = _diagram(matrix)
    if not within:
        return []
    titles = {node: label.split("<br/>")[0] for node, label, _members in nodes}
    lines = ["Flows between the hosts of one node (written in the node, not drawn as an arrow):", "",
             "| node | flow | port | lifecycle |", "|---|---|---|---|"]
    for node in sorted(within, key=lambda item: list(titles).index(item) if item in titles else len(titles)):
        for lifecycle, port, protocol, flow in sorted(within[node], key=lambda item: (item[3], item[1], item[2])):
            lines.append("| %s | %s | %s/%d | %s |" % (_cell(titles.get(node, node)), flow, protocol, port, lifecycle))
    return lines + [""]


def render_node_table(matrix):
    """Under a grouped diagram: which host is in which node (empty when each host has its own)."""
    nodes, grouped = diagram_nodes(matrix)
    if not grouped:
        return []
    lines = ["Hosts in each node of the diagram:", "",
             "| node | host | address | components | version |", "|---|---|---|---|---|"]
    for _node, label, members in nodes:
        title = _cell(label.split("<br/>")[0])
        for name in members:
            host = matrix["hosts"][name]
            # SQL and syslog servers run no SES release.
            ses = set(host["components"]) & set(COMPONENT_ORDER[:4])
            version = (host.get("version") or "unknown (ses_version unset)") if ses else "-"
            lines.append("| %s | %s | %s | %s | %s |" % (title, _cell(name), host["address"],
                                                         ", ".join(host["components"]), _cell(version)))
    return lines + [""]


def render_all(matrix):
    """{file name: content} for the three report files."""
    return {
        "port_matrix.json": render_json(matrix),
        "port_matrix.csv": render_csv(matrix),
        "port_matrix.md": render_markdown(matrix),
    }


def _agent_https(matrix):
    """The release from which agents talk HTTPS (a matrix written before it was recorded: the vendor's)."""
    return matrix.get("agent_https_version") or VENDOR.agent_https_version
