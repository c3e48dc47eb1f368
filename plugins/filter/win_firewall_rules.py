# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter win_firewall_rules: a host's matrix rules as win_firewall_rule parameters."""

from __future__ import annotations

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import FilterDoc
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import render_windows

__metaclass__ = type

DOCUMENTATION = r"""
name: win_firewall_rules
short_description: A host's SES matrix rules as community.windows.win_firewall_rule parameters
version_added: 1.0.0
description:
  - Turns the matrix rules of one host (C(ses_port_matrix.hosts[host].rules)) into one parameter dict per
    rule for M(community.windows.win_firewall_rule), every comparable option set explicitly.
  - Names are C(SES Evolution - <rule name>), all in the group C(SES Evolution (managed)).
  - Outbound rules are left out when O(filter_outbound) is false.
options:
  _input:
    description: The host's matrix rules (name, direction, protocol, port, peers, purpose, lifecycle, flow, peer_component).
    type: list
    elements: dict
    required: true
  profiles:
    description: Firewall profiles the rules apply to.
    type: list
    elements: str
    default: [domain, private, public]
  filter_outbound:
    description: Whether outbound rules are rendered.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Render a backend's rules
  ansible.builtin.debug:
    msg: "{{ ses_port_matrix.hosts['bo1'].rules | ses_evolution.firewall.win_firewall_rules }}"
  # => [{"name": "SES Evolution - in_console_to_backend_tcp8443_new", "group": "SES Evolution (managed)",
  #      "direction": "in", "action": "allow", "protocol": "tcp", "localport": "8443", "remoteport": "any",
  #      "localip": "any", "remoteip": "10.77.0.21/32", "program": "any", "service": "any",
  #      "profiles": ["domain", "private", "public"], "enabled": true, "state": "present",
  #      "description": "Communication of the administration console with the backend. Lifecycle: new ..."}, ...]
"""

RETURN = r"""
_value:
  description: One dict of win_firewall_rule options per rule.
  type: list
  elements: dict
"""


_DOC = FilterDoc(DOCUMENTATION)


def win_firewall_rules(*args, **kwargs):
    """win_firewall_rule parameters for the host's matrix rules."""
    return _DOC.run(render_windows.render_rules, args, kwargs)


class FilterModule:
    """The win_firewall_rules filter."""

    def filters(self):
        return {"win_firewall_rules": win_firewall_rules}
