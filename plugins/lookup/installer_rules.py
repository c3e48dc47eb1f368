# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lookup: the Windows rules the SES installer creates, from the collection's catalog (plugin_utils/ses_catalog.py)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: installer_rules
short_description: The inbound Windows Defender Firewall rules the SES Evolution installer creates
version_added: 1.0.0
description:
  - Returns the installer's inbound rules as the vendor's page "Configuring the firewall" lists them (section
    "Case of Windows Defender Firewall"), each with C(name) and C(flows), the matrix flows the rule serves on
    its own protocol and port.
  - The names come from the collection's release catalog, the one place they are written; the
    C(ses_evolution.firewall.windows_firewall) role takes its default
    O(ses_evolution.firewall.windows_firewall#role:main:windows_firewall_installer_rule_catalog) from here.
  - Use C(query) (or C(wantlist=true)) to get the list itself.
author:
  - ses_evolution.firewall contributors (!UNKNOWN)
options:
  _terms:
    description: Takes no terms.
    required: false
    type: list
    elements: str
notes:
  - The page prints some names without a space (C(EvolutionBackend)); the role matches names with whitespace
    and case ignored, so both spellings match.
"""

EXAMPLES = r"""
- name: Names of the installer's rules
  ansible.builtin.debug:
    msg: "{{ query('ses_evolution.firewall.installer_rules') | map(attribute='name') | list }}"

- name: The installer's rules plus one a site adds
  ansible.builtin.set_fact:
    windows_firewall_installer_rule_catalog: >-
      {{ query('ses_evolution.firewall.installer_rules')
         + [{'name': 'Site SES Backend 8443', 'flows': ['console_to_backend']}] }}
"""

RETURN = r"""
_list:
  description: One entry per installer rule.
  type: list
  elements: dict
  contains:
    name:
      description: The rule's name as the installer writes it.
      type: str
    flows:
      description: The matrix flows the rule serves.
      type: list
      elements: str
      sample: [console_to_backend, agent_handler_to_backend]
"""

import copy

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.catalog import INSTALLER_RULES

__metaclass__ = type


class LookupModule(LookupBase):
    """The catalog's INSTALLER_RULES, copied so that a play cannot change the catalog."""

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        if terms:
            raise AnsibleLookupError("installer_rules takes no terms, got %r" % (terms,))
        return copy.deepcopy([dict(rule) for rule in INSTALLER_RULES])
