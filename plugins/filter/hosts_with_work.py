# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter hosts_with_work: the managed hosts that have something to do, the only ones a per-host play enters."""

from __future__ import annotations

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import FilterDoc
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import connections

__metaclass__ = type

DOCUMENTATION = r"""
---
name: hosts_with_work
short_description: The managed hosts that have something to do - the only ones a per-host play enters
version_added: 1.1.0
description:
  - From per-host entries (the matrix's C(hosts), the cleanup plan) and the facts C(ses_fleet_hosts) set by
    M(ses_evolution.firewall.port_matrix), the sorted names of the managed hosts whose entry has something
    under O(key).
  - The playbooks put them in a group with M(ansible.builtin.add_host) for their per-host play, so that an
    inventory of thousands of unmanaged hosts costs nothing there. Lives in C(plugin_utils/connections.py).
options:
  _input:
    description: Per host name, its entry (a dict).
    type: dict
    required: true
  handling:
    description: The fact C(ses_fleet_hosts) (per host, C(managed) among others).
    type: dict
    required: true
  key:
    description: The entry's key that must not be empty (C(rules), C(retired_rules), C(removed)).
    type: str
    default: rules
positional: _input, handling, key
"""

EXAMPLES = r"""
- name: The hosts whose cleanup plan removes something
  ansible.builtin.set_fact:
    targets: "{{ ses_cleanup_gate.plan | ses_evolution.firewall.hosts_with_work(ses_fleet_hosts, 'removed') }}"
  # targets: ["ah2", "bo1"]
"""

RETURN = r"""
_value:
  description: The host names, sorted.
  type: list
  elements: str
"""

_DOC = FilterDoc(DOCUMENTATION)


def hosts_with_work(*args, **kwargs):
    """The managed hosts with something under ``key``."""
    return _DOC.run(connections.hosts_with_work, args, kwargs)


class FilterModule:
    """The hosts_with_work filter."""

    def filters(self):
        return {"hosts_with_work": hosts_with_work}
