# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report renderers: CSV, Markdown (with its Mermaid diagram), JSON, and the summary.

The fleet is the bundled example's shape: bo1 a co-located backend (2.7.1),
ah2 a separate agent handler and con1 a console (both 2.6.3), one SQL and one
syslog server, two agents. Expected flows come from the vendor's table: a
console or agent handler reaches a co-located backend on TCP 443 in 2.6
(legacy) and TCP 8443 from 2.7.1 (new).
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.matrix import compute_matrix
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.report import (
    CSV_COLUMNS, host_groups, render_all, render_csv, render_json, render_markdown, render_mermaid,
    select_host_rules, summarize)
from ansible_collections.ses_evolution.firewall.tests.unit.plugins.plugin_utils.example_fleet import GROUPS, HOSTVARS

__metaclass__ = type


def matrix_for(phase, hostvars=None):
    return compute_matrix(GROUPS, hostvars or HOSTVARS, phase=phase)


@pytest.fixture(name="migrate")
def fixture_migrate():
    return matrix_for("migrate")


@pytest.fixture(name="cleanup_preview")
def fixture_cleanup_preview():
    return matrix_for("cleanup")


@pytest.fixture(name="cleanup_ready")
def fixture_cleanup_ready():
    hostvars = {name: dict(values) for name, values in HOSTVARS.items()}
    for name in ("ah2", "con1"):
        hostvars[name]["ses_version"] = "2.7.1"
    return matrix_for("cleanup", hostvars)


