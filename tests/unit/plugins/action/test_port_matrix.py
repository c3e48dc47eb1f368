# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The port_matrix action plugin, run for real by ansible-playbook on temporary inventories.

Expected rules follow the vendor's table: bo1 is a co-located backend, so the
console con1 reaches it on TCP 443 (2.6, legacy) and TCP 8443 (2.7.1, new).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from ansible_collections.ses_evolution.firewall.plugins.action import port_matrix as action
from ansible_collections.ses_evolution.firewall.plugins.modules import port_matrix as stub
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import report

__metaclass__ = type

# .../ansible_collections/ses_evolution/firewall/plugins/plugin_utils/report.py -> the folder above ansible_collections
COLLECTIONS_ROOT = os.path.abspath(os.path.join(os.path.dirname(report.__file__), *[os.pardir] * 5))

INVENTORY = {"all": {
    "vars": {"ses_public_api_clients": [], "ses_update_server": ["203.0.113.7/32"], "net": "192.0.2"},
    "children": {
        "ses_backends": {"hosts": {"bo1": {"ses_address": "{{ net }}.11", "ses_version": "2.7.1"}}},
        "ses_agent_handlers": {"hosts": {"bo1": None}},
        "ses_consoles": {"hosts": {"con1": {"ansible_host": "192.0.2.21", "ses_version": "{{ '2.6.3' }}"}}},
        # Agents are read for address and version only: a setting they do not use is never looked at.
        "ses_agents": {"hosts": {"pc1": {"ses_address": "192.0.2.101", "ses_version": "2.6.1",
                                         "ses_agent_networks": "not-a-cidr"}}},
    }}}

PLAYBOOK = [{
    "name": "port matrix", "hosts": "localhost", "gather_facts": False,
    "tasks": [
        {"name": "matrix", "ses_evolution.firewall.port_matrix": "{{ pm_args | default({}) }}", "register": "pm"},
        {"name": "dump", "ansible.builtin.copy": {
            "content": "{{ {'changed': pm.changed, 'summary': pm.summary, 'fact_hosts': ses_port_matrix.hosts | list,"
                       " 'con1': ses_port_matrix | ses_evolution.firewall.host_rules('con1')} | to_json }}",
            "dest": "{{ dump_to }}"}},
    ]}]


def run(tmp_path, inventory, extra=None, check=False, playbook=None):
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    (tmp_path / "playbook.yml").write_text(yaml.safe_dump(playbook or PLAYBOOK))
    extra = dict(extra or {}, dump_to=str(tmp_path / "dump.json"))
    command = [sys.executable, "-m", "ansible.cli.playbook", "-i", str(tmp_path / "inventory.yml"),
               str(tmp_path / "playbook.yml"), "-e", json.dumps(extra)]
    if check:
        command.append("--check")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_ROOT, ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCAL_TEMP=str(tmp_path / ".ansible_tmp"), ANSIBLE_RETRY_FILES_ENABLED="0")
    process = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    dump = tmp_path / "dump.json"
    return process, (json.loads(dump.read_text()) if dump.exists() else None)


