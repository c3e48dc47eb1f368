# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter fleet_hosts: platform, remote and managed of each host, from the one platform registry."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import FilterDoc, plain
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import connections

__metaclass__ = type

DOCUMENTATION = r"""
---
name: fleet_hosts
short_description: How each host is handled - Linux or Windows, local or remote, managed or not
version_added: 1.1.0
description:
  - The one decision of the collection (C(plugin_utils/connections.py)), for every play, the gate and the
    verify plan.
  - C(platform) is C(ses_platform) when set (C(linux) or C(windows)), else C(windows) for the connections
    C(winrm), C(psrp), C(ansible.builtin.winrm) and C(ansible.builtin.psrp), else C(linux).
  - C(remote) is false only for C(local) and C(ansible.builtin.local); every other connection plugin
    (C(smart), C(ssh), FQCN forms, unknown plugins, unset) can be cut by the host's packet filter.
  - C(managed) is C(ses_firewall_managed) (default true), a boolean as typed with C(-e) (C(false), C(no), C(0)).
  - A value that is none of these stops the run, naming the host and the variable.
options:
  _input:
    description: The host names.
    type: list
    elements: str
    required: true
  hostvars:
    description: Ansible's C(hostvars) (only C(ansible_connection), C(ses_platform), C(ses_firewall_managed) are read).
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: How each host of the matrix is handled
  ansible.builtin.set_fact:
    handling: "{{ ses_port_matrix.hosts | list | ses_evolution.firewall.fleet_hosts(hostvars) }}"
  # handling: {"bo1": {"platform": "windows", "remote": true, "managed": true}, ...}
"""

RETURN = r"""
_value:
  description: Per host name, C(platform) (C(linux) or C(windows)), C(remote) and C(managed).
  type: dict
"""

_DOC = FilterDoc(DOCUMENTATION)


def _profiles(names, hostvars):
    picked = {}
    for name in names:
        variables = hostvars[name] if name in hostvars else {}
        picked[name] = {key: plain(variables[key]) for key in connections.HANDLING_VARIABLES if key in variables}
    try:
        return connections.fleet_handling(names, picked)
    except ValueError as exc:
        raise AnsibleFilterError("fleet_hosts: %s" % exc) from exc


def fleet_hosts(names, hostvars):
    """Per host name, its platform, whether it is remote and whether it is managed."""
    if not hasattr(hostvars, "__getitem__"):
        raise AnsibleFilterError("fleet_hosts: hostvars must be Ansible's hostvars, got %r" % (hostvars,))
    return _profiles(_DOC.arguments((names,), {"hostvars": {}})["_input"], hostvars)


class FilterModule:
    """The fleet_hosts filter."""

    def filters(self):
        return {"fleet_hosts": fleet_hosts}
