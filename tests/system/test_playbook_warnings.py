# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The playbooks print no Ansible warning of their own on a fleet without the optional groups.

A small fleet: one co-located backend and one console, no agent handler of its
own, no agents, no SQL or syslog group, every host unmanaged (nothing is
contacted). The plays that only the hosts with work enter (migrate, verify,
cleanup's probe and removal) then have no host: Ansible must say "no hosts
matched", not warn "Could not match supplied host pattern" as if the playbook
named a group the user forgot.
"""

from __future__ import annotations

import re

import pytest
import scale_fleet

__metaclass__ = type

INVENTORY = """
all:
  vars:
    ses_public_api_clients: []
    ses_update_server: ["203.0.113.10/32"]
    ses_sql_server_addresses: ["10.77.0.31/32"]
    ses_syslog_server_addresses: ["10.77.0.41/32"]
    ses_agent_networks: ["10.77.1.0/24"]
  children:
    ses_backends:
      hosts:
        bo1: {ses_address: 10.77.0.11, ses_version: "2.7.1", ses_firewall_managed: false}
    ses_agent_handlers:
      hosts:
        bo1:
    ses_consoles:
      hosts:
        con1: {ses_address: 10.77.0.21, ses_version: "2.7.1", ses_firewall_managed: false}
"""
# (playbook, extra arguments): cleanup confirmed, so that the run reaches its removal play.
RUNS = (("migrate", ("--check",)), ("verify", ()), ("cleanup", ("-e", "ses_cleanup_confirm=yes")))
WARNING = re.compile(r"^\[WARNING\]: (.*)$", re.M)


@pytest.mark.parametrize("name, extra", RUNS)
def test_no_host_pattern_warning_on_a_fleet_without_optional_groups(tmp_path, name, extra):
    env = scale_fleet.collection_env()
    if scale_fleet.which("ansible-playbook", env) is None:
        pytest.skip("ansible-playbook not found")
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(INVENTORY)
    run = scale_fleet.playbook(name, str(inventory), env, str(tmp_path), str(tmp_path / "out.txt"), *extra,
                               timeout=600)
    text = run.text()
    assert run.rc == 0 and "PLAY RECAP" in text, run
    assert "Could not match supplied host pattern" not in text, run
    # Whatever else Ansible warns about is the inventory's business (none here), not the playbook's.
    assert not WARNING.findall(text), WARNING.findall(text)
