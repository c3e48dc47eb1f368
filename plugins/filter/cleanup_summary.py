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
short_description: The cleanup's closing lines - what was removed, and what TCP 17000 needs next
version_added: 1.1.0
description:
  - Returns two lines - the rules removed and the hosts (or, in check mode, what the plan would remove), then
    what to do about TCP 17000 (turn off the agent handler groups' old protocol once it is removed, or remove
    it later with C(-e ses_cleanup_agents=true)).
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
    msg: "{{ ses_cleanup_gate | ses_evolution.firewall.cleanup_summary(ses_cleanup_record, ansible_check_mode) }}"
  # ["2 rule(s) removed on 1 of 5 host(s). Audit record: ses_cleanup_audit/20261130T...json, ...",
  #  "TCP 17000 (agents older than 2.7.1) stays; remove it later with -e ses_cleanup_agents=true."]
"""

RETURN = r"""
_value:
  description: Two lines.
  type: list
  elements: str
"""

_DOC = FilterDoc(DOCUMENTATION)


def cleanup_summary(*args, **kwargs):
    """The cleanup's closing lines."""
    return _DOC.run(summary.cleanup_summary, args, kwargs)


class FilterModule:
    """The cleanup_summary filter."""

    def filters(self):
        return {"cleanup_summary": cleanup_summary}
