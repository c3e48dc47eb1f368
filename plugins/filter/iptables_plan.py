# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter iptables_plan: what loading the SES iptables chains changes on one host."""

from __future__ import annotations

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import FilterDoc
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import render_iptables

__metaclass__ = type

DOCUMENTATION = r"""
---
name: iptables_plan
short_description: What loading the SES iptables chains changes on one host
version_added: 1.0.0
description:
- Compares the chains rendered by P(ses_evolution.firewall.iptables_restore#filter) for both families with what
  the host holds, read by the C(linux_firewall) role's probe (C(iptables-save -t filter), C(ip6tables-save -t filter),
  the fingerprint of our live chains, the stored copy of the last apply, the current C(rules.v4) and C(rules.v6)).
- Returns whether anything changes, the rule names added and removed, the text for C(--diff), the C(--noflush) restore
  files (our chains flushed and refilled, old jumps deleted, one jump inserted first) and the persistence files
  with only our chains merged.
- Lives in C(plugin_utils/render_iptables.py).
positional: _input, desired_v4, desired_v6
options:
  _input:
    description: The probe's standard output.
    type: str
    required: true
  desired_v4:
    description: P(ses_evolution.firewall.iptables_restore#filter) with C(family=ipv4).
    type: str
    required: true
  desired_v6:
    description: P(ses_evolution.firewall.iptables_restore#filter) with C(family=ipv6).
    type: str
    required: true
  filter_outbound:
    description: Whether OUTPUT matters too when looking for filtering outside our chains that drops.
    type: bool
    default: false
author:
- ses_evolution.firewall contributors
"""

EXAMPLES = r"""
- name: Plan the change
  ansible.builtin.set_fact:
    plan: "{{ probe.stdout | ses_evolution.firewall.iptables_plan(v4, v6) }}"
# plan: {"changed": true, "added": ["in_console_to_backend_tcp8443_new"], "removed": [], "apply_v4": "*filter ...",
#        "apply_v6": "...", "rules_v4": "...", "rules_v6": "...", "before": "...", "after": "...", ...}
"""

RETURN = r"""
_value:
  description: The plan.
  type: dict
  contains:
    changed:
      description: Whether the host needs our chains loaded.
      type: bool
    drift:
      description: The rule set is unchanged but our live chains differ from what was last applied.
      type: bool
    added:
      description: Names of the rules added (a changed rule counts as added and removed).
      type: list
      elements: str
    removed:
      description: Names of the rules removed.
      type: list
      elements: str
    before:
      description: The stored copy of the last apply, with its live fingerprint.
      type: str
    after:
      description: What the stored copy becomes.
      type: str
    desired:
      description: The desired rule set (both families for iptables), without the live fingerprint.
      type: str
    apply_v4:
      description: The C(iptables-restore --noflush) input for IPv4.
      type: str
    apply_v6:
      description: The C(ip6tables-restore --noflush) input for IPv6.
      type: str
    rules_v4:
      description: The new C(rules.v4), the existing file with only our chains replaced.
      type: str
    rules_v6:
      description: The new C(rules.v6).
      type: str
    warnings:
      description:
      - A leftover of the nftables backend (our table still loaded), with the command that removes it.
      - Filtering outside our chains that may drop what they accept (other nftables base chains, legacy iptables
        tables when iptables is the nf_tables flavour).
      type: list
      elements: str
    digest:
      description: SHA-256 of the desired chains.
      type: str
"""

_DOC = FilterDoc(DOCUMENTATION)


def iptables_plan(*args, **kwargs):
    """what loading the SES iptables chains changes on one host."""
    return _DOC.run(render_iptables.iptables_plan, args, kwargs)


class FilterModule:
    """The iptables_plan filter."""

    def filters(self):
        return {"iptables_plan": iptables_plan}
