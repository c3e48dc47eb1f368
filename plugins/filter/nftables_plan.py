# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter nftables_plan: what applying an SES nftables script changes on one host."""

from __future__ import annotations

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import FilterDoc
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import render_nftables

__metaclass__ = type

DOCUMENTATION = r"""
---
name: nftables_plan
short_description: What applying an SES nftables script changes on one host
version_added: 1.0.0
description:
- Compares the script rendered by P(ses_evolution.firewall.nftables_ruleset#filter) with what the host holds, read
  by the C(linux_firewall) role's probe (C(nft -j list ruleset), the fingerprint of our live objects, the stored
  copy of the last applied script).
- Returns whether anything changes (a new rule set, or our live table changed behind our back), the rule names added
  and removed, the text for C(--diff), the script to load (with the deletion of jumps and chains an earlier run
  left elsewhere), and warnings about other base chains on the same hook whose drop policy or drop rules may defeat
  our accepts, and about legacy iptables filter tables that drop (they filter besides nftables).
- Fails naming the variable when the chain named by O(jump_from) does not exist on the host.
- Lives in C(plugin_utils/render_nftables.py).
positional: _input, desired
options:
  _input:
    description: The probe's standard output.
    type: str
    required: true
  desired:
    description: The output of P(ses_evolution.firewall.nftables_ruleset#filter).
    type: str
    required: true
  mode:
    description: As for P(ses_evolution.firewall.nftables_ruleset#filter).
    type: str
    default: standalone
  table:
    description: As for P(ses_evolution.firewall.nftables_ruleset#filter).
    type: str
    default: ses_evolution
  jump_from:
    description: As for P(ses_evolution.firewall.nftables_ruleset#filter).
    type: str
  jump_from_output:
    description: As for P(ses_evolution.firewall.nftables_ruleset#filter).
    type: str
  filter_outbound:
    description: As for P(ses_evolution.firewall.nftables_ruleset#filter).
    type: bool
    default: false
author:
- ses_evolution.firewall contributors
"""

EXAMPLES = r"""
- name: Plan the change
  ansible.builtin.set_fact:
    plan: "{{ probe.stdout | ses_evolution.firewall.nftables_plan(nft_script) }}"
# plan: {"changed": true, "added": ["in_console_to_backend_tcp8443_new"], "removed": [],
#        "before": "...", "after": "...", "apply": "...", "warnings": [], "drift": false, "digest": "..."}
"""

RETURN = r"""
_value:
  description: The plan.
  type: dict
  contains:
    changed:
      description: Whether the host needs the script loaded.
      type: bool
    drift:
      description: The rule set is unchanged but our live objects differ from what was last applied.
      type: bool
    added:
      description: Names of the rules the script adds (a changed rule counts as added and removed).
      type: list
      elements: str
    removed:
      description: Names of the rules the script removes.
      type: list
      elements: str
    before:
      description: The stored copy of the last applied script, with its live fingerprint.
      type: str
    after:
      description: What the stored copy becomes.
      type: str
    desired:
      description: The desired rule set (both families for iptables), without the live fingerprint.
      type: str
    apply:
      description: The script to load with C(nft -f).
      type: str
    warnings:
      description: Other base chains that may drop what our rules accept, and chains the iptables backend left loaded,
        each with what to do.
      type: list
      elements: str
    digest:
      description: SHA-256 of the desired script.
      type: str
"""

_DOC = FilterDoc(DOCUMENTATION)


def nftables_plan(*args, **kwargs):
    """what applying an SES nftables script changes on one host."""
    return _DOC.run(render_nftables.nftables_plan, args, kwargs)


class FilterModule:
    """The nftables_plan filter."""

    def filters(self):
        return {"nftables_plan": nftables_plan}
