# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lookup: one host's share of a hand-off written earlier in the same run (see plugin_utils/handoff.py)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: handoff
short_description: Read one host's share of a per-host hand-off written earlier in the same run
version_added: 1.0.0
description:
  - Returns the value that an earlier task of the same C(ansible-playbook) run wrote for one host, for
    example each host's rules written by the C(ses_evolution.firewall.port_matrix) action with its
    C(handoff) option.
  - The hand-off lives in the run's private temporary directory on the controller (Ansible's local
    temporary directory, removed when the run ends), so concurrent runs never read each other's.
  - Reading it costs one small file per host, whereas C(hostvars['localhost']) copies all of localhost's
    facts on every read, the whole fleet matrix included.
author:
  - ses_evolution.firewall contributors (!UNKNOWN)
options:
  _terms:
    description: The name of the hand-off (as given to the task that wrote it), exactly one.
    required: true
    type: list
    elements: str
  host:
    description:
      - The host whose value to return, usually C(inventory_hostname).
      - Required unless O(fleet) is set.
    type: str
  fleet:
    description:
      - Return the hand-off's one fleet-wide value instead of a host's (the matrix and C(ses_fleet_hosts) that
        C(ses_evolution.firewall.port_matrix) writes with its C(matrix_handoff) option), to pass it straight
        to a filter without keeping it as a fact.
    type: bool
    default: false
  default:
    description: Returned when the hand-off lists no value for O(host).
    type: raw
    default: null
notes:
  - Fails when no hand-off of that name was written earlier in the run.
  - Read it once per host (with C(ansible.builtin.set_fact)); a play variable that calls the lookup
    reads the file again at every use.
"""

EXAMPLES = r"""
- name: Compute the matrix and hand each host its rules
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Compute the port matrix
      ses_evolution.firewall.port_matrix:
        handoff: migrate

- name: Use them
  hosts: ses_agent_handlers
  gather_facts: false
  tasks:
    - name: Read this host's rules once
      ansible.builtin.set_fact:
        my_rules: "{{ lookup('ses_evolution.firewall.handoff', 'migrate', host=inventory_hostname, default=[]) }}"

- name: The whole matrix on the controller, written by port_matrix with matrix_handoff=verify
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Count its hosts without keeping it as a fact
      ansible.builtin.debug:
        msg: "{{ (lookup('ses_evolution.firewall.handoff', 'verify', fleet=true)).matrix.hosts | length }} hosts"
"""

RETURN = r"""
_raw:
  description: The value written for the host, or O(default); with O(fleet), the fleet-wide value.
  type: raw
"""

from ansible import constants as C
from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import handoff

__metaclass__ = type


class LookupModule(LookupBase):
    """Reads <local tmp>/ses_handoff/<name>/ for one host."""

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        if len(terms) != 1:
            raise AnsibleLookupError("handoff takes exactly one hand-off name, got %d" % len(terms))
        try:
            directory = handoff.handoff_dir(C.DEFAULT_LOCAL_TMP, str(terms[0]))
            if self.get_option("fleet"):
                return [handoff.read_fleet(directory)]
            if self.get_option("host") is None:
                raise AnsibleLookupError("handoff %s: give host=inventory_hostname (or fleet=true)" % terms[0])
            value = handoff.read(directory, self.get_option("host"), self.get_option("default"))
        except handoff.HandoffError as exc:
            raise AnsibleLookupError("handoff %s: %s" % (terms[0], exc)) from exc
        return [value]
