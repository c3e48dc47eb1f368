# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter verify_plan: the connections verify tries, and the outcome each must have."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import FilterDoc
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.verify import VerifyPlanError, build_plan

__metaclass__ = type

DOCUMENTATION = r"""
---
name: verify_plan
short_description: The probes of the verify playbook, from the SES Evolution port matrix
version_added: 1.0.0
description:
  - Turns the matrix computed by M(ses_evolution.firewall.port_matrix) into probes, each a real connection
    from a source host to a destination address and port, with its expected outcome.
  - Every flow between two inventory hosts must be C(open); flows from C(agents) expand to each agent host.
    A flow whose two ends are unmanaged is not probed (it proves nothing about the collection's rules).
  - On each managed host, the ports of O(blocked_ports) must be C(blocked) from one other host (O(blocked_from),
    else a console, else the first other host), unless the matrix allows them.
  - In the C(cleanup) phase, the flows cleanup retires must be C(blocked) where the destination's remaining
    inbound rules refuse that source.
author:
  - ses_evolution.firewall contributors
options:
  _input:
    description:
      - The port matrix (the fact C(ses_port_matrix)), or the fleet-wide hand-off that
        C(ses_evolution.firewall.port_matrix) writes with C(matrix_handoff) (read with the
        C(ses_evolution.firewall.handoff) lookup and C(fleet=true)), which holds the matrix and O(hosts) both.
    type: dict
    required: true
  hosts:
    description:
      - The hosts verify may use, each mapped to C(managed) (whether the collection manages its firewall;
        only managed hosts get blocked checks) and C(platform) (C(linux) hosts run probes; C(windows) hosts
        are destinations only, their probes are reported as skipped).
      - Required unless the input is the hand-off (which holds them as C(fleet_hosts)).
    type: dict
  blocked_ports:
    description: Ports outside the matrix that must be blocked on each managed host, written C(tcp/N) or C(udp/N).
    type: list
    elements: str
    default: [tcp/17001, tcp/8080, tcp/3389]
  blocked_from:
    description: The host to try the O(blocked_ports) from. Unset, a console, else the first other host.
    type: str
  session:
    description: A word unique to this run, part of each UDP token so old datagrams never count.
    type: str
    default: verify
positional: _input, hosts
"""

EXAMPLES = r"""
- name: Plan the probes
  ansible.builtin.set_fact:
    ses_verify_plan: >-
      {{ ses_port_matrix | ses_evolution.firewall.verify_plan(
           {'con1': {'managed': true, 'platform': 'linux'}, 'bo1': {'managed': true, 'platform': 'linux'}}) }}
  # ses_verify_plan.probes[0] => {"id": "p001", "source": "con1", "destination": "bo1",
  #   "address": "10.77.0.11", "protocol": "tcp", "port": 443, "expected": "open", "check": "flow",
  #   "flows": ["console_to_backend"], "lifecycles": ["legacy"], "runnable": true,
  #   "token": "ses-verify-verify-p001"}
"""

RETURN = r"""
_value:
  description:
    - C(probes), each with C(id), C(source), C(destination), C(address), C(protocol), C(port), C(expected)
      (C(open) or C(blocked)), C(check) (C(flow), C(outside_matrix) or C(retired)), C(flows), C(lifecycles),
      C(token), C(runnable) (the source can run probes) and C(observed) (the destination runs the probe module,
      for its listener and UDP receipts).
    - C(probes_by_source), per source host, its runnable probes in the shape M(ses_evolution.firewall.ses_probe) takes
      (C(id), C(address), C(protocol), C(port), C(token)); C(expect), per destination host, its UDP probes (C(id), C(port), C(token)).
    - C(listeners), per destination host, the C(protocol)/C(port) pairs that must have a listener.
    - C(hosts), the hosts that run M(ses_evolution.firewall.ses_probe) (the only ones the verify play enters).
    - C(session) and C(phase).
  type: dict
"""


_DOC = FilterDoc(DOCUMENTATION)


def verify_plan(*args, **kwargs):
    """The probe plan for the matrix over its hosts (or over the hand-off's matrix and fleet_hosts)."""
    arguments = _DOC.arguments(args, kwargs)
    matrix, hosts = arguments["_input"], arguments.get("hosts")
    if hosts is None and "matrix" in matrix and "fleet_hosts" in matrix:
        matrix, hosts = matrix["matrix"], matrix["fleet_hosts"]
    if hosts is None:
        raise AnsibleFilterError("verify_plan: give hosts (ses_fleet_hosts), or the matrix hand-off as the input")
    try:
        return build_plan(matrix, dict(hosts), list(arguments["blocked_ports"]), arguments.get("blocked_from"),
                          arguments["session"])
    except VerifyPlanError as exc:
        raise AnsibleFilterError("verify_plan: %s" % exc)


class FilterModule:
    """The verify_plan filter."""

    def filters(self):
        return {"verify_plan": verify_plan}
