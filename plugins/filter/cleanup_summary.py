# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter cleanup_summary: the cleanup's closing lines, from the gate and the audit record."""

from __future__ import annotations

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import FilterDoc
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import summary

__metaclass__ = type

DOCUMENTATION = r"""
---
name: cleanup_summary
short_description: The cleanup's closing lines and its counts for AWX
version_added: 1.1.0
description:
  - Returns C(lines), two lines - the rules removed and the hosts (or, in check mode, what the plan would
    remove), then what to do about TCP 17000 (turn off the agent handler groups' old protocol once it is
    removed, or remove it later with C(-e ses_cleanup_agents=true)); and C(stats), the counts the playbook
    publishes with C(set_stats) for AWX.
  - Lives in C(plugin_utils/summary.py).
options:
  _input:
    description: The gate's fact C(ses_cleanup_gate) (set by C(ses_evolution.firewall.cleanup_gate)).
    type: dict
    required: true
  record:
    description: The registered result of C(ses_evolution.firewall.cleanup_audit) with C(finalize).
    type: dict
    required: true
  check_mode:
    description: The run's check mode (C(ansible_check_mode)); no audit record is written then.
    type: bool
    required: true
positional: _input, record, check_mode
"""

EXAMPLES = r"""
- name: Summarize the cleanup
  ansible.builtin.debug:
    msg: "{{ (ses_cleanup_gate | ses_evolution.firewall.cleanup_summary(ses_cleanup_record, ansible_check_mode)).lines }}"
  # ["2 rule(s) removed on 1 of 5 host(s). Audit record: ses_cleanup_audit/20261130T...json, ...",
  #  "TCP 17000 (agents older than 2.7.1) stays; remove it later with -e ses_cleanup_agents=true."]
"""

RETURN = r"""
_value:
  description:
    - C(lines) (two lines) and C(stats) (C(check_mode), C(planned), C(removed), C(hosts_with_removals), C(failed),
      C(agents_removed)).
  type: dict
"""

_DOC = FilterDoc(DOCUMENTATION)


def cleanup_summary(*args, **kwargs):
    """The cleanup's closing lines."""
    return _DOC.run(summary.cleanup_summary, args, kwargs)


class FilterModule:
    """The cleanup_summary filter."""

    def filters(self):
        return {"cleanup_summary": cleanup_summary}
