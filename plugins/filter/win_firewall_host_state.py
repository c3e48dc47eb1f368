# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter win_firewall_host_state: outbound filtering and SES version of a Windows host."""

from __future__ import annotations

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import FilterDoc
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import render_windows

__metaclass__ = type

DOCUMENTATION = r"""
---
name: win_firewall_host_state
short_description: Outbound filtering and SES version of a Windows host, from the role's read_state.ps1
version_added: 1.0.0
description:
- Decides whether outbound traffic is filtered (an enabled profile among O(profiles) whose effective DefaultOutboundAction
  is Block) unless O(filter_outbound) says so explicitly.
- Takes the lowest SES Evolution backoffice version among the uninstall entries (agent entries left out), else O(inventory_version);
  a host whose version is unknown counts as not migrated.
- Lives in C(plugin_utils/render_windows.py) and C(plugin_utils/windows_versions.py).
options:
  _input:
    description: The C(result) of read_state.ps1 (keys C(profiles), C(products), C(rules)).
    type: dict
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
    description: C(auto) (detect), C(true) or C(false).
    type: raw
    default: auto
  inventory_version:
    description: The host's C(ses_version), used when the registry tells nothing.
    type: str
  target_version:
    description: The release the backoffice moves to; empty or unset means the newest release of the collection's catalog.
    type: str
  versions:
    description:
    - The C(result) of read_versions.ps1 (key C(products), the uninstall entries). Without it, C(products) of the
      input is read.
    - Only entries published by Stormshield count; SystemComponent, update and leftover entries are skipped and
      reported in C(version_notes), as are Stormshield entries not recognised. A backoffice entry whose version does
      not parse leaves the version unknown (C(version_error) quotes it), never replaced by O(inventory_version).
    type: dict
"""

EXAMPLES = r"""
- name: Read the host state
  ansible.builtin.set_fact:
    state: >-
      {{ read.result | ses_evolution.firewall.win_firewall_host_state(inventory_version=ses_version,
                                                                     versions=versions_read.result) }}
  # => {"filter_outbound": false, "filter_outbound_source": "detected", "detected_version": "2.7.1.1204",
  #     "version": "2.7.1.1204", "version_source": "registry", "migrated": true, "version_error": null,
  #     "version_notes": []}
"""

RETURN = r"""
_value:
  description: >-
    filter_outbound, filter_outbound_source, local_rules_ignored (enabled profiles among O(profiles) whose effective
    AllowLocalFirewallRules is false), detected_version, version, version_source, migrated, version_error,
    version_notes.
  type: dict
"""

_DOC = FilterDoc(DOCUMENTATION)


def win_firewall_host_state(*args, **kwargs):
    """outbound filtering and SES version of a Windows host, from the role's read_state.ps1."""
    return _DOC.run(render_windows.host_state, args, kwargs)


class FilterModule:
    """The win_firewall_host_state filter."""

    def filters(self):
        return {"win_firewall_host_state": win_firewall_host_state}
