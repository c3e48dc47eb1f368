# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter iptables_restore: matrix rules as our own iptables chains (logic in plugin_utils/render_iptables.py)."""

from __future__ import annotations

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import FilterDoc
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.render_iptables import render_iptables

__metaclass__ = type

DOCUMENTATION = r"""
---
name: iptables_restore
short_description: SES Evolution matrix rules as iptables chains SES_IN / SES_OUT in iptables-save format
version_added: 1.0.0
description:
  - Renders a host's matrix rules for one address family as the collection's own chains of the C(filter)
    table, C(SES_IN) (and C(SES_OUT) when O(filter_outbound) is true), each reached by one jump from
    C(INPUT) / C(OUTPUT), in the format of C(iptables-save) and of netfilter-persistent's C(rules.v4) /
    C(rules.v6).
  - The C(linux_firewall) role loads it with C(iptables-restore --noflush) (after C(--test)), which flushes
    and refills only our chains.
  - Every chain accepts established and related traffic, loopback, IPv6 neighbour discovery and, from the
    management sources, the management port; with O(final_drop) it ends with a drop for the traffic that
    reached it. Each rule's comment is the matrix rule name.
  - A rule that cannot be rendered exactly is an error naming the rule.
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
  family:
    description: V(ipv4) for iptables, V(ipv6) for ip6tables. Rules with peers of the other family only are
      left out; rules with C(any) peers go to both.
    type: str
    default: ipv4
    choices: [ipv4, ipv6]
  filter_outbound:
    description: Also render C(SES_OUT) with the C(out) rules.
    type: bool
    default: false
  final_drop:
    description: End each chain with a drop (the standalone behaviour). Without it the traffic our chain does
      not accept returns to C(INPUT) / C(OUTPUT) and their policy decides.
    type: bool
    default: true
  extra_input:
    description: Raw rule specifications appended to C(SES_IN) before the final drop, for example
      C(-p tcp -m tcp --dport 80 -j ACCEPT).
    type: list
    elements: str
  extra_output:
    description: Raw rule specifications appended to C(SES_OUT).
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Render the host's IPv4 chains
  ansible.builtin.set_fact:
    v4: "{{ linux_firewall_rules | ses_evolution.firewall.iptables_restore(family='ipv4', management_sources=['10.0.0.5']) }}"
  # v4:
  #   *filter
  #   :SES_IN - [0:0]
  #   -A INPUT -m comment --comment ses_evolution_jump -j SES_IN
  #   -A SES_IN -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment ses_established -j ACCEPT
  #   ...
  #   -A SES_IN -s 10.0.0.5/32 -p tcp -m tcp --dport 22 -m comment --comment ses_management -j ACCEPT
  #   -A SES_IN -s 10.77.0.21/32 -p tcp -m tcp --dport 8443 -m comment --comment in_console_to_backend_tcp8443_new -j ACCEPT
  #   -A SES_IN -m comment --comment ses_final_drop -j DROP
  #   COMMIT
"""

RETURN = r"""
_value:
  description: Our chains in iptables-save format.
  type: str
"""


_DOC = FilterDoc(DOCUMENTATION)


def iptables_restore(*args, **kwargs):
    """Our chains for one family, in iptables-save format."""
    return _DOC.run(render_iptables, args, kwargs)


class FilterModule:
    """The iptables_restore filter."""

    def filters(self):
        return {"iptables_restore": iptables_restore}
