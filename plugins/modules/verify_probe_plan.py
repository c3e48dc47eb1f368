# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the verify_probe_plan action plugin (the code is in plugins/action/verify_probe_plan.py)."""

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r"""
---
module: verify_probe_plan
short_description: Plan the verify playbook's probes from the matrix hand-off, and hand each host its part
version_added: 1.0.0
description:
  - Reads the matrix that M(ses_evolution.firewall.port_matrix) wrote earlier in the run (its C(matrix_handoff)
    option), computes the probe plan exactly as the C(ses_evolution.firewall.verify_plan) filter does, writes
    each probing host's part (C(listen), C(probes), C(expect), and the C(session)) into the run's hand-off
    O(handoff) for the lookup C(ses_evolution.firewall.handoff), and sets the plan as the fact C(ses_verify_plan).
  - Why not the filter. Passed through a template, the whole matrix is copied by Ansible (about 20 s with
    10,000 agents, growing with the inventory); read here, it never leaves Python. The plan itself holds only
    the probes between managed hosts.
  - Run it once, on C(localhost).
author:
  - ses_evolution.firewall contributors (!UNKNOWN)
options:
  matrix_handoff:
    description: The name given to M(ses_evolution.firewall.port_matrix)'s C(matrix_handoff) earlier in the run.
    type: str
    required: true
  handoff:
    description: The name of the per-host hand-off to write (read by the probing play).
    type: str
    required: true
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
    required: true
attributes:
  check_mode:
    support: full
    description: Computes, and writes the run's private hand-off (it changes no host).
  diff_mode:
    support: none
    description: Nothing changes.
  platform:
    support: full
    platforms: posix
    description: Runs on the controller.
seealso:
  - plugin: ses_evolution.firewall.verify_plan
    plugin_type: filter
    description: The same plan from the matrix fact.
"""

EXAMPLES = r"""
- name: Plan on the controller
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Compute the port matrix into the run's hand-off
      ses_evolution.firewall.port_matrix:
        matrix_fact: false
        matrix_handoff: verify_matrix

    - name: Plan the probes and hand each host its part
      ses_evolution.firewall.verify_probe_plan:
        matrix_handoff: verify_matrix
        handoff: verify
        session: "{{ now(utc=true).strftime('%Y%m%d%H%M%S') }}"
"""

RETURN = r"""
ansible_facts:
  description: The fact C(ses_verify_plan), as the C(ses_evolution.firewall.verify_plan) filter returns it.
  returned: success
  type: complex
  contains:
    ses_verify_plan:
      description: C(session), C(phase), C(probes), C(hosts) (the hosts that run ses_probe), C(listeners),
        C(probes_by_source), C(expect).
      type: dict
"""
