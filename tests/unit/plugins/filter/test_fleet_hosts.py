# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one platform registry: every spelling of a connection gives the same platform and remoteness."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.ses_evolution.firewall.plugins.filter.fleet_hosts import fleet_hosts
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import connections
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.verify import build_plan

__metaclass__ = type

WINDOWS = ["winrm", "psrp", "ansible.builtin.winrm", "ansible.builtin.psrp"]
LINUX = ["ssh", "smart", "paramiko", "ansible.builtin.ssh", "local", "ansible.builtin.local", None, ""]


@pytest.mark.parametrize("connection", WINDOWS)
def test_every_spelling_of_winrm_and_psrp_is_windows(connection):
    assert fleet_hosts(["h"], {"h": {"ansible_connection": connection}})["h"] == {
        "platform": "windows", "remote": True, "managed": True}


@pytest.mark.parametrize("connection", LINUX)
def test_other_connections_are_linux(connection):
    profile = fleet_hosts(["h"], {"h": {"ansible_connection": connection}})["h"]
    assert profile["platform"] == "linux"
    assert profile["remote"] is (connection not in ("local", "ansible.builtin.local"))


def test_ses_platform_and_managed_as_typed():
    hostvars = {"a": {"ansible_connection": "winrm", "ses_platform": "Linux"},
                "b": {"ses_platform": "windows", "ses_firewall_managed": "false"},
                "c": {"ses_firewall_managed": "no"}, "d": {}}
    profiles = fleet_hosts(["a", "b", "c", "d"], hostvars)
    assert [profiles[name]["platform"] for name in "abcd"] == ["linux", "windows", "linux", "linux"]
    assert [profiles[name]["managed"] for name in "abcd"] == [True, False, False, True]


@pytest.mark.parametrize("variables, variable", [({"ses_platform": "solaris"}, "ses_platform"),
                                                 ({"ses_firewall_managed": "maybe"}, "ses_firewall_managed")])
def test_a_bad_value_names_the_host_and_the_variable(variables, variable):
    with pytest.raises(AnsibleFilterError, match="host 'bo1': %s" % variable):
        fleet_hosts(["bo1"], {"bo1": variables})


def test_the_verify_plan_treats_fqcn_winrm_as_windows():
    """A Windows host written with the FQCN connection never runs the Linux probe."""
    matrix = {"phase": "migrate", "retired_flows": [], "flows": [
        {"source": "con1", "destination": "bo1", "protocol": "tcp", "port": 443, "flow": "console_to_backend",
         "lifecycle": "legacy"},
        {"source": "bo1", "destination": "con1", "protocol": "tcp", "port": 9999, "flow": "test", "lifecycle": "new"}],
        "hosts": {"bo1": {"address": "10.0.0.11", "components": ["backend"]},
                  "con1": {"address": "10.0.0.21", "components": ["console"]}}}
    hostvars = {"bo1": {"ansible_connection": "ansible.builtin.winrm"}, "con1": {"ansible_connection": "local"}}
    assert connections.platform("ansible.builtin.psrp") == "windows"
    plan = build_plan(matrix, fleet_hosts(["bo1", "con1"], hostvars), blocked_ports=[])
    assert "bo1" not in plan["listeners"] and "bo1" not in plan["probes_by_source"]
    assert "con1" in plan["probes_by_source"]
