# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The matrix read from the run's hand-off gives what the matrix fact gives (issue 15).

cleanup and verify no longer keep the matrix among localhost's facts: port_matrix
writes it into the run's private hand-off (matrix_handoff), and cleanup_gate and
verify_probe_plan read it there. Run for real by ansible-playbook on the bundled
example fleet, each result is compared with the one computed from the fact, the
way the playbooks did before.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import yaml

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import handoff

__metaclass__ = type

COLLECTIONS_ROOT = os.path.abspath(os.path.join(os.path.dirname(handoff.__file__), *[os.pardir] * 5))
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 4))
EXAMPLE = os.path.join(REPO, "examples", "lab", "inventory.yml")

# Every backoffice host of the example reached (the way the playbook's delegated ping registers it), and on
# 2.7.1 by the command line's ses_version (accepted): the gate passes and writes the removal hand-off.
PROBES = {"results": [{"item": name, "ansible_loop_var": "item", "ping": "pong"} for name in ("ah2", "bo1", "con1")]}
GATE_ARGS = {"probes": [PROBES], "accept_command_line_version": True, "confirm": True}


def playbook():
    return [{"name": "both ways", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "matrix", "ses_evolution.firewall.port_matrix": {"phase": "cleanup", "matrix_handoff": "m"}},
        {"name": "plan from the fact", "ansible.builtin.set_fact": {"from_fact": (
            "{{ ses_port_matrix | ses_evolution.firewall.verify_plan(ses_fleet_hosts, session='s1') }}")}},
        {"name": "plan from the hand-off", "ses_evolution.firewall.verify_probe_plan": {
            "matrix_handoff": "m", "handoff": "verify", "session": "s1"}},
        {"name": "gate from the fact", "ses_evolution.firewall.cleanup_gate": dict(
            GATE_ARGS, matrix="{{ ses_port_matrix }}")},
        {"name": "keep it", "ansible.builtin.set_fact": {"gate_from_fact": "{{ ses_cleanup_gate }}"}},
        {"name": "gate from the hand-off", "ses_evolution.firewall.cleanup_gate": dict(
            GATE_ARGS, matrix_handoff="m", handoff="cleanup")},
        {"name": "a probing host's part", "ansible.builtin.set_fact": {"part": (
            "{{ lookup('ses_evolution.firewall.handoff', 'verify', host=ses_verify_plan.hosts[0]) }}")}},
        {"name": "a removal host's part", "ansible.builtin.set_fact": {"removal": (
            "{{ lookup('ses_evolution.firewall.handoff', 'cleanup', host=ses_cleanup_gate.targets[0]) }}")}},
        {"name": "dump", "ansible.builtin.copy": {"dest": "{{ dump_to }}", "content": (
            "{{ {'from_fact': from_fact, 'from_handoff': ses_verify_plan, 'gate_from_fact': gate_from_fact,"
            " 'gate_from_handoff': ses_cleanup_gate, 'part': part, 'removal': removal} | to_json }}")}},
    ]}]


def test_cleanup_gate_and_verify_plan_read_the_hand_off_as_they_read_the_fact(tmp_path):
    (tmp_path / "playbook.yml").write_text(yaml.safe_dump(playbook()))
    extra = {"dump_to": str(tmp_path / "d.json"), "ses_version": "2.7.1"}
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_ROOT, ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCAL_TEMP=str(tmp_path / ".ansible_tmp"), ANSIBLE_RETRY_FILES_ENABLED="0")
    process = subprocess.run([sys.executable, "-m", "ansible.cli.playbook", "-i", EXAMPLE,
                              str(tmp_path / "playbook.yml"), "-e", json.dumps(extra)],
                             env=env, capture_output=True, text=True, timeout=300, check=False)
    assert process.returncode == 0, process.stdout + process.stderr
    dump = json.loads((tmp_path / "d.json").read_text())

    assert dump["from_handoff"] == dump["from_fact"] and dump["from_fact"]["probes"]
    first = dump["from_fact"]["hosts"][0]
    assert dump["part"]["session"] == "s1"
    assert dump["part"].get("probes", []) == dump["from_fact"]["probes_by_source"].get(first, [])
    assert dump["part"].get("listen", []) == dump["from_fact"]["listeners"].get(first, [])

    by_fact, by_handoff = dump["gate_from_fact"], dump["gate_from_handoff"]
    plan = by_fact.pop("plan")
    assert "plan" not in by_handoff  # each host reads its part from the hand-off instead
    for record in (by_fact, by_handoff):
        record["run"].pop("run_id"), record["run"].pop("started")
    assert by_handoff == by_fact and by_fact["ready"] is True
    # The removal hosts: the managed ones whose plan removes a rule (the example's bo1 is co-located, so
    # the consoles' and agent handlers' TCP 443 to the backend is legacy there).
    assert by_fact["targets"] == sorted(name for name, entry in plan.items() if entry["removed"])
    assert "bo1" in by_fact["targets"]
    removal = dump["removal"]
    assert removal["plan"] == plan[by_fact["targets"][0]] and removal["ready"] is True
    assert removal["run"]["gate_passed"] is True and removal["run"]["confirmed"] is True
