# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cleanup gates (fail closed) and the removal plan.

Expected removals come from the vendor's table by hand: with backend bo1
co-located with an agent handler, 2.6 reached it on TCP 443 from the console and
from the separate agent handler ah2; 2.7.1 uses TCP 8443, so cleanup removes the
443 rules on bo1 (inbound), con1 and ah2 (outbound). TCP 17000 (agents older
than 2.7.1) goes only when the agents' gate passes.
"""

from __future__ import annotations

import copy

import pytest

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.agent_export import parse_agent_export
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.cleanup_gate import (
    agents_table, agents_verdict, backoffice_hosts, backoffice_verdict, cleanup_plan, detections_from_probes,
    host_probe_results, is_managed, plan_lines, platform_of, refusal_lines, reminders)
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.matrix import compute_matrix

__metaclass__ = type

GROUPS = {"ses_backends": ["bo1"], "ses_agent_handlers": ["bo1", "ah2"], "ses_consoles": ["con1"],
          "ses_sql_servers": ["sql1"], "ses_agents": ["agent-a", "agent-b"]}
HOSTVARS = {
    "bo1": {"ses_address": "10.0.0.11", "ses_version": "2.7.1"},
    "ah2": {"ses_address": "10.0.0.12", "ses_version": "2.7.1.1204"},
    "con1": {"ses_address": "10.0.0.21", "ses_version": "2.7.1"},
    "sql1": {"ses_address": "10.0.0.31"},
    "agent-a": {"ses_address": "10.0.1.1", "ses_version": "2.7.1"},
    "agent-b": {"ses_address": "10.0.1.2", "ses_version": "2.7.2"},
}
REACHABLE = {"reachable": True}


def _matrix(**changes):
    hostvars = copy.deepcopy(HOSTVARS)
    for host, variables in changes.items():
        hostvars[host].update(variables)
    return compute_matrix(GROUPS, hostvars, phase="cleanup", target_version="2.7.1")


def _all_reachable(matrix):
    return {name: dict(REACHABLE) for name in backoffice_hosts(matrix)}


def test_backoffice_hosts_are_backends_agent_handlers_and_consoles_only():
    assert backoffice_hosts(_matrix()) == ["ah2", "bo1", "con1"]


def test_ready_when_every_backoffice_host_is_on_target():
    matrix = _matrix()
    verdict = backoffice_verdict(matrix, _all_reachable(matrix))
    assert verdict["ready"] is True
    assert verdict["blocking_hosts"] == []
    assert [row["host"] for row in verdict["hosts"]] == ["ah2", "bo1", "con1"]


def test_one_console_on_2_6_blocks_and_the_table_says_why():
    matrix = _matrix(con1={"ses_version": "2.6.3"})
    verdict = backoffice_verdict(matrix, _all_reachable(matrix))
    assert verdict["ready"] is False
    assert verdict["blocking_hosts"] == ["con1"]
    table = "\n".join(verdict["table"])
    assert "con1" in table and "console 2.6.3 (inventory)" in table
    assert "BLOCKS: console: runs 2.6.3 (inventory), older than 2.7.1" in table
    # Blocking hosts come first.
    assert verdict["table"][2].startswith("con1")


def test_unreachable_host_blocks_even_when_its_inventory_version_is_new():
    matrix = _matrix()
    detections = _all_reachable(matrix)
    detections["ah2"] = {"reachable": False, "error": "ssh: connect to host 10.0.0.12 port 22: Connection refused"}
    verdict = backoffice_verdict(matrix, detections)
    assert verdict["blocking_hosts"] == ["ah2"]
    assert "unreachable: ssh: connect to host" in "\n".join(verdict["table"])


def test_host_missing_from_detections_blocks():
    """A limited run that skipped a host cannot pass: absent means not checked."""
    matrix = _matrix()
    detections = _all_reachable(matrix)
    del detections["bo1"]
    verdict = backoffice_verdict(matrix, detections)
    assert verdict["blocking_hosts"] == ["bo1"]
    assert verdict["hosts"][1]["reasons"] == ["not checked: the gate did not reach this host"]


def test_unknown_version_blocks():
    matrix = _matrix(ah2={"ses_version": None})
    verdict = backoffice_verdict(matrix, _all_reachable(matrix))
    assert verdict["blocking_hosts"] == ["ah2"]
    assert "agent_handler: version unknown" in verdict["hosts"][0]["reasons"][0]


def test_detected_version_wins_over_the_inventory():
    matrix = _matrix()  # the inventory says bo1 is on 2.7.1
    detections = _all_reachable(matrix)
    detections["bo1"] = {"reachable": True, "source": "registry",
                         "versions": {"backend": "2.7.1.1204", "agent_handler": "2.6.3.877"}}
    verdict = backoffice_verdict(matrix, detections)
    assert verdict["blocking_hosts"] == ["bo1"]
    assert verdict["hosts"][1]["reasons"] == ["agent_handler: runs 2.6.3.877 (registry), older than 2.7.1"]


def test_detection_upgrades_an_outdated_inventory():
    matrix = _matrix(con1={"ses_version": "2.6.3"})
    detections = _all_reachable(matrix)
    detections["con1"] = {"reachable": True, "source": "registry", "versions": "2.7.1"}
    assert backoffice_verdict(matrix, detections)["ready"] is True


def test_unparseable_detected_version_blocks():
    matrix = _matrix()
    detections = _all_reachable(matrix)
    detections["con1"] = {"reachable": True, "versions": {"console": "2.7.x"}, "source": "registry"}
    verdict = backoffice_verdict(matrix, detections)
    assert verdict["hosts"][2]["reasons"] == ["console: '2.7.x' (registry) is not a version"]


def test_target_version_override():
    matrix = _matrix()
    verdict = backoffice_verdict(matrix, _all_reachable(matrix), target_version="2.7.2")
    assert verdict["blocking_hosts"] == ["ah2", "bo1", "con1"]


def test_plan_removes_the_legacy_443_rules_and_keeps_17000_without_the_agents_gate():
    matrix = _matrix()
    plan = cleanup_plan(matrix, agents_verdict(matrix, requested=False))
    assert plan["bo1"]["removed_names"] == ["in_agent_handler_to_backend_tcp443_legacy",
                                            "in_console_to_backend_tcp443_legacy"]
    assert plan["con1"]["removed_names"] == ["out_console_to_backend_tcp443_legacy"]
    assert plan["ah2"]["removed_names"] == ["out_agent_handler_to_backend_tcp443_legacy"]
    assert plan["sql1"]["removed_names"] == []
    assert plan["agent-a"]["removed_names"] == []
    kept_bo1 = {(rule["direction"], rule["protocol"], rule["port"]) for rule in plan["bo1"]["rules"]}
    assert ("in", "tcp", 8443) in kept_bo1 and ("in", "tcp", 17000) in kept_bo1
    assert ("in", "tcp", 443) in kept_bo1  # the agents' HTTPS port on the agent handler stays
    lines = plan_lines(plan)
    assert "bo1: would remove 2 rule(s), keep" in "\n".join(lines)
    assert lines[-1] == "nothing to remove on: sql1, the 2 agent host(s)"


def test_agents_gate_passes_with_every_agent_host_new_and_drops_17000():
    matrix = _matrix()
    agents = agents_verdict(matrix, requested=True)
    assert agents["ready"] is True and agents["remove_legacy_agent"] is True
    plan = cleanup_plan(matrix, agents)
    assert "in_agent_to_agent_handler_tcp17000_legacy_agent" in plan["bo1"]["removed_names"]
    assert "in_agent_to_agent_handler_tcp17000_legacy_agent" in plan["ah2"]["removed_names"]
    assert plan["agent-a"]["removed_names"] == ["out_agent_to_agent_handler_tcp17000_legacy_agent"]
    lines = plan_lines(plan)
    assert "agents (2 host(s): agent-a, agent-b): would remove 1 rule(s) each, keep 1" in lines
    assert lines[lines.index("agents (2 host(s): agent-a, agent-b): would remove 1 rule(s) each, keep 1") + 1] == \
        "    - out_agent_to_agent_handler_tcp17000_legacy_agent (out tcp/17000, peers 10.0.0.11/32,10.0.0.12/32, " \
        "legacy_agent)"
    assert all(rule["port"] != 17000 for entry in plan.values() for rule in entry["rules"])


def test_agents_gate_refuses_with_one_old_agent_host():
    matrix = _matrix(**{"agent-b": {"ses_version": "2.6.3"}})
    agents = agents_verdict(matrix, requested=True)
    assert agents["ready"] is False and agents["remove_legacy_agent"] is False
    assert [agent["name"] for agent in agents["old_agents"]] == ["agent-b"]
    plan = cleanup_plan(matrix, agents)
    assert "in_agent_to_agent_handler_tcp17000_legacy_agent" not in plan["bo1"]["removed_names"]
    assert "agent-b  2.6.3  (ses_version; runs 2.6.3, older than 2.7.1)" in "\n".join(agents_table(agents))


def _export(*rows):
    text = "Agent name;Agent version\r\n" + "".join("%s;%s\r\n" % row for row in rows)
    return parse_agent_export(text.encode("utf-16"), "agents.csv")


def _networks_matrix():
    groups = {k: v for k, v in GROUPS.items() if k != "ses_agents"}
    hostvars = copy.deepcopy(HOSTVARS)
    hostvars["ah2"]["ses_agent_networks"] = ["10.8.0.0/16"]
    return compute_matrix(groups, hostvars, phase="cleanup")


def test_agent_networks_without_export_refuse():
    agents = agents_verdict(_networks_matrix(), requested=True)
    assert agents["ready"] is False
    assert "agent handler(s) ah2 serve agents listed in ses_agent_networks" in agents["reasons"][0]
    assert "-e ses_agent_export_csv=PATH" in agents["reasons"][0]


def test_agent_networks_with_an_export_of_new_agents_pass():
    text = "Agent name;Agent version;IP address\r\npc1;2.7.1;10.8.0.1\r\npc2;2.8;10.8.4.2\r\n"
    export = parse_agent_export(text.encode("utf-16"), "agents.csv")
    agents = agents_verdict(_networks_matrix(), requested=True, export=export)
    assert agents["ready"] is True, agents["reasons"]
    assert agents["checked_agents"] == 2
    assert agents["networks"] == [{"network": "10.8.0.0/16", "rows": 2}]


def test_one_old_agent_in_the_export_refuses_and_is_named():
    export = _export(("pc1", "2.7.1"), ("pc2", "2.6.3.877"), ("pc3", "2.7.1"))
    agents = agents_verdict(_networks_matrix(), requested=True, export=export)
    assert agents["ready"] is False
    assert agents["old_agents"] == [{"name": "pc2", "version": "2.6.3.877", "source": "agents.csv line 3",
                                     "reason": "runs 2.6.3.877, older than 2.7.1"}]


def test_no_agent_known_at_all_refuses():
    groups = {k: v for k, v in GROUPS.items() if k != "ses_agents"}
    agents = agents_verdict(compute_matrix(groups, HOSTVARS, phase="cleanup"), requested=True)
    assert agents["ready"] is False
    assert agents["reasons"][0].startswith("no agent is known")


def test_export_and_hosts_are_both_checked():
    agents = agents_verdict(_matrix(), requested=True, export=_export(("pc9", "2.6")))
    assert [agent["name"] for agent in agents["old_agents"]] == ["pc9"]
    assert agents["checked_agents"] == 3


@pytest.mark.parametrize("count", [49, 51])
def test_long_lists_are_cut(count):
    export = _export(*[("pc%03d" % index, "2.6") for index in range(count)])
    agents = agents_verdict(_networks_matrix(), requested=True, export=export)
    assert agents["old_agent_count"] == count
    assert len(agents["old_agents"]) == min(count, 50)
    assert ("... and 1 more" in agents_table(agents)[-1]) is (count == 51)


def test_detections_from_probe_results():
    ping_ok = {"item": "bo1", "ansible_loop_var": "item", "ping": "pong", "changed": False, "failed": False}
    unreachable = {"item": "ah2", "ansible_loop_var": "item", "unreachable": True,
                   "msg": "Task failed: Failed to connect to the host via ssh: Connection refused\nmore"}
    failed = {"item": "con1", "ansible_loop_var": "item", "failed": True, "msg": "python not found"}
    skipped = {"item": "x", "skipped": True}
    detections = detections_from_probes([ping_ok, unreachable, failed, skipped])
    assert detections["bo1"] == {"reachable": True, "error": None, "versions": None, "source": None}
    assert detections["ah2"]["reachable"] is False
    assert detections["ah2"]["error"] == "Failed to connect to the host via ssh: Connection refused"
    assert detections["con1"]["error"] == "python not found" and detections["con1"]["failed"] is True
    assert "x" not in detections


def test_windows_read_state_gives_the_lowest_registry_version():
    products = [{"DisplayName": "Stormshield Endpoint Security Evolution Backend", "DisplayVersion": "2.7.1.1204", "Publisher": "Stormshield"},
                {"DisplayName": "Stormshield Endpoint Security Evolution Agent Handler", "DisplayVersion": "2.6.3.877", "Publisher": "Stormshield"}]
    item = {"item": "bo1", "ansible_loop_var": "item", "result": {"rules": [], "profiles": [], "products": products}}
    detections = detections_from_probes([item])
    assert detections["bo1"]["versions"] == "2.6.3.877" and detections["bo1"]["source"] == "registry"
    matrix = _matrix()
    all_probes = _all_reachable(matrix)
    all_probes.update(detections)
    verdict = backoffice_verdict(matrix, all_probes)
    # The inventory says 2.7.1; the registry says the agent handler is still 2.6.3: blocked.
    assert verdict["blocking_hosts"] == ["bo1"]


def test_windows_read_state_without_ses_entries_falls_back_to_ses_version():
    item = {"item": "bo1", "result": {"rules": [], "profiles": [], "products": []}}
    matrix = _matrix()
    probes = _all_reachable(matrix)
    probes.update(detections_from_probes([item]))
    verdict = backoffice_verdict(matrix, probes)
    assert verdict["ready"] is True
    assert verdict["hosts"][1]["versions"]["backend"] == {"version": "2.7.1", "source": "inventory"}


def test_failed_check_blocks_and_says_so():
    matrix = _matrix()
    probes = _all_reachable(matrix)
    probes.update(detections_from_probes([{"item": "con1", "failed": True, "msg": "interpreter not found"}]))
    verdict = backoffice_verdict(matrix, probes)
    assert verdict["hosts"][2]["reasons"] == ["the check failed on the host: interpreter not found"]


def test_one_unreachable_probe_of_two_blocks():
    items = [{"item": "con1", "ping": "pong"}, {"item": "con1", "unreachable": True, "msg": "timeout"}]
    assert detections_from_probes(items)["con1"]["reachable"] is False


def test_unmanaged_hosts_are_judged_by_ses_version_alone():
    matrix = _matrix()
    probes = _all_reachable(matrix)
    del probes["con1"]
    verdict = backoffice_verdict(matrix, probes, unmanaged={"con1"})
    assert verdict["ready"] is True
    assert "ses_firewall_managed is false" in "\n".join(verdict["table"])
    old = _matrix(con1={"ses_version": "2.6.3"})
    assert backoffice_verdict(old, probes, unmanaged={"con1"})["blocking_hosts"] == ["con1"]


@pytest.mark.parametrize("variables, platform", [
    ({}, "linux"), ({"ansible_connection": "winrm"}, "windows"), ({"ansible_connection": "psrp"}, "windows"),
    ({"ansible_connection": "ansible.builtin.winrm"}, "windows"), ({"ansible_connection": "ansible.builtin.psrp"}, "windows"),
    ({"ansible_connection": "local", "ses_platform": "windows"}, "windows"),
    ({"ansible_connection": "winrm", "ses_platform": "linux"}, "linux"),
])
def test_platform_of(variables, platform):
    assert platform_of(variables) == platform


@pytest.mark.parametrize("value, managed", [(None, True), (True, True), (False, False), ("false", False),
                                            ("no", False), ("yes", True)])
def test_is_managed(value, managed):
    variables = {} if value is None else {"ses_firewall_managed": value}
    assert is_managed(variables) is managed


def test_a_managed_value_that_is_no_boolean_is_refused_naming_the_host():
    with pytest.raises(ValueError, match="host 'con1': ses_firewall_managed"):
        is_managed({"ses_firewall_managed": "maybe"}, "con1")


def test_dry_run_lists_few_names_on_large_fleets():
    plan = {"h%03d" % index: {"components": ["sql_server"], "rules": [], "removed": []} for index in range(25)}
    assert plan_lines(plan) == ["nothing to remove on: %s and 5 more" % ", ".join("h%03d" % i for i in range(20))]


@pytest.mark.parametrize("override", ["2.6.3", "2.6", "0", "latest"])
def test_a_lower_or_bad_target_override_never_opens_the_gate(override):
    """The gate never asks less than the matrix's target: the plan removes the 2.6 rules either way."""
    matrix = _matrix(con1={"ses_version": "2.6.3"})
    verdict = backoffice_verdict(matrix, _all_reachable(matrix), target_version=override)
    assert verdict["ready"] is False and "con1" in verdict["blocking_hosts"]


