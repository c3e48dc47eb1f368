# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fleet-wide settings have one source (command line, group all, the controller), through ansible-playbook.

The cleanup playbook computes its matrix from the first host of the play: a
ses_target_version or ses_groups set on that host alone used to decide for the
whole fleet. A host-level value that differs from the fleet's is now refused,
naming the host, before anything is computed.
"""

from __future__ import annotations

import copy

import pytest

from ansible_collections.ses_evolution.firewall.tests.unit.plugins.action.test_port_matrix import INVENTORY, run

__metaclass__ = type

# The cleanup playbook's pattern: the matrix task runs once, on the first host, delegated to localhost.
FIRST_HOST_PLAYBOOK = [{
    "name": "matrix from the first host", "hosts": "all", "gather_facts": False,
    "tasks": [
        {"name": "matrix", "ses_evolution.firewall.port_matrix": "{{ pm_args | default({}) }}", "register": "pm",
         "run_once": True, "delegate_to": "localhost"},
        {"name": "dump", "ansible.builtin.copy": {
            "content": "{{ {'summary': pm.summary, 'warnings': pm.warnings | default([])} | to_json }}",
            "dest": "{{ dump_to }}"}, "run_once": True, "delegate_to": "localhost"},
    ]}]


def _inventory(**host_vars):
    inventory = copy.deepcopy(INVENTORY)
    for name, variables in host_vars.items():
        for group in inventory["all"]["children"].values():
            if group["hosts"].get(name):
                group["hosts"][name].update(variables)
    return inventory


@pytest.mark.parametrize("variable, value", [
    ("ses_target_version", "2.6.3"),
    ("ses_groups", {"console": "nothing"}),
    ("ses_cleanup_agents", True),
])
def test_a_host_level_fleet_setting_is_refused_naming_the_host(tmp_path, variable, value):
    process, dump = run(tmp_path, _inventory(bo1={variable: value}), {"pm_args": {"phase": "cleanup"}},
                        playbook=FIRST_HOST_PLAYBOOK)
    assert process.returncode != 0 and dump is None
    assert "%s is a fleet-wide setting, but host 'bo1' sets it" % variable in process.stdout, process.stdout
    assert "group_vars/all" in process.stdout


def test_a_fleet_setting_on_a_first_host_outside_the_ses_groups_is_refused(tmp_path):
    """The cleanup playbook reads its switches from the play's first host, SES or not."""
    inventory = copy.deepcopy(INVENTORY)
    inventory["all"]["hosts"] = {"aaa-router": {"ses_cleanup_agents": True}}
    process, dump = run(tmp_path, inventory, {"pm_args": {"phase": "cleanup"}}, playbook=FIRST_HOST_PLAYBOOK)
    assert process.returncode != 0 and dump is None
    assert "ses_cleanup_agents is a fleet-wide setting, but host 'aaa-router' sets it" in process.stdout


def test_the_same_value_on_every_host_from_group_all_is_accepted(tmp_path):
    inventory = copy.deepcopy(INVENTORY)
    inventory["all"]["vars"]["ses_target_version"] = "2.7.1"
    process, dump = run(tmp_path, inventory, {"pm_args": {"phase": "cleanup"}}, playbook=FIRST_HOST_PLAYBOOK)
    assert process.returncode == 0, process.stdout
    assert dump["summary"]["target_version"] == "2.7.1"


def test_a_typo_group_is_refused_through_ansible(tmp_path):
    inventory = copy.deepcopy(INVENTORY)
    inventory["all"]["children"]["ses_console"] = inventory["all"]["children"].pop("ses_consoles")
    process, dump = run(tmp_path, inventory)
    assert process.returncode != 0 and dump is None
    assert "inventory group 'ses_console' looks like the SES group 'ses_consoles'" in process.stdout
    inventory["all"]["vars"]["ses_unrelated_groups"] = ["ses_console"]
    process, dump = run(tmp_path, inventory)
    assert process.returncode == 0, process.stdout
    assert "con1" not in dump["fact_hosts"]
    # Declared unrelated, its console still carries ses_version: a warning says no rule and no gate cover it.
    assert "con1 carry ses_version but are in no SES group" in " ".join((process.stdout + process.stderr).split())


def test_a_contradicting_command_line_phase_is_refused(tmp_path):
    process, dump = run(tmp_path, INVENTORY, {"pm_args": {"phase": "migrate"}, "ses_phase": "cleanup"})
    assert process.returncode != 0 and dump is None
    assert "-e ses_phase=cleanup contradicts this playbook's phase, migrate" in process.stdout
    process, dump = run(tmp_path, INVENTORY, {"pm_args": {"phase": "migrate"}, "ses_phase": "migrate"})
    assert process.returncode == 0, process.stdout


def test_matrix_warnings_are_shown_at_run_time(tmp_path):
    inventory = copy.deepcopy(INVENTORY)
    inventory["all"]["children"]["ses_sql_servers"] = {"hosts": {}}
    process, dump = run(tmp_path, inventory)
    assert process.returncode == 0, process.stdout
    assert "[WARNING]" in process.stdout + process.stderr and "allow any destination" in process.stdout + process.stderr
