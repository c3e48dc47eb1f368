# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The handoff action and lookup, run for real by ansible-playbook (the verify playbook's hand-off)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from ansible_collections.ses_evolution.firewall.plugins.action import handoff as action
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import handoff

__metaclass__ = type

COLLECTIONS_ROOT = os.path.abspath(os.path.join(os.path.dirname(handoff.__file__), *[os.pardir] * 5))
INVENTORY = {"all": {"hosts": {"a": None, "b": None, "c": None}}}


def run(tmp_path, playbook):
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(INVENTORY))
    (tmp_path / "playbook.yml").write_text(yaml.safe_dump(playbook))
    command = [sys.executable, "-m", "ansible.cli.playbook", "-i", str(tmp_path / "inventory.yml"),
               str(tmp_path / "playbook.yml"), "-e", json.dumps({"dump_to": str(tmp_path / "dump.json")})]
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_ROOT, ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCAL_TEMP=str(tmp_path / ".ansible_tmp"), ANSIBLE_RETRY_FILES_ENABLED="0")
    process = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    dump = tmp_path / "dump.json"
    return process, (json.loads(dump.read_text()) if dump.exists() else None)


def playbook(per_host):
    return [
        {"name": "write", "hosts": "localhost", "gather_facts": False, "tasks": [
            {"name": "hand off", "ses_evolution.firewall.handoff": {
                "name": "verify", "per_host": per_host, "common": {"session": "s1"}}, "register": "written"}]},
        {"name": "read", "hosts": "a:b:c", "gather_facts": False, "tasks": [
            {"name": "read once", "ansible.builtin.set_fact": {
                "part": "{{ lookup('ses_evolution.firewall.handoff', 'verify', host=inventory_hostname, default={}) }}"}}]},
        {"name": "dump", "hosts": "localhost", "gather_facts": False, "tasks": [
            {"name": "dump", "ansible.builtin.copy": {
                "content": "{{ {'written': written, 'a': hostvars.a.part, 'b': hostvars.b.part, 'c': hostvars.c.part}"
                           " | to_json }}",
                "dest": "{{ dump_to }}"}}]}]


def test_each_host_reads_its_keys_and_the_common_ones(tmp_path):
    process, dump = run(tmp_path, playbook({"listen": {"a": [{"port": 443}], "b": []},
                                            "probes": {"a": [{"destination": "b", "port": 443}]}}))
    assert process.returncode == 0, process.stdout + process.stderr
    assert dump["a"] == {"session": "s1", "listen": [{"port": 443}], "probes": [{"destination": "b", "port": 443}]}
    assert dump["b"] == {"session": "s1", "listen": []}
    assert dump["c"] == {}  # in no mapping: the lookup's default
    assert dump["written"]["hosts"] == 2 and dump["written"]["changed"] is False


def test_per_host_must_map_hosts(tmp_path):
    process, dump = run(tmp_path, playbook({"listen": ["a", "b"]}))
    assert process.returncode != 0 and dump is None
    assert "per_host.listen must map host names to values, got list" in process.stdout


def test_per_host_values():
    assert action.per_host_values({"x": {"h1": 1}, "y": {"h1": 2, "h2": 3}}, {"s": 0}) == {
        "h1": {"s": 0, "x": 1, "y": 2}, "h2": {"s": 0, "y": 3}}
    assert action.per_host_values({"x": {"h1": 1}}, {"s": 0}, ["h1", "h3"]) == {
        "h1": {"s": 0, "x": 1}, "h3": {"s": 0}}
    with pytest.raises(handoff.HandoffError, match="per_host.x"):
        action.per_host_values({"x": "h1"}, {})
