# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter apply_summary: the summary of a run that applied rules, from each host's result."""

from __future__ import annotations

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import FilterDoc, plain
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import summary

__metaclass__ = type

DOCUMENTATION = r"""
---
name: apply_summary
short_description: The summary of a run that applied rules - one line a host, totals, failures
version_added: 1.1.0
description:
  - Reads, for each host of O(_input), its C(ses_firewall_result) (the role's result, whatever the platform)
    and the variable named by O(error_variable) (set by the playbook when the host failed), and returns the
    lines the playbooks print and the hosts that failed.
  - Lives in C(plugin_utils/summary.py).
options:
  _input:
    description: The hosts to summarize.
    type: list
    elements: str
    required: true
  hostvars:
    description: Ansible's C(hostvars).
    type: raw
    required: true
  error_variable:
    description: The host variable holding a host's error.
    type: str
    default: ses_apply_error
positional: _input, hostvars
"""

EXAMPLES = r"""
- name: Summarize the migration
  ansible.builtin.debug:
    msg: "{{ (ses_port_matrix.hosts | list | ses_evolution.firewall.apply_summary(hostvars)).lines }}"
  # ["hosts: 7, rules added: 44, removed: 0, failed: 0", "bo1: changed (+12 -0 rules)", ...]
"""

RETURN = r"""
_value:
  description: C(lines) (a header, then one line a host), C(rows), C(failed) (host names), C(added), C(removed).
  type: dict
"""

_DOC = FilterDoc(DOCUMENTATION)


def apply_summary(*args, **kwargs):
    """The run's summary."""
    hostvars = kwargs.pop("hostvars", args[1] if len(args) > 1 else None)
    arguments = _DOC.arguments(args[:1], dict(kwargs, hostvars={}))
    hosts = {}
    for name in arguments["_input"]:
        variables = hostvars[name] if hostvars is not None and name in hostvars else {}
        hosts[name] = {"result": plain(variables["ses_firewall_result"]) if "ses_firewall_result" in variables else None,
                       "error": plain(variables[arguments["error_variable"]])
                       if arguments["error_variable"] in variables else None}
    return summary.apply_summary(hosts)


class FilterModule:
    """The apply_summary filter."""

    def filters(self):
        return {"apply_summary": apply_summary}
