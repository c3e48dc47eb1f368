# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The capture of a real Windows host (playbook windows_facts) and the simulator started from one.

- The capture is read only (check mode: no change on the host, changed=0, the file written all the
  same). That a loaded capture reads back as captured is tests/unit/windows_sim's.
- Every capture of tests/windows_sim/captures/ is a fixture with no code change: from it,
  migrate adopts the installer's rules (scoped to the matrix peers, never deleted, their
  program and service kept), cleanup with the agents' gate disables the retired TCP 17000
  rule, and with installer_rules=leave and
  installer_retired=keep the captured rules stay exactly as captured.

Simulated Windows (tests/windows_sim): no Windows host runs here; docs/windows.md says what the
simulator does not prove.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys

import pytest

from cleanup_helpers import ROOT, playbook, playbooks_at_once

__metaclass__ = type

SCENARIO = os.path.join(ROOT, "extensions", "molecule", "windows_sim")
WINSIM = os.path.join(ROOT, "tests", "windows_sim", "winsim.py")
CAPTURES = sorted(glob.glob(os.path.join(ROOT, "tests", "windows_sim", "captures", "*.json")))
AGENTS_2_7_1 = os.path.join(SCENARIO, "agents_2_7_1.csv")
MANAGED_GROUP = "SES Evolution (managed)"
CATALOG = {"".join(name.split()).casefold() for name in (
    "Stormshield Endpoint Security Evolution Agent Handler (TCP-In)",
    "Stormshield Endpoint Security EvolutionAgent Handler (TCP-In)",
    "Stormshield Endpoint Security EvolutionBackend (TCP-In)",
    "Stormshield Endpoint Security EvolutionPublic API (TCP-In)")}
# Peers outside the simulation (not managed): whatever the captured host is not, by address.
PEERS = {"backend": ("peer-be", "192.0.2.111"), "agent_handler": ("peer-ah", "192.0.2.112"),
         "console": ("peer-con", "192.0.2.121")}
GROUPS = {"backend": "ses_backends", "agent_handler": "ses_agent_handlers", "console": "ses_consoles"}

pytestmark = pytest.mark.skipif(not shutil.which("ansible-playbook"), reason="needs ansible-playbook")


def _environment(root):
    own = os.environ.get("ANSIBLE_COLLECTIONS_PATH") or os.path.expanduser("~/.ansible/collections")
    return {"WINDOWS_SIM_ROOT": str(root),
            "ANSIBLE_COLLECTIONS_PATH": os.pathsep.join([os.path.join(ROOT, "tests", "windows_sim"), own,
                                                         "/usr/share/ansible/collections"])}


def _load(root, host, capture):
    """A simulated host whose starting state is the capture (the seed names only the file)."""
    seed = root.parent / ("seed-%s.json" % host)
    seed.write_text(json.dumps({host: {"capture": capture}}))
    subprocess.run([sys.executable, WINSIM, "init", str(root), str(seed)], check=True, stdout=subprocess.PIPE)


def _store(root, host):
    return json.loads((root / "hosts" / host / "store.json").read_text())


def _inventory(path, host, components):
    """The captured host in its groups, the other backoffice roles as unmanaged peers, by address."""
    groups = {GROUPS[c]: {"hosts": {}} for c in GROUPS}
    for component in components:
        groups[GROUPS[component]]["hosts"][host] = {"ses_address": "192.0.2.11", "ses_version": "2.7.1"}
    for component, (peer, address) in PEERS.items():
        groups[GROUPS[component]]["hosts"][peer] = {"ses_address": address, "ses_version": "2.7.1",
                                                    "ses_firewall_managed": False}
    groups["windows_sim"] = {"hosts": {host: {}}, "vars": {
        "ses_platform": "windows", "ansible_connection": "local",
        "ansible_python_interpreter": "{{ lookup('ansible.builtin.env', 'WINDOWS_SIM_ROOT') }}"
                                      "/hosts/{{ inventory_hostname }}/python"}}
    inventory = {"all": {"vars": {"ses_target_version": "2.7.1", "ses_public_api_clients": ["192.0.2.60/32"],
                                  "ses_update_server": ["192.0.2.250/32"], "ses_agent_networks": ["198.51.100.0/24"],
                                  "ses_sql_server_addresses": ["192.0.2.31/32"],
                                  "ses_syslog_server_addresses": ["192.0.2.41/32"]},
                         "children": groups}}
    path.write_text(json.dumps(inventory))
    return path


def _key(rule):
    return (rule["Name"].casefold(), rule["Protocol"], rule["LocalPorts"])


