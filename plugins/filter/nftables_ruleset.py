# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter nftables_ruleset: matrix rules as an nftables script (logic in plugin_utils/render_nftables.py)."""

from __future__ import annotations

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import FilterDoc
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.render_nftables import render_nftables

__metaclass__ = type

DOCUMENTATION = r"""
---
name: nftables_ruleset
short_description: SES Evolution matrix rules as an nftables script that replaces only the collection's table
version_added: 1.0.0
description:
  - Renders a host's matrix rules (from M(ses_evolution.firewall.port_matrix)) as one script for C(nft -f).
  - In V(standalone) mode the script owns the table C(inet ses_evolution) and replaces it, and only it, in
    one transaction (C(table) / C(delete table) / C(table { ... })), with base chains C(input) (and
    C(output) when O(filter_outbound) is true) whose policy is drop.
  - In V(integrate) mode our rules go into regular chains of the user's table named by O(jump_from), and
    one rule at the top of that base chain jumps to them.
  - Every chain accepts established and related traffic, loopback, IPv6 neighbour discovery and, from the
    management sources, the management port. Each rule's comment is the matrix rule name.
  - A rule that cannot be rendered exactly (bad protocol, port or peer) is an error naming the rule.
  - The role C(ses_evolution.firewall.linux_firewall) uses it; see the collection's C(docs/linux.md).
author:
  - ses_evolution.firewall contributors
extends_documentation_fragment:
  - ses_evolution.firewall.linux_management
options:
  _input:
    description: The host's matrix rules (dicts with C(name), C(direction), C(protocol), C(port), C(peers)).
    type: list
    elements: dict
    required: true
  mode:
    description: V(standalone) (our own table and base chains) or V(integrate) (regular chains plus a jump).
    type: str
    default: standalone
    choices: [standalone, integrate]
  filter_outbound:
    description: Also render the C(out) rules, in an output chain with a drop policy.
    type: bool
    default: false
  table:
    description: Name of the collection's table (family C(inet)), and prefix of the chains in V(integrate) mode.
    type: str
    default: ses_evolution
  jump_from:
    description: V(integrate) mode, the base chain that jumps to our input chain, as C(FAMILY TABLE CHAIN).
    type: str
  jump_from_output:
    description: V(integrate) mode with O(filter_outbound), the base chain that jumps to our output chain.
    type: str
  extra_input:
    description: Raw nft statements appended to our input chain, as given (validated by C(nft -c) on the host).
    type: list
    elements: str
  extra_output:
    description: Raw nft statements appended to our output chain.
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Render the host's rules
  ansible.builtin.set_fact:
    nft_script: "{{ linux_firewall_rules | ses_evolution.firewall.nftables_ruleset(management_sources=['10.0.0.5']) }}"
  # nft_script:
  #   table inet ses_evolution
  #   delete table inet ses_evolution
  #   table inet ses_evolution {
  #     chain input {
  #       type filter hook input priority filter; policy drop;
  #       ct state established,related accept comment "ses_established"
  #       ...
  #       ip saddr 10.0.0.5/32 tcp dport 22 accept comment "ses_management"
  #       ip saddr 10.77.0.21/32 tcp dport 8443 accept comment "in_console_to_backend_tcp8443_new"
  #     }
  #   }
"""

RETURN = r"""
_value:
  description: The nft script (also the content of the persistent file included from C(/etc/nftables.conf)).
  type: str
"""


_DOC = FilterDoc(DOCUMENTATION)


def nftables_ruleset(*args, **kwargs):
    """The nft script for the rules."""
    return _DOC.run(render_nftables, args, kwargs)


class FilterModule:
    """The nftables_ruleset filter."""

    def filters(self):
        return {"nftables_ruleset": nftables_ruleset}
