# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter win_firewall_plan: what to change on one Windows host."""

from __future__ import annotations

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import FilterDoc
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import render_windows

__metaclass__ = type

DOCUMENTATION = r"""
---
name: win_firewall_plan
short_description: What to change on one Windows host to apply its SES matrix rules
version_added: 1.0.0
description:
- Compares a host's matrix rules with the firewall rules the host holds and decides, before anything is touched,
  which rules to create or update, which installer rules to adopt or leave, which managed rules to remove, and which
  conditions make the run unsafe (C(errors)).
- Managed rules are those in the group C(SES Evolution (managed)) whose name starts with C(SES Evolution - ); only
  they are ever removed.
- Lives in C(plugin_utils/render_windows.py).
positional: _input, existing
options:
  _input:
    description: The host's matrix rules.
    type: list
    elements: dict
    required: true
  existing:
    description: The C(rules) list read by the role's read_state.ps1 (raw INetFwRule properties).
    type: list
    elements: dict
    required: true
  profiles:
    description: Firewall profiles the rules apply to.
    type: list
    elements: str
    default:
    - domain
    - private
    - public
  filter_outbound:
    description: Whether outbound rules are applied.
    type: bool
    default: true
  installer_mode:
    description: C(adopt) scopes the SES installer's inbound rules and skips the duplicate; C(leave) leaves them
      as they are and skips the duplicate.
    type: str
    choices:
    - adopt
    - leave
    default: adopt
  retired_mode:
    description:
    - An installer rule for a port the matrix no longer needs. C(disable) puts it in C(targeted) with
      C(enabled=false) (never deleted); C(keep) lists it in C(left_open).
    type: str
    choices:
    - disable
    - keep
    default: disable
  installer_rules:
    description:
    - The installer's rules, each C({name, flows}), the name matched with whitespace and case ignored.
    - An installer rule stands in for the matrix rules of its C(flows) on its own protocol and port.
    type: list
    elements: dict
"""

EXAMPLES = r"""
- name: Plan the changes of one host
  ansible.builtin.set_fact:
    plan: "{{ rules | ses_evolution.firewall.win_firewall_plan(read.result.rules, installer_mode='adopt') }}"
  # => {"present": [{...win_firewall_rule options...}], "absent": ["SES Evolution - in_..._legacy"],
  #     "adopted": ["Stormshield Endpoint Security EvolutionBackend (TCP-In)"], "skipped": [...],
  #     "expected_counts": {"SES Evolution - ...": 1}, "warnings": [], "errors": []}
"""

RETURN = r"""
_value:
  description: >-
    present (option dicts), absent (names), adopted, skipped, targeted (installer rule changes matched by name,
    protocol and port), targeted_counts, retired (installer rules disabled), left_open (installer rules left open
    although the matrix does not need them, with the reason), expected_counts, warnings, errors.
  type: dict
"""

_DOC = FilterDoc(DOCUMENTATION)


def win_firewall_plan(*args, **kwargs):
    """what to change on one Windows host to apply its SES matrix rules."""
    return _DOC.run(render_windows.plan, args, kwargs)


class FilterModule:
    """The win_firewall_plan filter."""

    def filters(self):
        return {"win_firewall_plan": win_firewall_plan}
