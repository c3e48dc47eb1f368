# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cleanup playbook on SIMULATED Windows hosts (tests/windows_sim): gate, waves, rule stores.

The simulated fleet of extensions/molecule/windows_sim: bo1 (backend + agent
handler on one machine, 2.7.1), ah2 (agent handler) and con1 (console), both
installed as 2.6.3, so their uninstall registry says 2.6.3 whatever the
inventory says. Agents are outside the inventory (ses_agent_networks), so the
agents' gate needs the console's export. Refusals must leave every host's rule
store byte for byte as it was, and no module but the read-only state reader may
have run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from cleanup_helpers import ROOT, agent_export, playbook, playbooks_at_once, unreachable_overlay

__metaclass__ = type

SCENARIO = os.path.join(ROOT, "extensions", "molecule", "windows_sim")
WINSIM = os.path.join(ROOT, "tests", "windows_sim", "winsim.py")
MIGRATING = os.path.join(SCENARIO, "inventory", "hosts.yml")  # the inventory says ah2 and con1 run 2.6.3
UPGRADED = os.path.join(SCENARIO, "inventory_cleanup", "hosts.yml")  # the inventory says all run 2.7.1
HOSTS = ("bo1", "ah2", "con1")
MANAGED_GROUP = "SES Evolution (managed)"
INSTALLER_GROUP = "Stormshield Endpoint Security Evolution"  # the simulated installer's rule group

pytestmark = pytest.mark.skipif(not shutil.which("ansible-playbook") or not os.path.exists(SCENARIO),
                                reason="needs ansible-playbook and the windows_sim scenario")


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    """Simulated hosts after migrate, with ah2 then upgraded to 2.7.1: (root, environment)."""
    root = tmp_path_factory.mktemp("cleanup_winsim") / "winsim"
    # The simulator's collections come first, so they shadow the real Windows modules.
    env = {"WINDOWS_SIM_ROOT": str(root),
           "ANSIBLE_COLLECTIONS_PATH": os.pathsep.join([
               os.path.join(ROOT, "tests", "windows_sim"),
               os.environ.get("ANSIBLE_COLLECTIONS_PATH", os.path.expanduser("~/.ansible/collections")),
               "/usr/share/ansible/collections"])}
    subprocess.run([sys.executable, WINSIM, "init", str(root), os.path.join(SCENARIO, "seed.json")], check=True)
    migrated = playbook("migrate", [MIGRATING], "-e", "ses_serial=100%", env=env)
    assert migrated.rc == 0, migrated
    install("ah2", "2.7.1", "agent_handler", root=root)
    return root, env


def install(host, version, *components, root):
    """What the SES installer does on an upgrade (rules and registry), in the simulator."""
    subprocess.run([sys.executable, WINSIM, "install", str(root), host, version] + list(components), check=True,
                   stdout=subprocess.PIPE)


def stores(root):
    return {host: (root / "hosts" / host / "store.json").read_bytes() for host in HOSTS}


def calls(root):
    """The simulated module calls so far, per host."""
    result = {}
    for host in HOSTS:
        path = root / "hosts" / host / "calls.jsonl"
        lines = path.read_text().splitlines() if path.exists() else []
        result[host] = [json.loads(line)["module"] for line in lines]
    return result


def managed(host, state):
    """Names of the rules the collection manages on ``host`` in a parsed store."""
    return {rule["Name"] for rule in state[host]["rules"] if rule.get("Grouping") == MANAGED_GROUP}


def refused(sim, runs):
    """Cleanup runs side by side ({key: (inventories, extra)}), each refused, with every store unchanged."""
    root, env = sim
    before, calls_before = stores(root), calls(root)
    audit = ("-e", "ses_cleanup_confirm=yes", "-e", "ses_audit_dir=%s" % (root / "audit"))
    results = playbooks_at_once({key: ("cleanup", inventories, audit + tuple(extra), env)
                                 for key, (inventories, extra) in runs.items()})
    for key, run in results.items():
        assert run.rc != 0, (key, run)
    assert stores(root) == before, "a refused cleanup changed a simulated rule store"
    for host, made in calls(root).items():
        new = made[len(calls_before[host]):]
        assert set(new) <= {"ansible.windows.win_powershell:read_state"}, (host, new)
    assert not (root / "audit").exists()
    return results


@pytest.fixture(scope="module")
def backoffice_refusals(sim, tmp_path_factory):
    overlay = unreachable_overlay(tmp_path_factory.mktemp("winsim_refusals") / "unreachable.yml", "ah2")
    return refused(sim, {"console_on_2_6": ([UPGRADED], ()),
                         "unreachable": ([UPGRADED, overlay], ()),
                         "limit": ([UPGRADED], ("--limit", "bo1,ah2"))})


def test_refuses_while_the_console_still_runs_2_6(backoffice_refusals):
    # The inventory claims 2.7.1 everywhere; con1's registry says 2.6.3, and the host wins.
    run = backoffice_refusals["console_on_2_6"]
    assert "BLOCKS: console: runs 2.6.3 (registry), older than 2.7.1" in run.out
    assert "agent_handler 2.7.1 (registry)" in run.out
    assert "Cleanup refused: con1 " in run.out