def test_the_table_says_where_each_version_came_from():
    matrix = _matrix(con1={"ses_version": "2.6.3"})
    detections = _all_reachable(matrix)
    detections["ah2"] = {"reachable": True, "versions": {"agent_handler": "2.7.1"}, "source": "registry"}
    table = "\n".join(backoffice_verdict(matrix, detections)["table"])
    assert "console 2.6.3 (inventory)" in table and "agent_handler 2.7.1 (registry)" in table


def test_versions_from_the_command_line_need_their_own_acknowledgement():
    """-e ses_version=2.7.1 gave every Linux host 2.7.1 and let a 2.6.3 console through, silently."""
    matrix = _matrix()
    matrix["version_source"] = "command line"
    detections = _all_reachable(matrix)
    detections["ah2"] = {"reachable": True, "versions": {"agent_handler": "2.7.1"}, "source": "registry"}
    refused = backoffice_verdict(matrix, detections)
    assert refused["ready"] is False and refused["blocking_hosts"] == ["bo1", "con1"]  # ah2: its registry speaks
    assert "ses_cleanup_accept_command_line_version=yes" in "\n".join(refused["table"])
    assert "console 2.7.1 (command line)" in "\n".join(refused["table"])
    accepted = backoffice_verdict(matrix, detections, accept_command_line_version=True)
    assert accepted["ready"] is True and accepted["version_source"] == "command line"
    assert accepted["command_line_version_accepted"] is True


