# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter linux_firewall_render: a Linux host's rule set, for the backend its options name."""

from __future__ import annotations

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import FilterDoc
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import linux_backends

__metaclass__ = type

DOCUMENTATION = r"""
---
name: linux_firewall_render
short_description: A Linux host's SES rule set, rendered for the backend its options name
version_added: 1.1.0
description:
  - The one render step of the P(ses_evolution.firewall.linux_firewall#role) role, whatever the backend
    (registry in C(plugin_utils/linux_backends.py)); it calls P(ses_evolution.firewall.nftables_ruleset#filter)
    or P(ses_evolution.firewall.iptables_restore#filter) (both families) with the role's options.
  - Errors name the rule or the variable.
options:
  _input:
    description: The host's matrix rules.
    type: list
    elements: dict
    required: true
  options:
    description: The role's options as returned by P(ses_evolution.firewall.linux_firewall_options#filter).
    type: dict
    required: true
  client:
    description: The host's C(SSH_CONNECTION) value (the controller's address as the host sees it), or empty.
    type: str
    default: ""
positional: _input, options, client
"""

EXAMPLES = r"""
- name: Render the rule set
  ansible.builtin.set_fact:
    desired: "{{ linux_firewall_rules | ses_evolution.firewall.linux_firewall_render(options, client) }}"
  # desired: {"backend": "nftables", "text": "#!/usr/sbin/nft -f ...", "parts": {"script": "..."}}
"""

RETURN = r"""
_value:
  description: C(backend), C(text) (the whole rule set) and C(parts) (C(script) for nftables, C(v4) and C(v6) for iptables).
  type: dict
"""

_DOC = FilterDoc(DOCUMENTATION)


def linux_firewall_render(*args, **kwargs):
    """The host's rule set for its backend."""
    return _DOC.run(linux_backends.render, args, kwargs)


class FilterModule:
    """The linux_firewall_render filter."""

    def filters(self):
        return {"linux_firewall_render": linux_firewall_render}
