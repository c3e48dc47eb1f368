# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter cleanup_probe_hosts: the backoffice hosts the cleanup gate must contact, per platform."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import FilterDoc

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import connections
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.cleanup_gate import (
    backoffice_hosts, host_probe_results, is_managed, platform_of)

__metaclass__ = type

DOCUMENTATION = r"""
---
name: cleanup_probe_hosts
short_description: The SES backoffice hosts the cleanup gate contacts, for one platform
version_added: 1.0.0
description:
  - Lists the backends, agent handlers and consoles of the port matrix (every one of the inventory, since the
    matrix ignores C(--limit)) that run on O(platform) and are managed (C(ses_firewall_managed) is not false).
  - A host's platform comes from the collection's one platform registry (C(plugin_utils/connections.py)),
    that is C(ses_platform), else C(windows) for every spelling of C(winrm) and C(psrp), else C(linux).
author:
  - ses_evolution.firewall contributors
options:
  _input:
    description:
      - The port matrix (the fact C(ses_port_matrix)), or a list of its backoffice hosts (for example
        C(ses_fleet_targets.backoffice.linux), set by C(ses_evolution.firewall.port_matrix) without the matrix).
    type: raw
    required: true
  hostvars:
    description: Ansible's C(hostvars).
    type: dict
    required: true
  platform:
    description: The platform to list.
    type: str
    choices: [linux, windows]
    required: true
  probed:
    description:
      - The name of a variable that a play over the backoffice hosts (each probing itself, in parallel within
        the forks) set on each host it probed, a mapping of C(token) and C(results).
      - Hosts where it is set with O(token) are left out, so that only the hosts that play did not reach
        (outside C(--limit), groups renamed in the inventory) remain to probe by delegation.
    type: str
  token:
    description: This run's token, which O(probed) must carry (so that no inventory value can pass for a probe).
    type: str
positional: _input, hostvars, platform, probed, token
"""

EXAMPLES = r"""
- name: Reach every Linux backoffice host of the inventory
  ansible.builtin.ping:
  delegate_to: "{{ item }}"
  loop: "{{ ses_port_matrix | ses_evolution.firewall.cleanup_probe_hosts(hostvars, 'linux') }}"
  # loops over e.g. ["ah2", "bo1", "con1"]
"""

RETURN = r"""
_value:
  description: Host names, sorted.
  type: list
  elements: str
"""


_DOC = FilterDoc(DOCUMENTATION)


def cleanup_probe_hosts(*args, **kwargs):
    """Managed backoffice hosts of the input whose platform is ``platform`` (without those ``probed``)."""
    # hostvars is read host by host below, never converted whole (it is the whole inventory's).
    args = list(args)
    if len(args) > 1:
        hostvars, args[1] = args[1], {}
    else:
        hostvars, kwargs["hostvars"] = kwargs.get("hostvars"), {}
    arguments = _DOC.arguments(args, kwargs)
    matrix, platform = arguments["_input"], arguments["platform"]
    probed, token = arguments.get("probed"), arguments.get("token")
    hostvars = hostvars if hostvars is not None else {}
    if isinstance(matrix, (list, tuple)) and all(isinstance(name, str) for name in matrix):
        candidates = sorted(matrix)
    elif hasattr(matrix, "get") and "hosts" in matrix:
        candidates = backoffice_hosts(matrix)
    else:
        raise AnsibleFilterError("cleanup_probe_hosts: the input must be the port matrix (ses_port_matrix) "
                                 "or a list of its backoffice host names")
    names = []
    for name in candidates:
        source = hostvars[name] if name in hostvars else {}
        variables = {key: source.get(key) for key in connections.HANDLING_VARIABLES if source.get(key) is not None}
        done = bool(probed and token) and bool(host_probe_results(source.get(probed), token))
        try:
            wanted = is_managed(variables, name) and platform_of(variables) == platform
        except ValueError as exc:
            raise AnsibleFilterError("cleanup_probe_hosts: %s" % exc) from exc
        if wanted and not done:
            names.append(name)
    return names


class FilterModule:
    """The cleanup_probe_hosts filter."""

    def filters(self):
        return {"cleanup_probe_hosts": cleanup_probe_hosts}
