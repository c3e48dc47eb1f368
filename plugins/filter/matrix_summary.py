# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter matrix_summary: the counts and verdicts of a port matrix."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import FilterDoc
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.report import summarize

__metaclass__ = type

DOCUMENTATION = r"""
---
name: matrix_summary
short_description: Counts and gate verdicts of the SES Evolution port matrix
version_added: 1.0.0
description:
  - Summarizes the matrix computed by M(ses_evolution.firewall.port_matrix) (the fact C(ses_port_matrix)), that is
    hosts per component, rules per lifecycle, the gate verdicts and the warnings.
  - The action plugin returns the same summary as C(summary); this filter serves a matrix read back from
    C(port_matrix.json).
author:
  - ses_evolution.firewall contributors
options:
  _input:
    description: The port matrix.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Say whether cleanup may run
  ansible.builtin.debug:
    msg: "{{ (ses_port_matrix | ses_evolution.firewall.matrix_summary).backoffice_ready }}"
  # => false

- name: Summarize a report written earlier
  ansible.builtin.debug:
    msg: "{{ lookup('ansible.builtin.file', 'report/port_matrix.json') | from_json | ses_evolution.firewall.matrix_summary }}"
  # => {"phase": "migrate", "target_version": "2.7.1", "preview": false, "hosts": 7,
  #     "hosts_per_component": {"backend": 1, "agent_handler": 2, "console": 1, "agent": 2,
  #                             "sql_server": 1, "syslog_server": 1},
  #     "rules": 33, "rules_per_lifecycle": {"permanent": 17, "legacy": 4, "new": 8, "legacy_agent": 4},
  #     "retired_rules": 0, "flows": 19, "backoffice_ready": false, "blocking_hosts": ["ah2", "con1"],
  #     "agents_ready": false, "blocking_agents_count": 1, "agent_networks_unverified": [],
  #     "warnings": []}
"""

RETURN = r"""
_value:
  description:
    - C(phase), C(target_version), C(preview); C(hosts) and C(hosts_per_component); C(rules),
      C(rules_per_lifecycle) and C(retired_rules) (rules the phase removes), counted over all hosts;
      C(flows); C(backoffice_ready), C(blocking_hosts), C(agents_ready), C(blocking_agents_count),
      C(agent_networks_unverified);
      C(warnings).
  type: dict
"""


_DOC = FilterDoc(DOCUMENTATION)


def _summary(_input):
    try:
        return summarize(_input)
    except (KeyError, TypeError, AttributeError) as exc:
        # A dict that is not the matrix: its type is checked against DOCUMENTATION, its content here.
        raise AnsibleFilterError("matrix_summary: the input is not a port matrix (ses_port_matrix): missing %s"
                                 % exc) from exc


def matrix_summary(*args, **kwargs):
    """Counts and verdicts of the matrix, its arguments validated against DOCUMENTATION."""
    return _DOC.run(_summary, args, kwargs)


class FilterModule:
    """The matrix_summary filter."""

    def filters(self):
        return {"matrix_summary": matrix_summary}