def parse_csv(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_parses_back_to_the_same_rules(migrate):
    rows = parse_csv(render_csv(migrate))
    assert tuple(rows[0].keys()) == CSV_COLUMNS
    expected = [(name, host["address"], " ".join(host["components"]), rule["direction"], rule["protocol"],
                 str(rule["port"]), " ".join(rule["peers"]), rule["lifecycle"], rule["purpose"], rule["name"])
                for name, host in migrate["hosts"].items() for rule in host["rules"]]
    got = [tuple(row[column] for column in CSV_COLUMNS[:10]) for row in rows]
    assert got == expected
    assert {row["preview"] for row in rows} == {"false"}
    assert {row["phase"] for row in rows} == {"migrate"}


def test_csv_rows_from_the_vendor_table(migrate):
    """con1 (console, 2.6.3) reaches the co-located bo1 on TCP 443 (2.6) and TCP 8443 (2.7.1)."""
    rows = [row for row in parse_csv(render_csv(migrate)) if row["host"] == "con1"]
    assert sorted((row["direction"], row["protocol"], row["port"], row["peers"], row["lifecycle"]) for row in rows) == [
        ("out", "tcp", "443", "10.77.0.11/32", "legacy"),
        ("out", "tcp", "8443", "10.77.0.11/32", "new"),
    ]
    agent_rows = [row for row in parse_csv(render_csv(migrate)) if row["host"] == "agent-old"]
    # Agents talk to every agent handler: 17000 (older than 2.7.1) and 443; peers space-separated.
    assert {(row["port"], row["peers"]) for row in agent_rows} == {
        ("443", "10.77.0.11/32 10.77.0.12/32"), ("17000", "10.77.0.11/32 10.77.0.12/32")}


def test_cleanup_preview_is_said_in_every_file(cleanup_preview, cleanup_ready):
    assert cleanup_preview["preview"] is True
    files = render_all(cleanup_preview)
    assert json.loads(files["port_matrix.json"])["preview"] is True
    rows = parse_csv(files["port_matrix.csv"])
    assert rows and {row["preview"] for row in rows} == {"true"}
    assert "PREVIEW" in files["port_matrix.md"].split("## Summary", maxsplit=1)[0]
    # Once the gate passes, cleanup is real: no banner, no preview flag.
    ready = render_all(cleanup_ready)
    assert json.loads(ready["port_matrix.json"])["preview"] is False
    assert {row["preview"] for row in parse_csv(ready["port_matrix.csv"])} == {"false"}
    assert "PREVIEW" not in ready["port_matrix.md"]


def test_cleanup_csv_has_no_legacy_rule(cleanup_preview):
    lifecycles = {row["lifecycle"] for row in parse_csv(render_csv(cleanup_preview))}
    assert lifecycles == {"permanent", "new", "legacy_agent"}


def test_json_is_the_matrix(migrate):
    assert json.loads(render_json(migrate)) == migrate


def test_markdown_names_every_host_and_the_gate(migrate):
    text = render_markdown(migrate)
    for name, host in migrate["hosts"].items():
        assert name in text
        assert host["address"] in text
    assert "ah2: runs 2.6.3, older than 2.7.1" in text
    assert "**not ready**" in text
    assert "PREVIEW" not in text
    # Every rule name appears in a table.
    for host in migrate["hosts"].values():
        for rule in host["rules"]:
            assert "`%s`" % rule["name"] in text
    # Table rows have as many cells as the header.
    for line in text.splitlines():
        if line.startswith("| "):
            assert len(re.findall(r"(?<!\\)\|", line)) == 7, line


def test_markdown_collapses_identical_agents():
    groups = dict(GROUPS, ses_agents=["agent-%03d" % index for index in range(40)])
    hostvars = dict(HOSTVARS)
    hostvars.update({"agent-%03d" % index: {"ses_address": "10.78.0.%d" % index, "ses_version": "2.7.1"}
                     for index in range(40)})
    matrix = compute_matrix(groups, hostvars)
    text = render_markdown(matrix)
    assert "### 40 hosts with the same rules (agent): agent-000 (10.78.0.0)" in text
    assert "and 35 more" in text
    assert "agent-039" not in text
    assert [len(names) for names in host_groups(matrix)].count(40) == 1


def test_markdown_lists_what_cleanup_removes(cleanup_ready):
    text = render_markdown(cleanup_ready)
    section = text.split("### con1")[1].split("###")[0]
    assert "Removed by cleanup:" in section
    assert "`out_console_to_backend_tcp443_legacy`" in section.split("Removed by cleanup:")[1]


def test_mermaid_is_well_formed_and_styled_by_lifecycle(migrate):
    lines = render_mermaid(migrate)
    assert lines[0] == "```mermaid" and lines[-1] == "```" and lines[1] == "flowchart LR"
    nodes = {}
    edges = []
    for line in lines[2:-1]:
        node = re.match(r'^    (\w+)(\["|\(\[")(.*)("\]|"\]\))$', line)
        edge = re.match(r'^    (\w+) (-->|-\.->|==>)\|"([^"|]+)"\| (\w+)$', line)
        assert node or edge, "not a node nor an edge: %r" % line
        if node:
            nodes[node.group(1)] = node.group(3).split("<br/>")[0]
        else:
            edges.append((edge.group(1), edge.group(2), edge.group(3), edge.group(4)))
    for source, _style, _label, destination in edges:
        assert source in nodes and destination in nodes
    named = {(nodes[s], style, label, nodes[d]) for s, style, label, d in edges}
    # From the vendor's table: console -> co-located backend, 443 legacy (dashed), 8443 new (bold).
    assert ("con1", "-.->", "tcp/443", "bo1") in named
    assert ("con1", "==>", "tcp/8443", "bo1") in named
    # Agents are one node; 17000 (old agents) dashed, 443 (2.7.1 agents) bold, to both handlers.
    assert ("agents", "-.->", "tcp/17000", "ah2") in named
    assert ("agents", "==>", "tcp/443", "bo1") in named
    # Permanent flows are plain arrows, ports of one edge joined.
    assert ("bo1", "-->", "tcp/1433, tcp/1434, udp/1434", "sql1") in named
    assert ("public API clients", "-->", "tcp/10443", "bo1") in named
    assert "agent-old" not in "\n".join(lines)


def test_mermaid_cleanup_has_no_legacy_edge(cleanup_ready):
    text = "\n".join(render_mermaid(cleanup_ready))
    assert "tcp/8443" in text
    assert not re.search(r'-\.->\|"tcp/443"\|', text)


def test_summary_counts(migrate, cleanup_ready):
    summary = summarize(migrate)
    assert summary["hosts"] == 7
    assert summary["hosts_per_component"] == {"backend": 1, "agent_handler": 2, "console": 1, "agent": 2,
                                              "sql_server": 1, "syslog_server": 1}
    # legacy in 2.6 only: con1->bo1 443 and ah2->bo1 443, each an out and an in rule.
    assert summary["rules_per_lifecycle"]["legacy"] == 4
    assert summary["rules"] == sum(len(host["rules"]) for host in migrate["hosts"].values())
    assert summary["blocking_hosts"] == ["ah2", "con1"]
    cleanup = summarize(cleanup_ready)
    assert cleanup["rules_per_lifecycle"]["legacy"] == 0
    assert cleanup["retired_rules"] == 4
    assert cleanup["backoffice_ready"] is True


def test_select_host_rules(migrate, cleanup_ready):
    assert [rule["name"] for rule in select_host_rules(cleanup_ready, "con1")] == [
        "out_console_to_backend_tcp8443_new"]
    assert [rule["name"] for rule in select_host_rules(cleanup_ready, "con1", ["legacy"])] == [
        "out_console_to_backend_tcp443_legacy"]
    assert [rule["port"] for rule in select_host_rules(migrate, "ah2", "legacy_agent")] == [17000]
    assert select_host_rules(migrate, "no-such-host") == []
    with pytest.raises(ValueError, match="unknown lifecycle 'old'"):
        select_host_rules(migrate, "con1", ["old"])


def test_mermaid_groups_a_large_fleet_by_components():
    """40 agent handlers, each with its own agent network, make distinct rule sets: too many edges."""
    groups = {"ses_backends": ["bo%d" % index for index in range(6)],
              "ses_agent_handlers": ["bo0", "bo1"] + ["ah%02d" % index for index in range(40)],
              "ses_consoles": ["con%d" % index for index in range(5)]}
    hostvars = {"bo%d" % index: {"ses_address": "10.1.0.%d" % (index + 1), "ses_version": "2.7.1"}
                for index in range(6)}
    for index in range(40):
        hostvars["ah%02d" % index] = {"ses_address": "10.2.0.%d" % (index + 1), "ses_version": "2.7.1",
                                      "ses_agent_networks": ["10.%d.0.0/16" % (100 + index)]}
    hostvars.update({"con%d" % index: {"ses_address": "10.3.0.%d" % (index + 1), "ses_version": "2.7.1"}
                     for index in range(5)})
    matrix = compute_matrix(groups, hostvars)
    assert len(host_groups(matrix)) > 40  # per rule set: one node per agent handler
    lines = render_mermaid(matrix)
    nodes = [line for line in lines if re.match(r'^    g\d+\["', line)]
    edges = [line for line in lines if "|" in line]
    # One node per component group and topology: bo0, bo1 co-located (backend + agent handler), bo2..bo5
    # separate backends, 40 agent handlers, 5 consoles; agents one end naming their 40 networks (and any
    # address: bo0 and bo1 have no ses_agent_networks).
    assert sorted(re.search(r'\["([^"<]+)', line).group(1) for line in nodes) == [
        "2 co-located backends", "4 backends", "40 agent handlers", "5 consoles"]
    assert '(["agents: 40 networks<br/>and any address"])' in "\n".join(lines)
    # One edge per flow style and node pair: console -> co-located backends on 8443 (new, bold).
    edge_of = {}
    for line in edges:
        match = re.match(r'^    (\w+) (-->|-\.->|==>)\|"([^"|]+)"\| (\w+)$', line)
        assert match, line
        assert (match.group(1), match.group(2), match.group(4)) not in edge_of, "two edges of one style: " + line
        edge_of[(match.group(1), match.group(2), match.group(4))] = match.group(3)
    label = {re.match(r"^    (\w+)", line).group(1): re.search(r'\["([^"<]+)', line).group(1) for line in nodes}
    named = {(label.get(s, s), style, label.get(d, d)): ports for (s, style, d), ports in edge_of.items()}
    assert "tcp/8443" in named[("5 consoles", "==>", "2 co-located backends")]
    assert "tcp/443" in named[("5 consoles", "-->", "4 backends")]
    assert "tcp/17000" in named[("x_agents", "-.->", "40 agent handlers")]
    assert 0 < len(edges) <= 40
    table = render_markdown(matrix)
    assert "| 40 agent handlers | ah07 | 10.2.0.8 | agent_handler | 2.7.1 |" in table
    assert "| 2 co-located backends | bo1 | 10.1.0.2 | backend, agent_handler | 2.7.1 |" in table


def test_mermaid_draws_each_host_of_a_small_fleet():
    """Two consoles with identical rules still get a node each while the diagram is small."""
    groups = dict(GROUPS, ses_consoles=["con1", "con2"])
    hostvars = dict(HOSTVARS, con2={"ses_address": "10.77.0.22", "ses_version": "2.7.1"})
    matrix = compute_matrix(groups, hostvars)
    text = "\n".join(render_mermaid(matrix))
    assert '["con1<br/>console<br/>10.77.0.21"]' in text
    assert '["con2<br/>console<br/>10.77.0.22"]' in text
    assert text.count('(["agents"])') == 1
    assert "Hosts in each node of the diagram" not in render_markdown(matrix)  # each host is its own node


def test_a_grouped_table_names_each_version_of_its_hosts():
    """con1 runs 2.6.3 and con2 2.7.1: same rules, one table, but the reader must see both versions."""
    groups = dict(GROUPS, ses_consoles=["con1", "con2", "con3"])
    hostvars = dict(HOSTVARS, con2={"ses_address": "10.77.0.22", "ses_version": "2.7.1"},
                    con3={"ses_address": "10.77.0.23"})
    text = render_markdown(compute_matrix(groups, hostvars))
    title = "### 3 hosts with the same rules (console): con1 (10.77.0.21), con2 (10.77.0.22), con3 (10.77.0.23)"
    assert title in text
    section = text[text.index(title):].split("\n\n")[1]
    assert section == ("Components: console. Versions: 2.6.3 (con1); 2.7.1 (con2); "
                       "unknown, ses_version unset (con3).")