def test_writes_the_report_and_sets_the_fact(tmp_path):
    report_dir = tmp_path / "report"
    process, dump = run(tmp_path, INVENTORY, {"pm_args": {"report_dir": str(report_dir)}})
    assert process.returncode == 0, process.stdout + process.stderr
    assert dump["changed"] is True
    assert sorted(os.listdir(report_dir)) == ["port_matrix.csv", "port_matrix.json", "port_matrix.md"]

    matrix = json.loads((report_dir / "port_matrix.json").read_text())
    assert matrix["phase"] == "migrate" and matrix["target_version"] == "2.7.1"
    assert matrix["gate"]["backoffice_ready"] is False and matrix["gate"]["blocking_hosts"] == ["con1"]
    assert matrix["gate"]["agents_ready"] is False
    assert sorted(matrix["hosts"]) == ["bo1", "con1", "pc1"] == sorted(dump["fact_hosts"])
    # Templated hostvars arrive as plain values: the address built from {{ net }}, ansible_host as address.
    assert matrix["hosts"]["bo1"]["address"] == "192.0.2.11"
    assert matrix["hosts"]["con1"]["address"] == "192.0.2.21"
    assert matrix["hosts"]["con1"]["version"] == "2.6.3"
    con1 = sorted((rule["direction"], rule["port"], rule["peers"], rule["lifecycle"])
                  for rule in matrix["hosts"]["con1"]["rules"])
    assert con1 == [("out", 443, ["192.0.2.11/32"], "legacy"), ("out", 8443, ["192.0.2.11/32"], "new")]
    assert dump["con1"] == matrix["hosts"]["con1"]["rules"]
    bo1 = {(rule["direction"], rule["port"]): rule["peers"] for rule in matrix["hosts"]["bo1"]["rules"]}
    assert bo1[("in", 17000)] == ["192.0.2.101/32"]
    assert bo1[("out", 443)] == ["203.0.113.7/32"]
    assert ("in", 10443) not in bo1  # ses_public_api_clients: [] = no public API rule
    assert dump["summary"]["rules_per_lifecycle"]["legacy"] == 2

    # Same inventory again: nothing to write, not changed, files untouched.
    before = {name: os.stat(report_dir / name).st_mtime_ns for name in os.listdir(report_dir)}
    process, dump = run(tmp_path, INVENTORY, {"pm_args": {"report_dir": str(report_dir)}})
    assert process.returncode == 0, process.stdout
    assert dump["changed"] is False
    assert before == {name: os.stat(report_dir / name).st_mtime_ns for name in os.listdir(report_dir)}

    # Another phase changes the files, in place (no temporary file left behind).
    process, dump = run(tmp_path, INVENTORY, {"pm_args": {"report_dir": str(report_dir)}, "ses_phase": "cleanup"})
    assert process.returncode == 0, process.stdout
    assert dump["changed"] is True
    assert sorted(os.listdir(report_dir)) == ["port_matrix.csv", "port_matrix.json", "port_matrix.md"]
    cleanup = json.loads((report_dir / "port_matrix.json").read_text())
    assert cleanup["phase"] == "cleanup" and cleanup["preview"] is True
    assert "PREVIEW" in (report_dir / "port_matrix.md").read_text()


def test_check_mode_writes_nothing(tmp_path):
    report_dir = tmp_path / "report"
    process, dump = run(tmp_path, INVENTORY, {"pm_args": {"report_dir": str(report_dir)}}, check=True)
    assert process.returncode == 0, process.stdout + process.stderr
    assert not report_dir.exists()
    assert "changed: [localhost]" in process.stdout  # it tells that it would write


def test_bad_input_fails_naming_the_host_and_writes_nothing(tmp_path):
    inventory = yaml.safe_load(yaml.safe_dump(INVENTORY))
    inventory["all"]["children"]["ses_consoles"]["hosts"]["con1"]["ansible_host"] = "console.example"
    inventory["all"]["children"]["ses_backends"]["hosts"]["bo1"]["ses_version"] = 2.10
    report_dir = tmp_path / "report"
    process, dump = run(tmp_path, inventory, {"pm_args": {"report_dir": str(report_dir)}})
    assert process.returncode != 0
    assert dump is None
    assert not report_dir.exists()
    assert "host 'con1'" in process.stdout and "'console.example'" in process.stdout
    assert "host 'bo1'" in process.stdout and "quote it" in process.stdout
    assert "2 problems in the SES inventory" in process.stdout


def test_a_variable_that_cannot_be_templated_is_named(tmp_path):
    inventory = yaml.safe_load(yaml.safe_dump(INVENTORY))
    inventory["all"]["children"]["ses_consoles"]["hosts"]["con1"]["ses_address"] = "{{ no_such_variable }}"
    process, _dump = run(tmp_path, inventory)
    assert process.returncode != 0
    assert "host 'con1': ses_address could not be templated" in process.stdout


def test_arguments_are_checked_against_the_documentation(tmp_path):
    process, _dump = run(tmp_path, INVENTORY, {"pm_args": {"phase": "later"}})
    assert process.returncode != 0
    assert "phase" in process.stdout and "migrate, cleanup" in process.stdout
    process, _dump = run(tmp_path, INVENTORY, {"pm_args": {"report_folder": "/tmp/x"}})
    assert process.returncode != 0
    assert "report_folder" in process.stdout


