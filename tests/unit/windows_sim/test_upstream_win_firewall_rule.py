# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The simulated win_firewall_rule answers to the real module's own integration tests.

community.windows keeps tests/integration/targets/win_firewall_rule/tasks/main.yml, run on real
Windows: each task and the ``changed`` it expects there. Every task that uses only options this
collection's role passes (name, group, description, direction, action, protocol, ports, remote
addresses in each notation, profiles in each spelling, program and service, enabled, state) is
replayed here, in the upstream order (each task works on the rules the previous ones left), through
the simulator's argument handling and rule store, in check mode (nothing written, same ``changed``)
and for real. Left out, as the role never passes them: interfacetypes, edge, security and
icmp_type_code. Each case id is the upstream task name.

Where the module's PowerShell decides (case of names, groups and choices, "any", address sets,
list parsing, %VAR% expansion), the simulator follows win_firewall_rule.ps1 (3.1.0) and
Ansible.ModuleUtils.Legacy's Get-AnsibleParam: the last tests.
"""

from __future__ import annotations

import copy
import importlib.util
import os
import sys

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

__metaclass__ = type

SIM = os.path.join(os.path.dirname(__file__), "..", "..", "windows_sim")


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


store = _load("winsim_firewall_store", os.path.join(
    SIM, "ansible_collections", "ses_sim", "windows", "plugins", "module_utils", "firewall_store.py"))
sys.modules.setdefault("ansible_collections.ses_sim.windows.plugins.module_utils.firewall_store", store)

HTTP = {"name": "http", "enabled": "yes", "state": "present", "localport": 80, "action": "allow", "direction": "in",
        "protocol": "tcp"}
SVCHOST = "%SystemRoot%\\system32\\svchost.exe"

# (upstream task name, task arguments, the changed it asserts; None: a step the test does not assert)
UPSTREAM = [
    ("Remove potentially leftover firewall rule",
     {"name": "http", "state": "absent", "action": "allow", "direction": "in"}, None),
    ("Add firewall rule", HTTP, True),
    ("Add same firewall rule (again)", HTTP, False),
    ("Remove firewall rule", dict(HTTP, state="absent"), True),
    ("Remove absent firewall rule", dict(HTTP, state="absent"), False),
    ("Add firewall rule (disabled, group application)", dict(HTTP, enabled="no", group="application"), True),
    ("Enable all the rules in application group", {"group": "application", "enabled": "yes"}, True),
    ("Enable all the rules in application group (again)", {"group": "application", "enabled": "yes"}, False),
    ("Disable all the rules in application group", {"group": "application", "enabled": "no"}, True),
    ("Disable all the rules in application group (again)", {"group": "application", "enabled": "no"}, False),
    ("Remove firewall rule (group application)", dict(HTTP, enabled="no", state="absent", group="application"), True),
    ("Add firewall rule (before the change)", HTTP, None),
    ("Change firewall rule", dict(HTTP, action="block"), True),
    ("Disable firewall rule", {"name": "http", "enabled": "no"}, None),
    ("Add firewall rule when remoteip is range", dict(HTTP, remoteip="192.168.0.1-192.168.0.5"), None),
    ("Add same firewall rule when remoteip is range (again)", dict(HTTP, remoteip="192.168.0.1-192.168.0.5"), False),
    ("Add firewall rule when remoteip in CIDR notation", dict(HTTP, remoteip="192.168.0.0/24"), None),
    ("Add same firewall rule when remoteip in CIDR notation (again)", dict(HTTP, remoteip="192.168.0.0/24"), False),
    ("Add firewall rule when remoteip contains a netmask", dict(HTTP, remoteip="192.168.1.0/255.255.255.0"), None),
    ("Add same firewall rule when remoteip contains a netmask (again)",
     dict(HTTP, remoteip="192.168.1.0/255.255.255.0"), False),
    ("Add firewall rule when remoteip is IPv4", dict(HTTP, remoteip="192.168.0.1"), None),
    ("Add same firewall rule when remoteip is IPv4 (again)", dict(HTTP, remoteip="192.168.0.1"), False),
    ("Add firewall rule when remoteip contains a netmask (192.168.2.0)",
     dict(HTTP, remoteip="192.168.2.0/255.255.255.0"), None),
    ("Add same firewall rule when remoteip in CIDR notation", dict(HTTP, remoteip="192.168.2.0/24"), False),
    ("Add firewall rule with multiple ports", dict(HTTP, localport="80,81"), True),
    ("Add firewall rule with profiles in string format", dict(HTTP, profiles="domain,public"), True),
    ("Set firewall rule profile back to 'all'", dict(HTTP, profiles=["Domain", "Public", "Private"]), True),
    ("Add firewall rule with profiles in list format", dict(HTTP, profiles=["Domain", "Private"]), True),
    ("Add rule with path that needs to be expanded",
     {"name": "VarExpansionTest", "enabled": "yes", "state": "present", "action": "allow", "direction": "in",
      "protocol": "tcp", "program": SVCHOST}, None),
    ("Add same rule with path that needs to be expanded",
     {"name": "VarExpansionTest", "enabled": "yes", "state": "present", "action": "allow", "direction": "in",
      "protocol": "tcp", "program": SVCHOST}, False),
    ("Add firewall rule for application group", dict(HTTP, name="Rule for application group", group="application"),
     True),
    ("Add rule with an accociated program",
     {"name": "ApplicationToAnyTest", "enabled": True, "state": "present", "action": "allow", "direction": "in",
      "protocol": "tcp", "program": SVCHOST}, True),
    ("Add same rule with program set to any",
     {"name": "ApplicationToAnyTest", "enabled": True, "state": "present", "action": "allow", "direction": "in",
      "protocol": "tcp", "program": "any"}, True),
]
# What upstream reads back with HNetCfg.FwPolicy2 after a task (by the index of that task).
READ_BACK = {
    # "Ensure that disabling the rule did not change the previous values"
    "Disable firewall rule": ("http", {"LocalPorts": "80", "Enabled": False, "Action": 0, "Direction": 1,
                                       "Protocol": 6}),
    # the module expands the path with [Environment]::ExpandEnvironmentVariables (SystemRoot = C:\Windows)
    "Add rule with path that needs to be expanded": (
        "VarExpansionTest", {"ApplicationName": "C:\\Windows\\system32\\svchost.exe"}),
    # "Get the actual values ... and check if ApplicationName is null"
    "Add same rule with program set to any": ("ApplicationToAnyTest", {"ApplicationName": None}),
}


def options(task_args):
    """The task's arguments as the simulated module receives them: Ansible's argument handling of its
    spec, then the legacy Get-AnsibleParam conversions of the real module."""
    result = ArgumentSpecValidator(store.ARGUMENT_SPEC).validate(dict(task_args))
    assert not result.error_messages, result.error_messages
    return store.legacy_options(result.validated_parameters)


def replay(steps):
    rules = []
    for _name, task_args, _changed in steps:
        store.apply_rule(rules, options(task_args), False)
    return rules


@pytest.mark.parametrize("index", range(len(UPSTREAM)), ids=[step[0] for step in UPSTREAM])
def test_upstream_task(index):
    name, task_args, expected = UPSTREAM[index]
    rules = replay(UPSTREAM[:index])
    before = copy.deepcopy(rules)
    changed_check, _msg, _diff = store.apply_rule(rules, options(task_args), True)
    assert rules == before  # check mode writes nothing
    changed, _msg, _diff = store.apply_rule(rules, options(task_args), False)
    assert changed == changed_check
    if expected is not None:
        assert changed is expected
    if name in READ_BACK:
        rule_name, values = READ_BACK[name]
        found = store.find(rules, rule_name)
        assert found and {key: found[0][key] for key in values} == values


# --- where the PowerShell decides ----------------------------------------------------------

def test_choices_are_case_insensitive_as_get_ansibleparam_validateset():
    """-ValidateSet uses -contains, and ConvertTo-Direction/Action switch, both case-insensitive."""
    rules = []
    changed, _msg, _diff = store.apply_rule(rules, options(
        {"name": "r", "direction": "In", "action": "BLOCK", "protocol": "TCP", "localport": "80", "state": "Present"}),
        False)
    assert changed and (rules[0]["Direction"], rules[0]["Action"], rules[0]["Protocol"]) == (1, 0, 6)
    assert not store.apply_rule(rules, options({"name": "R", "direction": "in", "action": "block"}), False)[0]
    assert store.apply_rule(rules, options({"name": "r", "state": "ABSENT"}), False)[0] and rules == []


def test_a_choice_outside_the_set_fails_as_get_ansibleparam():
    with pytest.raises(store.ComError, match="direction needs to be one of in,out but was sideways"):
        options({"name": "r", "direction": "sideways"})


def test_any_is_case_insensitive_as_the_module_s_ne():
    """``$protocol -ne "any"``, ``$program -ne "any"``...: PowerShell's -ne ignores case."""
    rules = []
    store.apply_rule(rules, options({"name": "r", "protocol": "ANY", "remoteip": "Any", "program": "Any",
                                     "service": "ANY", "localip": "aNy"}), False)
    assert (rules[0]["Protocol"], rules[0]["RemoteAddresses"], rules[0]["ApplicationName"]) == (256, "*", None)


def test_group_matches_case_insensitively_as_the_module_s_eq():
    """``$_.Grouping -eq $group``."""
    rules = []
    store.apply_rule(rules, options({"name": "r", "group": "Application", "enabled": False}), False)
    assert store.apply_rule(rules, options({"group": "APPLICATION", "enabled": True}), False)[0]
    assert rules[0]["Enabled"] is True


def test_a_profile_list_in_a_string_is_split_and_trimmed_as_get_ansibleparam():
    """-type list: ``$value.Split(",").Trim()``."""
    rules = []
    store.apply_rule(rules, options({"name": "r", "profiles": "domain, Public"}), False)
    assert rules[0]["Profiles"] == 5


def test_only_a_group_with_no_rule_changes_nothing():
    """present, no name, no rule in the group: neither created nor changed."""
    rules = []
    assert store.apply_rule(rules, options({"group": "nobody", "enabled": True}), False)[0] is False
    assert rules == []
