# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter host_rules: one host's rules from the port matrix."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import FilterDoc

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.report import select_host_rules

__metaclass__ = type

DOCUMENTATION = r"""
---
name: host_rules
short_description: One host's firewall rules from the SES Evolution port matrix
version_added: 1.0.0
description:
  - Picks the rules of one inventory host out of the matrix computed by M(ses_evolution.firewall.port_matrix)
    (the fact C(ses_port_matrix)).
  - Without O(lifecycles), returns the rules of the matrix's phase (C(migrate) keeps the old and the new
    release's rules, C(cleanup) drops the C(legacy) ones).
  - With O(lifecycles), returns the rules of those lifecycles, the ones the phase retires included; for
    example O(lifecycles=legacy) in the C(cleanup) phase lists the rules cleanup removes.
  - A host that takes part in no flow (or is not in the matrix) gets an empty list.
author:
  - ses_evolution.firewall contributors
options:
  _input:
    description: The port matrix, usually C(hostvars['localhost']['ses_port_matrix']).
    type: dict
    required: true
  host:
    description: The inventory name of the host, usually C(inventory_hostname).
    type: str
    required: true
  lifecycles:
    description:
      - Lifecycles to return, among C(permanent), C(legacy), C(new), C(legacy_agent).
      - Unset, the phase's rules.
    type: list
    elements: str
positional: _input, host, lifecycles
"""

EXAMPLES = r"""
- name: The rules the firewall of this host gets in this phase
  ansible.builtin.set_fact:
    linux_firewall_rules: "{{ hostvars['localhost']['ses_port_matrix'] | ses_evolution.firewall.host_rules(inventory_hostname) }}"

- name: The rules cleanup removes from the console con1 (matrix of phase cleanup)
  ansible.builtin.debug:
    msg: "{{ ses_port_matrix | ses_evolution.firewall.host_rules('con1', lifecycles=['legacy']) }}"
  # => [{"name": "out_console_to_backend_tcp443_legacy", "direction": "out", "protocol": "tcp",
  #      "port": 443, "peers": ["10.77.0.11/32"],
  #      "purpose": "Communication of the administration console with the backend",
  #      "lifecycle": "legacy", "flow": "console_to_backend",
  #      "component": "console", "peer_component": "backend"}]

- name: Only the TCP 17000 rules kept for agents older than 2.7.1
  ansible.builtin.debug:
    msg: "{{ ses_port_matrix | ses_evolution.firewall.host_rules('ah2', lifecycles='legacy_agent') | map(attribute='name') }}"
  # => ["in_agent_to_agent_handler_tcp17000_legacy_agent"]
"""

RETURN = r"""
_value:
  description:
    - The host's rules, sorted by direction (C(in) first), port, protocol and name.
    - Each rule holds C(name) (stable, unique on the host), C(direction) (C(in) or C(out)), C(protocol)
      (C(tcp) or C(udp)), C(port), C(peers) (CIDRs or C([any])), C(purpose), C(lifecycle), C(flow),
      C(component) and C(peer_component).
  type: list
  elements: dict
"""


_DOC = FilterDoc(DOCUMENTATION)


def host_rules(*args, **kwargs):
    """The rules of the host in the matrix: the phase's, or those of ``lifecycles``."""
    matrix = args[0] if args else kwargs.pop("_input", None)
    if not isinstance(matrix, dict) and not hasattr(matrix, "get"):
        raise AnsibleFilterError("host_rules: the input must be the port matrix (ses_port_matrix), got %s"
                                 % type(matrix).__name__)
    if "hosts" not in matrix:
        raise AnsibleFilterError("host_rules: the input has no 'hosts' key; pass the ses_port_matrix fact "
                                 "set by ses_evolution.firewall.port_matrix")
    # The other arguments are validated against DOCUMENTATION; the matrix is not converted (it is read once
    # per host, and a converted copy of a large fleet's matrix costs seconds).
    arguments = _DOC.arguments(({"hosts": {}},) + tuple(args[1:]), kwargs)
    try:
        return select_host_rules(matrix, arguments["host"], arguments.get("lifecycles"))
    except ValueError as exc:
        raise AnsibleFilterError("host_rules: %s" % exc)


class FilterModule:
    """The host_rules filter."""

    def filters(self):
        return {"host_rules": host_rules}