def test_groups_argument_renames_the_groups(tmp_path):
    inventory = {"all": {"children": {
        "win_backends": {"hosts": {"bo1": {"ses_address": "192.0.2.11", "ses_version": "2.7.1"}}},
        "ses_backends": {"hosts": {"ignored": {"ses_address": "not an address"}}},
    }}}
    process, dump = run(tmp_path, inventory, {"pm_args": {"groups": {"backend": "win_backends"}}})
    assert process.returncode == 0, process.stdout
    assert dump["fact_hosts"] == ["bo1"]


def test_set_fact_false_writes_the_report_only(tmp_path):
    arguments = {"report_dir": str(tmp_path / "report"), "set_fact": False}
    playbook = [{"name": "report only", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "matrix", "ses_evolution.firewall.port_matrix": arguments, "register": "pm"},
        {"name": "dump", "ansible.builtin.copy": {
            "content": "{{ {'changed': pm.changed, 'summary': pm.summary, 'has_fact': ses_port_matrix is defined,"
                       " 'facts_returned': 'ansible_facts' in pm} | to_json }}",
            "dest": "{{ dump_to }}"}}]}]
    process, dump = run(tmp_path, INVENTORY, playbook=playbook)
    assert process.returncode == 0, process.stdout + process.stderr
    assert dump["has_fact"] is False and dump["facts_returned"] is False
    assert dump["summary"]["hosts"] == 3 and dump["changed"] is True
    assert json.loads((tmp_path / "report" / "port_matrix.json").read_text())["hosts"]["con1"]["address"] == "192.0.2.21"


def test_matrix_fact_false_sets_only_the_targets(tmp_path):
    """migrate keeps the matrix out of localhost's facts: every later task there would pay for it."""
    playbook = [{"name": "targets only", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "matrix", "ses_evolution.firewall.port_matrix": {"matrix_fact": False}, "register": "pm"},
        {"name": "dump", "ansible.builtin.copy": {
            "content": "{{ {'facts': pm.ansible_facts | list, 'targets': ses_fleet_targets,"
                       " 'has_matrix': ses_port_matrix is defined} | to_json }}",
            "dest": "{{ dump_to }}"}}]}]
    process, dump = run(tmp_path, INVENTORY, playbook=playbook)
    assert process.returncode == 0, process.stdout + process.stderr
    assert dump["facts"] == ["ses_fleet_targets"] and dump["has_matrix"] is False
    assert set(dump["targets"]) == {"rules", "retired_rules", "backoffice"} and dump["targets"]["rules"]
    # The managed backends, agent handlers and consoles by platform (the cleanup gate probes them); pc1 is an agent.
    assert dump["targets"]["backoffice"] == {"linux": ["bo1", "con1"], "windows": []}


HANDOFF_INVENTORY = yaml.safe_load(yaml.safe_dump(INVENTORY))
HANDOFF_INVENTORY["all"]["hosts"] = {"other": None}  # in the inventory, in no SES group

READ_HANDOFF = {
    "name": "read", "hosts": "bo1:con1:pc1:other", "gather_facts": False,
    "tasks": [{"name": "read once", "ansible.builtin.set_fact": {
        "mine": "{{ lookup('ses_evolution.firewall.handoff', 'migrate', host=inventory_hostname, default=[]) }}"}}]}


