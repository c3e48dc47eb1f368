# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter windows_capture: one Windows host's capture document (playbook windows_facts)."""

from __future__ import annotations

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import FilterDoc
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import windows_capture as capture

__metaclass__ = type

DOCUMENTATION = r"""
---
name: windows_capture
short_description: One Windows host's capture document, for the playbook windows_facts
version_added: 1.0.0
description:
- Builds the JSON document the playbook C(ses_evolution.firewall.windows_facts) writes for each host, from what
  the role's C(read_state.ps1) (run with C(-Capture)) and C(read_versions.ps1) returned, and the file it goes to.
- The document's schema is versioned by its C(format) key (1); docs/windows.md describes it. The Windows simulator
  of the collection's tests loads it as a host's starting state.
- Refuses a host name that cannot be a file name, and an empty folder, naming the variable and the fix.
- Lives in C(plugin_utils/windows_capture.py).
options:
  _input:
    description: The C(result) of read_state.ps1 run with C(-Capture) (keys C(rules), C(profiles), C(policy)).
    type: dict
    required: true
  host:
    description: The host's inventory name; the capture file is named after it.
    type: str
    required: true
  versions:
    description: The C(result) of read_versions.ps1 (key C(products), the uninstall entries naming Stormshield).
    type: dict
    required: true
  directory:
    description: The folder on the controller that receives one C(<host>.json) per host.
    type: str
    required: true
  group_names:
    description: The host's inventory groups; its SES backoffice components are recorded from them.
    type: list
    elements: str
    default: []
  ses_groups:
    description: The inventory's C(ses_groups) (component to group name), when it renames the SES groups.
    type: raw
  captured_at:
    description: When the capture was taken (ISO 8601, UTC).
    type: str
"""

EXAMPLES = r"""
- name: Build the capture of the host
  ansible.builtin.set_fact:
    capture: >-
      {{ state_read.result | ses_evolution.firewall.windows_capture(host=inventory_hostname,
           versions=versions_read.result, directory='ses_windows_facts', group_names=group_names) }}
  # => {"path": "ses_windows_facts/bo1.json", "content": "{\n \"captured_at\": ...", "document": {"format": 1, ...}}
"""

RETURN = r"""
_value:
  description: >-
    path (the file on the controller), content (the document as JSON text), document (format, kind, host,
    captured_at, components, rules, profiles, policy, policy_error, products).
  type: dict
"""

_DOC = FilterDoc(DOCUMENTATION)


def windows_capture(*args, **kwargs):
    """One Windows host's capture document and the file it goes to."""
    return _DOC.run(capture.capture, args, kwargs)


class FilterModule:
    """The windows_capture filter."""

    def filters(self):
        return {"windows_capture": windows_capture}
