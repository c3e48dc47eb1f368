# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cleanup's plugins (agent_export, cleanup_gate, cleanup_audit, cleanup_probe_hosts) run by ansible-playbook.

One playbook on the controller only: the probes' results are written by hand,
the way a delegated loop registers them. Expectations follow the vendor's table
(bo1 co-located: the console's TCP 443 rule is legacy and goes).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import yaml

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import report

__metaclass__ = type

COLLECTIONS_ROOT = os.path.abspath(os.path.join(os.path.dirname(report.__file__), *[os.pardir] * 5))

INVENTORY = {"all": {"children": {
    "ses_backends": {"hosts": {"bo1": {"ses_address": "192.0.2.11", "ses_version": "2.7.1"}}},
    "ses_agent_handlers": {"hosts": {"bo1": None, "ah2": {"ses_address": "192.0.2.12", "ses_version": "2.7.1",
                                                          "ansible_connection": "winrm"}}},
    "ses_consoles": {"hosts": {"con1": {"ses_address": "192.0.2.21", "ses_version": "2.7.1",
                                        "ses_firewall_managed": False}}},
    "ses_agents": {"hosts": {"pc1": {"ses_address": "192.0.2.101", "ses_version": "2.7.1"}}},
}}}

PROBES = {"results": [
    {"item": "bo1", "ansible_loop_var": "item", "ping": "pong"},
    {"item": "ah2", "ansible_loop_var": "item", "result": {"rules": [], "profiles": [], "products": [
        {"DisplayName": "Stormshield Endpoint Security Evolution Agent Handler", "DisplayVersion": "2.6.3.877", "Publisher": "Stormshield"}]}},
]}

PLAYBOOK = [{
    "name": "cleanup plugins", "hosts": "localhost", "gather_facts": False,
    "tasks": [
        {"name": "matrix", "ses_evolution.firewall.port_matrix": {"phase": "cleanup"}},
        {"name": "export", "ses_evolution.firewall.agent_export": {"path": "{{ csv }}"}, "register": "export"},
        {"name": "missing export", "ses_evolution.firewall.agent_export": {"path": "{{ csv }}.missing"},
         "register": "missing", "ignore_errors": True},
        {"name": "gate", "ses_evolution.firewall.cleanup_gate": {
            "matrix": "{{ ses_port_matrix }}", "probes": ["{{ probes }}"], "agents": True, "agent_export": "{{ export }}"}},
        {"name": "audit host", "ses_evolution.firewall.cleanup_audit": {
            "audit_dir": "{{ audit }}", "run": {"run_id": "r1"}, "host": "bo1",
            "removed": "{{ ses_cleanup_gate.plan.bo1.removed }}", "kept": "{{ ses_cleanup_gate.plan.bo1.rules }}",
            "started": "t0", "finished": "t1"}},
        {"name": "audit record", "ses_evolution.firewall.cleanup_audit": {
            "audit_dir": "{{ audit }}", "run": {"run_id": "r1", "playbook": "test"}, "finalize": True},
         "register": "record"},
        {"name": "audit in check mode", "ses_evolution.firewall.cleanup_audit": {
            "audit_dir": "{{ audit }}-check", "run": {"run_id": "r2"}, "finalize": True}, "check_mode": True},
        {"name": "dump", "ansible.builtin.copy": {"dest": "{{ dump_to }}", "content": (
            "{{ {'gate': ses_cleanup_gate, 'export': export, 'missing': missing, 'record': record,"
            " 'linux': ses_port_matrix | ses_evolution.firewall.cleanup_probe_hosts(hostvars, 'linux'),"
            " 'windows': ses_port_matrix | ses_evolution.firewall.cleanup_probe_hosts(hostvars, 'windows')}"
            " | to_json }}")}},
    ]}]


def test_cleanup_plugins(tmp_path):
    csv = tmp_path / "agents.csv"
    csv.write_bytes("Nom;Version de l'agent\r\nPC-1;2.7.1\r\nPC-2;2.6.3\r\n".encode("utf-16"))
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(INVENTORY))
    (tmp_path / "playbook.yml").write_text(yaml.safe_dump(PLAYBOOK))
    extra = {"csv": str(csv), "probes": PROBES, "audit": str(tmp_path / "audit"), "dump_to": str(tmp_path / "d.json")}
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_ROOT, ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCAL_TEMP=str(tmp_path / ".ansible_tmp"), ANSIBLE_RETRY_FILES_ENABLED="0")
    process = subprocess.run([sys.executable, "-m", "ansible.cli.playbook", "-i", str(tmp_path / "inventory.yml"),
                              str(tmp_path / "playbook.yml"), "-e", json.dumps(extra)],
                             env=env, capture_output=True, text=True, timeout=300, check=False)
    assert process.returncode == 0, process.stdout + process.stderr
    dump = json.loads((tmp_path / "d.json").read_text())

    # The filter: managed backoffice hosts per platform (con1 is unmanaged, pc1 is an agent).
    assert dump["linux"] == ["bo1"] and dump["windows"] == ["ah2"]
    # agent_export: the UTF-16 French export, and a clear error for a missing file.
    assert [agent["name"] for agent in dump["export"]["old_agents"]] == ["PC-2"]
    assert dump["missing"]["failed"] is True and "does not exist" in dump["missing"]["msg"]
    # cleanup_gate: ah2's registry says 2.6.3 (the inventory says 2.7.1); con1 is unmanaged, so
    # its ses_version decides; the export's PC-2 keeps TCP 17000.
    gate = dump["gate"]
    assert gate["ready"] is False and gate["blocking_hosts"] == ["ah2"]
    assert gate["backoffice"]["hosts"][2]["note"].startswith("ses_firewall_managed is false")
    assert gate["agents"]["ready"] is False and gate["agents"]["old_agents"][0]["name"] == "PC-2"
    assert gate["plan"]["bo1"]["removed_names"] == ["in_agent_handler_to_backend_tcp443_legacy",
                                                    "in_console_to_backend_tcp443_legacy"]
    # cleanup_audit: the host part then the record; nothing written in check mode.
    assert dump["record"]["summary"]["rules_removed"] == 2
    assert sorted(os.listdir(tmp_path / "audit")) == ["r1.hosts", "r1.json", "r1.md"]
    assert json.loads((tmp_path / "audit" / "r1.json").read_text())["run"]["user"]
    assert not (tmp_path / "audit-check").exists()
