# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""migrate's host pattern follows the effective ses_groups, also when group_vars sets it.

The simulated Windows fleet of extensions/molecule/windows_sim (tests/windows_sim: no
Windows machine runs here), its SES groups renamed (site_backends, site_handlers,
site_consoles) and ses_groups naming them in inventory group_vars/all.yml, not with -e.
Every host must get its rules: a play whose pattern used the default group names
(ses_backends, ...) would match no host and change nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml

from cleanup_helpers import ROOT, playbook

__metaclass__ = type

SCENARIO = os.path.join(ROOT, "extensions", "molecule", "windows_sim")
WINSIM = os.path.join(ROOT, "tests", "windows_sim", "winsim.py")
HOSTS = ("bo1", "ah2", "con1")
RENAMED = {"ses_backends": "site_backends", "ses_agent_handlers": "site_handlers", "ses_consoles": "site_consoles"}
MANAGED_GROUP = "SES Evolution (managed)"

pytestmark = pytest.mark.skipif(not shutil.which("ansible-playbook") or not os.path.exists(SCENARIO),
                                reason="needs ansible-playbook and the windows_sim scenario")


def _managed_rules(root, host):
    store = json.loads((root / "hosts" / host / "store.json").read_text())
    return sorted(rule["Name"] for rule in store["rules"] if rule.get("Grouping") == MANAGED_GROUP)


def test_ses_groups_in_group_vars_renames_the_migrate_targets(tmp_path):
    inventory = tmp_path / "inventory"
    shutil.copytree(os.path.join(SCENARIO, "inventory"), inventory)
    hosts = yaml.safe_load((inventory / "hosts.yml").read_text())
    children = hosts["all"]["children"]
    for default, renamed in RENAMED.items():
        children[renamed] = children.pop(default)
    (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts))
    (inventory / "group_vars" / "all.yml").write_text(yaml.safe_dump(
        {"ses_groups": {"backend": "site_backends", "agent_handler": "site_handlers", "console": "site_consoles"}}))
    root = tmp_path / "winsim"
    env = {"WINDOWS_SIM_ROOT": str(root),
           "ANSIBLE_COLLECTIONS_PATH": os.pathsep.join(
               [os.path.join(ROOT, "tests", "windows_sim"), os.environ.get("ANSIBLE_COLLECTIONS_PATH", ""),
                os.path.expanduser("~/.ansible/collections")])}
    subprocess.run([sys.executable, WINSIM, "init", str(root), os.path.join(SCENARIO, "seed.json")], check=True,
                   stdout=subprocess.PIPE)
    assert all(_managed_rules(root, host) == [] for host in HOSTS)

    run = playbook("migrate", [inventory / "hosts.yml"], "-e", "windows_firewall_method=reconcile",
                   "-e", "ses_serial=100%", env=env)
    assert run.rc == 0, run
    # The vendor's table for these hosts: con1 (console) reaches the co-located bo1 on TCP 8443 (2.7.1)
    # and TCP 443 (2.6); every host gets at least that rule, so none may be left without rules.
    for host in HOSTS:
        assert _managed_rules(root, host), (host, run)
    assert any("8443" in name for name in _managed_rules(root, "con1")), _managed_rules(root, "con1")
