# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The drift playbook on SIMULATED Windows hosts (tests/windows_sim): no Windows machine runs here.

The simulated fleet of extensions/molecule/windows_sim, migrated (the role adopts the SES installer's
rules and scopes them to the matrix's peers). Then: the installer runs again on ah2 (an upgrade to
2.7.1), which rewrites its rules open to any address (scope "*"); an administrator adds an allow-any
rule on TCP 8443 on bo1 (the backend co-located with an agent handler, which the console reaches on
8443 from 2.7.1); the Public profile of con1 is turned off. Each is exposure; nothing else is found,
and the drift run (under --check) leaves every rule store byte for byte as it was, having run only
the read-only script.
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
INVENTORY = os.path.join(SCENARIO, "inventory", "hosts.yml")
HOSTS = ("bo1", "ah2", "con1")

pytestmark = pytest.mark.skipif(not shutil.which("ansible-playbook") or not os.path.exists(SCENARIO),
                                reason="needs ansible-playbook and the windows_sim scenario")


def store_path(root, host):
    return root / "hosts" / host / "store.json"


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    root = tmp_path_factory.mktemp("drift_winsim") / "winsim"
    # The simulator's collections come first, so they shadow the real Windows modules.
    env = {"WINDOWS_SIM_ROOT": str(root),
           "ANSIBLE_COLLECTIONS_PATH": os.pathsep.join(
               [os.path.join(ROOT, "tests", "windows_sim"), os.environ.get("ANSIBLE_COLLECTIONS_PATH", ""),
                os.path.expanduser("~/.ansible/collections")])}
    subprocess.run([sys.executable, WINSIM, "init", str(root), os.path.join(SCENARIO, "seed.json")], check=True)
    # One round trip per host (reconcile): the apply method does not matter to the audit.
    migrated = playbook("migrate", [INVENTORY], "-e", "ses_serial=100%", "-e", "windows_firewall_method=reconcile",
                        env=env)
    assert migrated.rc == 0, migrated
    subprocess.run([sys.executable, WINSIM, "install", str(root), "ah2", "2.7.1", "agent_handler"], check=True,
                   stdout=subprocess.PIPE)
    sys.path.insert(0, os.path.join(ROOT, "tests", "windows_sim"))
    from ansible_collections.ses_sim.windows.plugins.module_utils.firewall_store import (  # pylint: disable=import-outside-toplevel
        new_rule, set_property)
    data = json.loads(store_path(root, "bo1").read_text())
    rule = new_rule()  # a fresh rule is inbound, allow, remote "*"
    rule.update({"Name": "Backend console (hand-made)", "Grouping": "Operators", "Enabled": True})
    set_property(rule, "Protocol", 6)
    set_property(rule, "LocalPorts", "8443")
    data["rules"].append(rule)
    store_path(root, "bo1").write_text(json.dumps(data))
    data = json.loads(store_path(root, "con1").read_text())
    for profile in data["profiles"]:
        if profile["Name"] == "Public":
            profile["Enabled"] = "False"
    store_path(root, "con1").write_text(json.dumps(data))
    for host in HOSTS:
        calls = root / "hosts" / host / "calls.jsonl"
        if calls.exists():
            calls.unlink()
    before = {host: store_path(root, host).read_bytes() for host in HOSTS}
    run = playbook("drift", [INVENTORY], "--check", "-e", "ses_drift_report_dir=%s" % (root / "report"), env=env)
    after = {host: store_path(root, host).read_bytes() for host in HOSTS}
    calls = {host: [json.loads(line)["module"] for line in (root / "hosts" / host / "calls.jsonl").read_text()
                    .splitlines()] for host in HOSTS}
    return run, json.loads((root / "report" / "drift.json").read_text()), before, after, calls


def test_each_exposure_is_found_and_nothing_else(audited):
    run, report, _before, _after, _calls = audited
    assert run.rc != 0 and "drift or exposure on 3 host(s)" in run.out, run
    found = sorted((host, f["category"], f["where"], f.get("port")) for host, entry in report["hosts"].items()
                   for f in entry["findings"])
    assert found == [
        ("ah2", "exposure", "rule 'Stormshield Endpoint Security Evolution Agent Handler (TCP-In)'", 17000),
        # The vendor page's spelling of the 2.7.1 rule (tests/windows_sim/winsim.py, installer_rules).
        ("ah2", "exposure", "rule 'Stormshield Endpoint Security EvolutionAgent Handler (TCP-In)'", 443),
        ("bo1", "exposure", "rule 'Backend console (hand-made)'", 8443),
        ("con1", "exposure", "profile Public", None)]
    assert "from any" in report["hosts"]["bo1"]["findings"][0]["detail"]
    assert all(entry["platform"] == "windows" for entry in report["hosts"].values())


def test_the_audit_only_reads(audited):
    _run, _report, before, after, calls = audited
    assert before == after
    assert calls == {host: ["ansible.windows.win_powershell:read_state"] for host in HOSTS}