def test_refuses_when_a_backoffice_host_is_unreachable(backoffice_refusals):
    lines = [line for line in backoffice_refusals["unreachable"].out.splitlines() if "BLOCKS: unreachable:" in line]
    assert len(lines) == 1 and lines[0].lstrip(' "').startswith("ah2 "), lines


def test_limit_to_the_upgraded_hosts_does_not_bypass_the_gate(backoffice_refusals):
    assert "Cleanup refused: con1 " in backoffice_refusals["limit"].out


def test_upgraded_fleet_is_cleaned_in_waves_and_the_agents_gate_decides_tcp_17000(sim, tmp_path):
    root, env = sim
    install("con1", "2.7.1", "console", root=root)
    # Agents live in ses_agent_networks: without the export their versions are unknown.
    old = agent_export(tmp_path / "old.csv", [("PC-0001", "2.7.1"), ("PC-0002", "2.6.3")], encoding="utf-16")
    runs = refused(sim, {"no_export": ([UPGRADED], ("-e", "ses_cleanup_agents=true")),
                         "old_agent": ([UPGRADED], ("-e", "ses_cleanup_agents=true",
                                                    "-e", "ses_agent_export_csv=%s" % old))})
    assert "serve agents listed in ses_agent_networks" in runs["no_export"].out
    assert "PC-0002  2.6.3  (%s line 3; runs 2.6.3, older than 2.7.1)" % old in runs["old_agent"].out

    # Complete: every row inside the declared agent network (198.51.100.0/24), by its IP address.
    new = agent_export(tmp_path / "new.csv", [("PC-0001", "2.7.1", "198.51.100.21"),
                                              ("PC-0002", "2.7.1.1204", "198.51.100.22")], delimiter="\t")
    before = {host: json.loads(data) for host, data in stores(root).items()}
    run = playbook("cleanup", [UPGRADED], "-e", "ses_cleanup_confirm=yes", "-e", "ses_cleanup_agents=true",
                   "-e", "ses_agent_export_csv=%s" % new, "-e", "ses_audit_dir=%s" % (root / "audit"),
                   "-e", "ses_serial=1", env=env)
    assert run.rc == 0, run
    assert run.out.count("PLAY [Remove the legacy rules, in waves]") == 3  # one host per wave
    assert "Enable old communication protocol" in run.out

    after = {host: json.loads(data) for host, data in stores(root).items()}
    for host in HOSTS:
        names = managed(host, after)
        assert not [name for name in names if name.endswith(("_legacy", "_legacy_agent"))], (host, names)
        # Rules the collection did not create are never deleted. The installer's own rules may be
        # adopted (their scope narrowed to the matrix's peers); any other rule stays as it was.
        foreign_before = [rule for rule in before[host]["rules"] if rule.get("Grouping") != MANAGED_GROUP]
        foreign_after = [rule for rule in after[host]["rules"] if rule.get("Grouping") != MANAGED_GROUP]
        assert [rule["Name"] for rule in foreign_after] == [rule["Name"] for rule in foreign_before], host
        assert [rule for rule in foreign_after if rule.get("Grouping") != INSTALLER_GROUP] == \
            [rule for rule in foreign_before if rule.get("Grouping") != INSTALLER_GROUP], host
    # Derived from the vendor's table: bo1 is co-located, so the console and the separate agent
    # handler reach it on TCP 8443 from 2.7.1; the 2.6 TCP 443 rules go. bo1's inbound flows are
    # served by the installer's own rules (adopted, scoped to the peers); its outbound traffic is
    # not filtered, so no managed rule is left there.
    assert "SES Evolution - in_console_to_backend_tcp443_legacy" in managed("bo1", before)
    assert managed("bo1", after) == set()
    backend = [rule for rule in after["bo1"]["rules"] if rule["LocalPorts"] == "8443"]
    assert [rule["RemoteAddresses"] for rule in backend] == ["192.0.2.12/255.255.255.255,192.0.2.21/255.255.255.255"]
    assert not [rule for rule in after["bo1"]["rules"] if rule["LocalPorts"] == "443"
                and "192.0.2.21" in rule["RemoteAddresses"]]
    assert managed("con1", after) == {"SES Evolution - out_console_to_backend_tcp8443_new"}
    assert managed("ah2", after) == {"SES Evolution - out_agent_handler_to_backend_tcp8443_new",
                                     "SES Evolution - out_agent_handler_to_syslog_tcp1468_permanent",
                                     "SES Evolution - out_agent_handler_to_syslog_tcp5614_permanent",
                                     "SES Evolution - out_agent_handler_to_syslog_udp514_permanent"}
    record = json.loads(next((root / "audit").glob("*.json")).read_text())
    removed = {entry["host"]: sorted(rule["name"] for rule in entry["rules_removed"]) for entry in record["hosts"]}
    assert removed["con1"] == ["out_console_to_backend_tcp443_legacy"]
    assert removed["bo1"] == ["in_agent_handler_to_backend_tcp443_legacy", "in_agent_to_agent_handler_tcp17000_legacy_agent",
                              "in_console_to_backend_tcp443_legacy"]
