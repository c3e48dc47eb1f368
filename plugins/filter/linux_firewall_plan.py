# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter linux_firewall_plan: what to do on a Linux host, for the backend its options name."""

from __future__ import annotations

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import FilterDoc
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import linux_backends

__metaclass__ = type

DOCUMENTATION = r"""
---
name: linux_firewall_plan
short_description: What to do on a Linux host, whatever its backend
version_added: 1.1.0
description:
  - The one plan step of the P(ses_evolution.firewall.linux_firewall#role) role (registry in
    C(plugin_utils/linux_backends.py)); it calls P(ses_evolution.firewall.nftables_plan#filter) or
    P(ses_evolution.firewall.iptables_plan#filter) and adds what the module
    M(ses_evolution.firewall.linux_ruleset) takes.
options:
  _input:
    description: The C(probe) returned by M(ses_evolution.firewall.linux_ruleset) with C(state=probe).
    type: str
    required: true
  desired:
    description: The output of P(ses_evolution.firewall.linux_firewall_render#filter).
    type: dict
    required: true
  options:
    description: The role's options as returned by P(ses_evolution.firewall.linux_firewall_options#filter).
    type: dict
    required: true
positional: _input, desired, options
"""

EXAMPLES = r"""
- name: Plan the change
  ansible.builtin.set_fact:
    plan: "{{ probe.probe | ses_evolution.firewall.linux_firewall_plan(desired, options) }}"
  # plan: {"changed": true, "added": [...], "removed": [], "warnings": [], "apply_payload": {"script": "..."},
  #        "commit_payload": {"desired": "...", "script": "..."}, "stored_file": "applied.nft", ...}
"""

RETURN = r"""
_value:
  description:
    - The backend's plan (C(changed), C(drift), C(added), C(removed), C(warnings), C(before), C(after),
      C(desired), C(digest)), plus C(apply_payload) and C(commit_payload) for the module, and C(stored_file),
      the name of the stored copy in the state directory.
  type: dict
"""

_DOC = FilterDoc(DOCUMENTATION)


def linux_firewall_plan(*args, **kwargs):
    """The plan for the host's backend."""
    return _DOC.run(linux_backends.plan, args, kwargs)


class FilterModule:
    """The linux_firewall_plan filter."""

    def filters(self):
        return {"linux_firewall_plan": linux_firewall_plan}
