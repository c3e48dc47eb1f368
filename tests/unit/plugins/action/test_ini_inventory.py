# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""INI inventories: Ansible reads ses_version=2.10, even ses_version="2.10", as the number 2.1.

The error used to advise YAML quoting, which cannot work on an INI line. It now
recognises the INI file and gives a fix that works there; this test applies that
fix and checks that the version arrives as the text 2.10.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.versions import describe_bad_version
from ansible_collections.ses_evolution.firewall.tests.unit.plugins.action.test_port_matrix import COLLECTIONS_ROOT

__metaclass__ = type

PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - ses_evolution.firewall.port_matrix:
    - ansible.builtin.copy:
        content: "{{ ses_port_matrix.hosts | to_json }}"
        dest: "{{ dump_to }}"
"""


def _run(tmp_path, version_field):
    inventory = tmp_path / "hosts.ini"
    inventory.write_text("[ses_backends]\nbo1 ses_address=192.0.2.10 %s\n" % version_field)
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    dump = tmp_path / "dump.json"
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_ROOT, ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCAL_TEMP=str(tmp_path / ".tmp"), ANSIBLE_RETRY_FILES_ENABLED="0")
    process = subprocess.run([sys.executable, "-m", "ansible.cli.playbook", "-i", str(inventory),
                              str(tmp_path / "play.yml"), "-e", json.dumps({"dump_to": str(dump)})],
                             env=env, capture_output=True, text=True, timeout=300, check=False)
    return process, (json.loads(dump.read_text()) if dump.exists() else None)


def test_the_ini_error_gives_a_fix_that_works_in_ini(tmp_path):
    process, dump = _run(tmp_path, 'ses_version="2.10"')
    assert process.returncode != 0 and dump is None
    assert "host 'bo1': ses_version is the number 2.1" in process.stdout
    assert str(tmp_path / "hosts.ini") in process.stdout
    assert "ses_version='\"2.10\"'" in process.stdout and "host_vars/bo1.yml" in process.stdout
    # The advice, applied, works.
    process, dump = _run(tmp_path, "ses_version='\"2.10\"'")
    assert process.returncode == 0, process.stdout
    assert dump["bo1"]["version"] == "2.10"


def test_the_yaml_advice_stays_for_yaml_files():
    message = describe_bad_version(2.1, "host 'bo1'", "ses_version", "inventory/hosts.yml")
    assert "quote it" in message and "INI" not in message
    message = describe_bad_version(2.1, "host 'bo1'", "ses_version", "inventory/hosts")
    assert "INI" in message
