# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The diagram draws no loop from a node back to itself, and loses no flow for it.

In a grouped diagram the co-located backends are one node, and the agent handler
of each reaches the backend of every other (vendor's table: TCP 443 in 2.6, TCP
8443 from 2.7.1 when backend and agent handler share a machine). Mermaid drew
those flows as loops back to the node with their labels piled up; they are now a
line of the node's label and rows of a table under the diagram.
"""

from __future__ import annotations

import re

from hypothesis import given, settings, strategies as st

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.matrix import compute_matrix
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.report import (
    DIAGRAM_HOSTS, diagram_nodes, render_markdown, render_mermaid)

__metaclass__ = type

EDGE = re.compile(r'^    (\w+) (-->|-\.->|==>)\|"([^"|]+)"\| (\w+)$')
NODE = re.compile(r'^    (\w+)(?:\["|\(\[")(.*)(?:"\]|"\]\))$')
ROW = re.compile(r"^\| ([^|]+) \| (\w+) \| (\w+)/(\d+) \| (\w+) \|$")
STYLE = {"legacy": "-.->", "legacy_agent": "-.->", "new": "==>", "permanent": "-->"}


def fleet(colocated, backends, handlers, consoles, networks=False):
    """Groups and host variables: co-located backends, separate backends, agent handlers, consoles,
    one SQL and one syslog server; with ``networks``, each agent handler its own agent network."""
    names = {"colocated": ["bo%02d" % index for index in range(colocated)],
             "backends": ["be%02d" % index for index in range(backends)],
             "handlers": ["ah%02d" % index for index in range(handlers)],
             "consoles": ["con%02d" % index for index in range(consoles)]}
    groups = {"ses_backends": names["colocated"] + names["backends"],
              "ses_agent_handlers": names["colocated"] + names["handlers"],
              "ses_consoles": names["consoles"], "ses_sql_servers": ["sql1"], "ses_syslog_servers": ["log1"]}
    hostvars = {"sql1": {"ses_address": "10.9.0.1"}, "log1": {"ses_address": "10.9.0.2"}}
    for subnet, key in enumerate(("colocated", "backends", "handlers", "consoles"), start=1):
        for index, name in enumerate(names[key]):
            hostvars[name] = {"ses_address": "10.%d.0.%d" % (subnet, index + 1), "ses_version": "2.6.3"}
            if networks and key == "handlers":
                hostvars[name]["ses_agent_networks"] = ["10.%d.0.0/16" % (100 + index)]
    return groups, hostvars


def parse(matrix):
    """(nodes {id: label}, edges {(source, style, destination): {port labels}}, table rows {(node title, flow, port, lifecycle)})."""
    nodes, edges = {}, {}
    for line in render_mermaid(matrix)[2:-1]:
        edge = EDGE.match(line)
        if edge:
            key = (edge.group(1), edge.group(2), edge.group(4))
            assert key not in edges, "two edges of one style between two nodes: " + line
            edges[key] = set(edge.group(3).split(", "))
        else:
            node = NODE.match(line)
            assert node, "not a node nor an edge: %r" % line
            nodes[node.group(1)] = node.group(2)
    markdown = render_markdown(matrix)
    rows = set()
    if "Flows between the hosts of one node" in markdown:
        table = markdown.split("Flows between the hosts of one node", 1)[1].split("\n\n")[1]
        for line in table.splitlines()[2:]:
            row = ROW.match(line)
            assert row, line
            rows.add((row.group(1), row.group(2), "%s/%s" % (row.group(3), row.group(4)), row.group(5)))
    return nodes, edges, rows


def test_colocated_backends_reach_each_other_without_a_loop():
    """Nine servers, so the diagram groups: bo00 and bo01 are one node, "2 co-located backends"."""
    groups, hostvars = fleet(colocated=2, backends=0, handlers=3, consoles=2, networks=True)
    matrix = compute_matrix(groups, hostvars)
    nodes, edges, rows = parse(matrix)
    assert not [edge for edge in edges if edge[0] == edge[2]], edges
    (colocated,) = [node for node, label in nodes.items() if label.startswith("2 co-located backends")]
    # The vendor's table, between two co-located machines: agent handler -> backend, TCP 443 in 2.6
    # (legacy, dashed), TCP 8443 from 2.7.1 (new, bold); said in the node instead of a loop.
    assert nodes[colocated] == "2 co-located backends<br/>between these hosts: tcp/443 (legacy), tcp/8443 (new)"
    assert rows == {("2 co-located backends", "agent_handler_to_backend", "tcp/443", "legacy"),
                    ("2 co-located backends", "agent_handler_to_backend", "tcp/8443", "new")}
    # The same flows from the separate agent handlers are still arrows.
    (handlers,) = [node for node, label in nodes.items() if label.startswith("3 agent handlers")]
    assert edges[(handlers, "-.->", colocated)] == {"tcp/443"} and edges[(handlers, "==>", colocated)] == {"tcp/8443"}


def test_a_small_fleet_keeps_one_node_per_host_and_arrows_between_them():
    groups, hostvars = fleet(colocated=2, backends=0, handlers=1, consoles=1)
    matrix = compute_matrix(groups, hostvars)
    nodes, edges, rows = parse(matrix)
    bo00, bo01 = ([node for node, label in nodes.items() if label.startswith(name + "<br/>")][0]
                  for name in ("bo00", "bo01"))
    assert edges[(bo00, "==>", bo01)] == {"tcp/8443"} and edges[(bo01, "-.->", bo00)] == {"tcp/443"}
    assert not rows and "between these hosts" not in "".join(nodes.values())


@settings(max_examples=40, deadline=None)
@given(colocated=st.integers(1, 4), backends=st.integers(0, 3), handlers=st.integers(0, 5),
       consoles=st.integers(0, 3), networks=st.booleans(), phase=st.sampled_from(["migrate", "cleanup"]))
def test_every_flow_is_an_arrow_or_a_row_and_no_arrow_is_a_loop(colocated, backends, handlers, consoles, networks, phase):
    groups, hostvars = fleet(colocated, backends, handlers, consoles, networks)
    matrix = compute_matrix(groups, hostvars, phase=phase)
    node_list, grouped = diagram_nodes(matrix)
    assert grouped == (colocated + backends + handlers + consoles + 2 > DIAGRAM_HOSTS)
    node_of = {name: node for node, _label, members in node_list for name in members}
    title = {node: label.split("<br/>")[0] for node, label, _members in node_list}
    nodes, edges, rows = parse(matrix)
    assert not [edge for edge in edges if edge[0] == edge[2]], edges
    expected_edges, expected_rows = {}, set()
    for flow in matrix["flows"]:
        source = node_of.get(flow["source"], "x_" + flow["source"])
        destination = node_of.get(flow["destination"], "x_" + flow["destination"])
        port = "%s/%d" % (flow["protocol"], flow["port"])
        if source == destination:
            expected_rows.add((title[source], flow["flow"], port, flow["lifecycle"]))
            assert port in nodes[source], (source, nodes[source])
        else:
            expected_edges.setdefault((source, STYLE[flow["lifecycle"]], destination), set()).add(port)
    assert edges == expected_edges
    assert rows == expected_rows
    # Only a node of several hosts holds flows between its hosts.
    members = {node: names for node, _label, names in node_list}
    assert all(len(members[node]) > 1 for node, label in nodes.items() if "between these hosts" in label)
