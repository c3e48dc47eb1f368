# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""verify_plan, verify_report and cleanup_probe_hosts validate their arguments against their DOCUMENTATION.

A mistyped option or a wrong type says which filter, which option and what it takes, instead of a
Python TypeError or a value silently read another way.
"""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.ses_evolution.firewall.plugins.filter.cleanup_probe_hosts import cleanup_probe_hosts
from ansible_collections.ses_evolution.firewall.plugins.filter.verify_plan import verify_plan
from ansible_collections.ses_evolution.firewall.plugins.filter.verify_report import verify_report

__metaclass__ = type

MATRIX = {"phase": "migrate", "flows": [], "hosts": {
    "bo1": {"components": ["backend"], "address": "192.0.2.11", "rules": []},
    "con1": {"components": ["console"], "address": "192.0.2.21", "rules": []}}}
HOSTS = {"bo1": {"managed": True, "platform": "linux"}, "con1": {"managed": True, "platform": "linux"}}
PLAN = {"session": "s", "phase": "migrate", "probes": [], "hosts": []}


@pytest.mark.parametrize("call, message", [
    (lambda: verify_plan(MATRIX, HOSTS, blocked_prots=["tcp/1"]),
     r"verify_plan: unknown option 'blocked_prots' \(options: _input, blocked_from, blocked_ports, hosts, session\)"),
    (lambda: verify_plan(MATRIX, HOSTS, blocked_ports={"tcp": 1}), r"verify_plan: .*blocked_ports"),
    (lambda: verify_plan("not a matrix", HOSTS), r"verify_plan: .*_input"),
    (lambda: verify_report(PLAN, {}, {}, unconfirmed="maybe"), r"verify_report: .*unconfirmed.*fail, warn"),
    (lambda: verify_report(PLAN, {}, {}, colour="red"), r"verify_report: unknown option 'colour'"),
    (lambda: verify_report(PLAN, "text", {}), r"verify_report: .*outcomes"),
    (lambda: cleanup_probe_hosts(MATRIX, {}, "Linux"), r"cleanup_probe_hosts: .*platform.*linux, windows"),
    (lambda: cleanup_probe_hosts(MATRIX, {}, "linux", tokn="x"), r"cleanup_probe_hosts: unknown option 'tokn'"),
])
def test_bad_arguments_are_named(call, message):
    with pytest.raises(AnsibleFilterError, match=message):
        call()


def test_good_arguments_still_work():
    assert verify_plan(MATRIX, HOSTS, blocked_ports=["tcp/17001"], session="s1")["session"] == "s1"
    assert verify_plan({"matrix": MATRIX, "fleet_hosts": HOSTS}, session="s2")["session"] == "s2"
    assert verify_report(PLAN, {}, {}, unconfirmed="warn")["total"] == 0
    assert cleanup_probe_hosts(MATRIX, {}, "linux") == ["bo1", "con1"]
    assert cleanup_probe_hosts(["con1", "bo1"], {}, "linux") == ["bo1", "con1"]


def test_host_rules_names_a_bad_option_without_converting_the_matrix():
    from ansible_collections.ses_evolution.firewall.plugins.filter.host_rules import host_rules
    with pytest.raises(AnsibleFilterError, match=r"host_rules: unknown option 'lifecycle'"):
        host_rules(MATRIX, "bo1", lifecycle=["new"])
    with pytest.raises(AnsibleFilterError, match=r"host_rules: takes 3 positional arguments"):
        host_rules(MATRIX, "bo1", ["new"], "extra")
    with pytest.raises(AnsibleFilterError, match=r"host_rules: unknown lifecycle 'newest'"):
        host_rules(MATRIX, "bo1", lifecycles=["newest"])
    assert host_rules(MATRIX, "bo1") == [] and host_rules(MATRIX, "bo1", lifecycles="new") == []