def test_capture_is_read_only_and_loads_back_as_it_was(tmp_path):
    root = tmp_path / "winsim"
    subprocess.run([sys.executable, WINSIM, "init", str(root), os.path.join(SCENARIO, "seed.json")], check=True,
                   stdout=subprocess.PIPE)
    before = _store(root, "bo1")
    inventory = os.path.join(SCENARIO, "inventory", "hosts.yml")
    first = tmp_path / "first"
    run = playbook("windows_facts", [inventory], "--check", "--limit", "bo1",
                   "-e", "ses_windows_facts_dir=%s" % first, env=_environment(root))
    assert run.rc == 0, run
    assert "changed=0" in run.out and "failed=0" in run.out, run
    assert _store(root, "bo1") == before  # read only, and written under --check all the same
    captured = json.loads((first / "bo1.json").read_text())
    assert oct((first / "bo1.json").stat().st_mode & 0o777) == "0o600"
    assert captured["format"] == 1 and captured["components"] == ["backend", "agent_handler"]
    names = {rule["Name"] for rule in captured["rules"]}
    assert "Remote Desktop - User Mode (TCP-In)" not in names  # names no SES word
    assert {"SES Evolution - hand-made rule", "Stormshield Endpoint Security EvolutionBackend (TCP-In)"} <= names
    assert [p["DisplayName"] for p in captured["products"]] == [
        "Stormshield Endpoint Security Evolution Agent", "Stormshield Endpoint Security Evolution Backend",
        "Stormshield Endpoint Security Evolution Agent Handler"]


@pytest.mark.parametrize("capture", CAPTURES, ids=os.path.basename)
def test_migrate_then_cleanup_from_a_capture(tmp_path, capture):
    with open(capture, encoding="utf-8") as handle:
        document = json.load(handle)
    host = document["host"]
    captured = {_key(rule): rule for rule in document["rules"]}
    installer = {key for key, rule in captured.items() if "".join(rule["Name"].split()).casefold() in CATALOG
                 and rule["Direction"] == 1 and rule["Grouping"] != MANAGED_GROUP}
    assert installer, "%s: no installer rule of the catalog in the capture" % capture
    inventory = _inventory(tmp_path / "hosts.json", host, document["components"])
    roots = {name: tmp_path / name / "winsim" for name in ("adopt", "leave")}
    for name, root in roots.items():
        root.parent.mkdir()
        _load(root, host, capture)
    runs = playbooks_at_once({
        "adopt": ("migrate", [inventory], [], _environment(roots["adopt"])),
        "leave": ("migrate", [inventory], ["-e", "windows_firewall_installer_rules=leave",
                                           "-e", "windows_firewall_installer_retired=keep"],
                  _environment(roots["leave"]))})
    assert runs["adopt"].rc == 0, runs["adopt"]
    assert runs["leave"].rc == 0, runs["leave"]

    # leave + keep: every captured rule exactly as captured; only the collection's own rules added.
    left = {_key(rule): rule for rule in _store(roots["leave"], host)["rules"]}
    for key, rule in captured.items():
        assert {k: left[key].get(k) for k in rule} == rule, key
    assert all(rule["Grouping"] == MANAGED_GROUP for key, rule in left.items() if key not in captured)

    def check_adopted(store, retired=()):
        now = {_key(rule): rule for rule in store["rules"]}
        for key, rule in captured.items():
            assert key in now, "%s: the captured rule %r was deleted" % (capture, key)
            if key not in installer:
                if rule["Grouping"] != MANAGED_GROUP and not rule["Name"].startswith("SES Evolution - "):
                    assert now[key] == dict(now[key], **rule), key  # not the collection's: untouched
                continue
            for unchanged in ("Name", "Grouping", "Description", "ApplicationName", "ServiceName", "LocalPorts"):
                assert now[key][unchanged] == rule[unchanged], (key, unchanged)
            if key[2] in retired:
                assert now[key]["Enabled"] is False, key
            elif rule["Enabled"]:
                assert now[key]["Enabled"] is True and now[key]["RemoteAddresses"] not in ("*", None), now[key]
        return now

    check_adopted(_store(roots["adopt"], host))
    cleanup = ["-e", "ses_cleanup_confirm=yes", "-e", "ses_audit_dir=%s" % (tmp_path / "audit"),
               "-e", "windows_firewall_method=reconcile", "-e", "ses_cleanup_agents=true",
               "-e", "ses_agent_export_csv=%s" % AGENTS_2_7_1]
    run = playbook("cleanup", [inventory], *cleanup, env=_environment(roots["adopt"]))
    assert run.rc == 0, run
    # The agents' gate passed: TCP 17000 leaves the matrix; its installer rule is disabled, not deleted.
    after = check_adopted(_store(roots["adopt"], host),
                          retired=("17000",) if "agent_handler" in document["components"] else ())
    assert not [key for key, rule in after.items() if rule["Grouping"] == MANAGED_GROUP and key[2] == "17000"]
    # (A second cleanup changing nothing is the windows_sim scenario's, bo1 starting from this folder's capture.)
