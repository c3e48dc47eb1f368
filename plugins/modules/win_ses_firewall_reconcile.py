#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This file holds the documentation only; the module is win_ses_firewall_reconcile.ps1.

from __future__ import annotations

DOCUMENTATION = r"""
module: win_ses_firewall_reconcile
short_description: Apply a host's whole SES firewall plan in one call (Windows Defender Firewall)
version_added: 1.0.0
description:
  - Applies many firewall rules and removals in one module call, with the semantics of
    M(community.windows.win_firewall_rule) for each of them (the same COM object, HNetCfg.FwPolicy2);
    rules are found by name (case-insensitive), every rule with that name is compared and updated,
    only the options given are compared, a missing rule is created, removal is by name.
  - Before changing anything it checks that every name in O(expected_counts) still matches as many rules
    as when the plan was made, and fails otherwise, so a host that changed since the role read it is
    left as it was.
  - Used by the role M(ses_evolution.firewall.windows_firewall) with C(windows_firewall_method=reconcile);
    the plan comes from the filter C(ses_evolution.firewall.win_firewall_plan).
options:
  rules:
    description: Rules to create or update; each item takes the options of M(community.windows.win_firewall_rule).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Rule name (the DisplayName).
        type: str
        required: true
      group:
        description: Rule group (Grouping).
        type: str
      description:
        description: Rule description.
        type: str
      direction:
        description: Direction.
        type: str
        choices: [in, out]
      action:
        description: Action.
        type: str
        choices: [allow, block]
      protocol:
        description: C(tcp), C(udp), C(any) or a protocol number.
        type: str
      localport:
        description: Local port(s), or C(any).
        type: str
      remoteport:
        description: Remote port(s), or C(any).
        type: str
      localip:
        description: Local address(es), or C(any).
        type: str
      remoteip:
        description: Remote addresses, comma-separated, or C(any).
        type: str
      program:
        description: Program path, or C(any).
        type: str
      service:
        description: Service name, or C(any).
        type: str
      profiles:
        description: Profiles (C(domain), C(private), C(public)).
        type: list
        elements: str
      enabled:
        description: Whether the rule is enabled. Defaults to enabled for a new rule, as win_firewall_rule does.
        type: bool
      state:
        description: Only C(present); removals go in O(remove).
        type: str
        choices: [present]
        default: present
  remove:
    description: Names of rules to remove (every rule with that name).
    type: list
    elements: str
    default: []
  expected_counts:
    description: Name -> number of rules with that name when the plan was made. A difference fails the module
      before any change.
    type: dict
    default: {}
notes:
  - Check mode and diff mode are supported.
seealso:
  - module: community.windows.win_firewall_rule
author:
  - ses_evolution.firewall contributors
"""

EXAMPLES = r"""
- name: Apply the plan in one call
  ses_evolution.firewall.win_ses_firewall_reconcile:
    rules: "{{ plan.present }}"
    remove: "{{ plan.absent }}"
    expected_counts: "{{ plan.expected_counts }}"
"""

RETURN = r"""
created:
  description: Names of the rules created.
  returned: always
  type: list
  elements: str
  sample: ["SES Evolution - in_console_to_backend_tcp8443_new"]
updated:
  description: Names of the rules changed.
  returned: always
  type: list
  elements: str
  sample: ["Stormshield Endpoint Security EvolutionBackend (TCP-In)"]
removed:
  description: Names of the rules removed.
  returned: always
  type: list
  elements: str
  sample: ["SES Evolution - in_console_to_backend_tcp443_legacy"]
"""
