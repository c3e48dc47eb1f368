# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Windows role against the simulator: what Group Policy and the uninstall registry can say (issue 11).

- Group Policy "Apply local firewall rules: No" on a profile: the role refuses before any change
  (its rules would be stored but not enforced), unless told to warn.
- A Stormshield uninstall entry whose version does not parse: the cleanup gate blocks that host,
  quoting the string, although the inventory says 2.7.1.

Simulated Windows (tests/windows_sim): no Windows host runs here; docs/windows.md says what the
simulator does not prove.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from cleanup_helpers import ROOT, playbook

__metaclass__ = type

SCENARIO = os.path.join(ROOT, "extensions", "molecule", "windows_sim")
WINSIM = os.path.join(ROOT, "tests", "windows_sim", "winsim.py")
MIGRATING = os.path.join(SCENARIO, "inventory", "hosts.yml")
UPGRADED = os.path.join(SCENARIO, "inventory_cleanup", "hosts.yml")
HOSTS = ("bo1", "ah2", "con1")

pytestmark = pytest.mark.skipif(not shutil.which("ansible-playbook") or not os.path.exists(SCENARIO),
                                reason="needs ansible-playbook and the windows_sim scenario")


@pytest.fixture()
def sim(tmp_path):
    root = tmp_path / "winsim"
    own = os.environ.get("ANSIBLE_COLLECTIONS_PATH") or os.path.expanduser("~/.ansible/collections")
    env = {"WINDOWS_SIM_ROOT": str(root),
           "ANSIBLE_COLLECTIONS_PATH": os.pathsep.join([os.path.join(ROOT, "tests", "windows_sim"), own])}
    with open(os.path.join(SCENARIO, "seed.json"), encoding="utf-8") as handle:
        seed = json.load(handle)
    seed["bo1"]["allow_local_rules"] = {"domain": "False"}
    seed_path = tmp_path / "seed.json"
    seed_path.write_text(json.dumps(seed))
    subprocess.run([sys.executable, WINSIM, "init", str(root), str(seed_path)], check=True, stdout=subprocess.PIPE)
    return root, env


def _store(root, host):
    return json.loads((root / "hosts" / host / "store.json").read_text())


def test_group_policy_that_ignores_local_rules_refuses_then_warns(sim):
    root, env = sim
    before = _store(root, "bo1")
    run = playbook("migrate", [MIGRATING], "-e", "windows_firewall_method=reconcile", env=env)
    assert run.rc != 0, run
    assert "does not apply local firewall rules on the profile(s) domain" in run.out, run
    assert _store(root, "bo1") == before  # refused before any change
    run = playbook("migrate", [MIGRATING], "-e", "windows_firewall_policy_ignores_local_rules=warn",
                   "-e", "windows_firewall_method=reconcile",
                   env=env)
    assert run.rc == 0, run
    assert "the rules are stored but not enforced there" in run.out
    assert _store(root, "bo1") != before


def test_unparseable_registry_version_blocks_the_cleanup_gate(sim):
    root, env = sim
    store = _store(root, "con1")
    for product in store["products"]:
        product["DisplayVersion"] = "2.6.3 (build 1204)"
    (root / "hosts" / "con1" / "store.json").write_text(json.dumps(store))
    before = {host: _store(root, host) for host in HOSTS}
    run = playbook("cleanup", [UPGRADED], "-e", "ses_cleanup_confirm=yes", "-e", "ses_audit_dir=%s" % (root / "audit"),
                   env=env)
    assert run.rc != 0, run
    blocking = [line for line in run.out.splitlines() if line.lstrip(' "').startswith("con1 ")]
    assert blocking and "BLOCKS" in blocking[0] and "'2.6.3 (build 1204)'" in blocking[0], blocking
    assert {host: _store(root, host) for host in HOSTS} == before
