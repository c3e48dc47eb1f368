# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter drift_findings: one host's drift and exposure findings, from its live state and matrix rules."""

from __future__ import annotations

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import FilterDoc
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import drift

__metaclass__ = type

DOCUMENTATION = r"""
---
name: drift_findings
short_description: One host's drift (missing, extra, changed rules) and exposure findings
version_added: 1.2.0
description:
  - Compares a host's live firewall with its matrix rules, read only, and returns one finding per difference,
    in the categories C(missing) (a matrix rule not in force), C(extra) (a rule of ours the matrix no longer
    has), C(changed) (a rule of ours whose protocol, port or peers differ; C(widened) when it admits more than
    the matrix) and C(exposure) (a rule outside ours accepting an SES port from more than the matrix allows).
  - Linux, the input is C(linux_firewall_live) set by the P(ses_evolution.firewall.linux_firewall#role) role's
    C(read) entry point (the probe of M(ses_evolution.firewall.linux_ruleset) and the role's checked options).
  - Windows, the input is C(windows_firewall_live) set by the P(ses_evolution.firewall.windows_firewall#role)
    role's C(read) entry point (every enabled inbound allow rule, the profiles, the managed rule group).
  - A match the engine does not understand is taken as matching everything, so it may add an exposure but
    never hides one. Lives in C(plugin_utils/drift.py).
options:
  _input:
    description: The host's live state (see above).
    type: dict
    required: true
  rules:
    description: The host's matrix rules (the hand-off of the port_matrix action).
    type: list
    elements: dict
    required: true
  ports:
    description: The SES ports as C([protocol, port]) pairs, from C(ses_drift_ports) on the first play.
    type: list
    elements: list
    required: true
  platform:
    description: The host's platform, from the platform registry.
    type: str
    choices: [linux, windows]
    default: linux
positional: _input, rules, ports
"""

EXAMPLES = r"""
- name: Compare
  ansible.builtin.set_fact:
    findings: "{{ linux_firewall_live | ses_evolution.firewall.drift_findings(rules, ports) }}"
  # [{"category": "changed", "rule": "in_console_to_backend_tcp8443_new", "widened": true,
  #   "where": "nft inet ses_evolution input",
  #   "detail": "WIDENED: live tcp/8443 from any, matrix tcp/8443 from 10.77.0.21/32", ...}]
"""

RETURN = r"""
_value:
  description:
    - One dict per finding, C(category) (missing, extra, changed, exposure), C(rule) (the rule's name, or
      the foreign rule's comment), C(where) (table and chain, or Windows rule), C(detail), C(widened).
  type: list
  elements: dict
"""

_DOC = FilterDoc(DOCUMENTATION)


def _findings(live, rules, ports, platform="linux"):
    if platform == "windows":
        return drift.windows_drift(live, rules, ports)
    return drift.linux_drift(live.get("probe") or "", rules, live.get("options") or {}, ports)


def drift_findings(*args, **kwargs):
    """The host's findings."""
    return _DOC.run(_findings, args, kwargs)


class FilterModule:
    """The drift_findings filter."""

    def filters(self):
        return {"drift_findings": drift_findings}