def test_handoff_gives_each_host_its_rules_for_a_later_play(tmp_path):
    playbook = [
        {"name": "matrix", "hosts": "localhost", "gather_facts": False, "tasks": [
            {"name": "matrix", "ses_evolution.firewall.port_matrix": {"handoff": "migrate"}, "register": "pm"}]},
        READ_HANDOFF,
        {"name": "dump", "hosts": "localhost", "gather_facts": False, "tasks": [
            {"name": "dump", "ansible.builtin.copy": {
                "content": "{{ {'handoff': pm.handoff, 'read': dict(['bo1', 'con1', 'pc1', 'other'] | zip("
                           "['bo1', 'con1', 'pc1', 'other'] | map('extract', hostvars, 'mine'))),"
                           " 'fact': ses_port_matrix} | to_json }}",
                "dest": "{{ dump_to }}"}, "check_mode": False}]}]
    # In check mode too: the later play needs the rules to show what it would change.
    process, dump = run(tmp_path, HANDOFF_INVENTORY, playbook=playbook, check=True)
    assert process.returncode == 0, process.stdout + process.stderr
    matrix = dump["fact"]
    assert dump["handoff"] == {"name": "migrate", "hosts": 3, "files": 3}
    for host in ("bo1", "con1", "pc1"):
        assert dump["read"][host] == matrix["hosts"][host]["rules"]
    # The vendor's table: the console reaches the co-located backend on TCP 443 (2.6) and 8443 (2.7.1).
    assert sorted((rule["direction"], rule["port"]) for rule in dump["read"]["con1"]) == [("out", 443), ("out", 8443)]
    assert dump["read"]["other"] == []
    # The run's private temporary directory, hand-off included, is gone after the run.
    assert not any("ses_handoff" in folder for folder, _dirs, _files in os.walk(tmp_path / ".ansible_tmp"))


def test_handoff_of_another_run_is_not_read(tmp_path):
    playbook = [{"name": "matrix", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "matrix", "ses_evolution.firewall.port_matrix": {"handoff": "migrate"}}]}]
    process, _dump = run(tmp_path, HANDOFF_INVENTORY, playbook=playbook)
    assert process.returncode == 0, process.stdout + process.stderr
    process, _dump = run(tmp_path, HANDOFF_INVENTORY, playbook=[READ_HANDOFF])
    assert process.returncode != 0
    assert "handoff migrate: no hand-off in" in process.stdout
    assert "must run earlier in the same ansible-playbook run" in process.stdout


def test_handoff_name_is_checked(tmp_path):
    process, _dump = run(tmp_path, INVENTORY, {"pm_args": {"handoff": "../migrate"}})
    assert process.returncode != 0
    assert "hand-off name '../migrate'" in process.stdout


def test_argument_spec_comes_from_the_stub():
    options = yaml.safe_load(stub.DOCUMENTATION)["options"]
    assert set(action.ARGUMENT_SPEC) == set(options) == {"phase", "target_version", "groups", "report_dir", "set_fact", "matrix_fact",
                                                         "handoff", "matrix_handoff", "report_mode"}
    assert action.ARGUMENT_SPEC["phase"] == {"type": "str", "choices": ["migrate", "cleanup"]}
    assert action.ARGUMENT_SPEC["report_dir"] == {"type": "path"}


@pytest.mark.parametrize("value, expected", [
    ("a", "a"), (3, 3), (2.5, 2.5), (True, True), (None, None),
    (("x", ["y"]), ["x", ["y"]]), ({"k": ("v",)}, {"k": ["v"]}),
])
def test_plain(value, expected):
    converted = action.plain(value)
    assert converted == expected and converted.__class__ is expected.__class__


def test_plain_unwraps_str_subclasses():
    class Tagged(str):
        pass

    converted = action.plain([Tagged("10.0.0.1")])
    assert converted == ["10.0.0.1"] and converted[0].__class__ is str


def test_report_files_are_0600_unless_the_user_sets_a_mode(tmp_path):
    """The report maps the whole backoffice: it was written 0644 for everyone to read."""
    os.umask(0o022)
    report_dir = tmp_path / "report"
    process, _dump = run(tmp_path, INVENTORY, {"pm_args": {"report_dir": str(report_dir)}})
    assert process.returncode == 0, process.stdout
    assert {name: (report_dir / name).stat().st_mode & 0o777 for name in os.listdir(report_dir)} == {
        "port_matrix.json": 0o600, "port_matrix.csv": 0o600, "port_matrix.md": 0o600}
    shared = tmp_path / "shared"
    process, _dump = run(tmp_path, INVENTORY, {"pm_args": {"report_dir": str(shared), "report_mode": "0640"}})
    assert process.returncode == 0, process.stdout
    assert {(shared / name).stat().st_mode & 0o777 for name in os.listdir(shared)} == {0o640}
    process, _dump = run(tmp_path, INVENTORY, {"ses_audit_mode": "rw-r--r--"})
    assert process.returncode != 0 and "ses_audit_mode is 'rw-r--r--'" in process.stdout
