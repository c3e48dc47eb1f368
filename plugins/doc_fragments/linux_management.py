# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options every Linux ruleset filter shares: the management access and ICMP, documented once."""

from __future__ import annotations

__metaclass__ = type


class ModuleDocFragment:
    """Options of the nftables_ruleset and iptables_restore filters (both backends render them the same way)."""

    DOCUMENTATION = r"""
options:
  management_sources:
    description:
      - Addresses or CIDRs allowed on O(management_port) whatever the rules; V(any) allows every address.
      - Unset (null), the address in O(connection_client) is used.
    type: list
    elements: str
  management_port:
    description: The TCP port of the management connection (SSH).
    type: int
    default: 22
  connection_client:
    description: The host's C(SSH_CLIENT) or C(SSH_CONNECTION) value ("ADDRESS PORT ..."), used when
      O(management_sources) is unset.
    type: str
  allow_icmp:
    description: Accept ICMP and ICMPv6 echo requests (ping).
    type: bool
    default: true
"""