def test_a_host_probe_counts_only_with_this_runs_token():
    """A probe the host ran on itself (the parallel probe play) stands for it; an inventory value cannot."""
    recorded = {"token": "t0k3n", "results": [{"ping": "pong"}, {"skipped": True}]}
    assert host_probe_results(recorded, "t0k3n") == [{"ping": "pong"}]
    assert host_probe_results(recorded, "other") == []
    assert host_probe_results(dict(recorded, token=None), None) == []
    assert host_probe_results({"results": [{"ping": "pong"}]}, "t0k3n") == []
    assert host_probe_results("pong", "t0k3n") == []


def test_refusal_speaks_for_the_backoffice_first_and_ends_with_the_verdict():
    matrix = _matrix(con1={"ses_version": "2.6.3"}, **{"agent-b": {"ses_version": "2.6.3"}})
    backoffice = backoffice_verdict(matrix, _all_reachable(matrix))
    lines = refusal_lines(backoffice, agents_verdict(matrix, requested=True))
    assert lines[:-1] == backoffice["table"]
    assert lines[-1].startswith("Cleanup refused: con1 cannot be shown to run 2.7.1 or later")
    assert lines[-1].endswith("Nothing was changed.")


def test_refusal_by_the_agents_gate_only_when_requested():
    matrix = _matrix(**{"agent-b": {"ses_version": "2.6.3"}})
    backoffice = backoffice_verdict(matrix, _all_reachable(matrix))
    assert refusal_lines(backoffice, agents_verdict(matrix, requested=False)) == []
    agents = agents_verdict(matrix, requested=True)
    lines = refusal_lines(backoffice, agents)
    assert lines[:-1] == agents_table(agents)
    assert lines[-1].startswith("The agents' gate refused (table above): TCP 17000 stays while any agent may run "
                                "a version older than 2.7.1.")


def test_no_refusal_and_the_reminder_when_both_gates_pass():
    matrix = _matrix()
    backoffice = backoffice_verdict(matrix, _all_reachable(matrix))
    agents = agents_verdict(matrix, requested=True)
    assert refusal_lines(backoffice, agents) == []
    assert len(reminders(agents)) == 1 and '"Enable old communication protocol"' in reminders(agents)[0]
    assert reminders(agents_verdict(matrix, requested=False)) == []
