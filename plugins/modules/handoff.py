# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the handoff action plugin (the code is in plugins/action/handoff.py)."""

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r"""
---
module: handoff
short_description: Hand each host its share of a fleet-wide value, for a later play of the same run
version_added: 1.0.0
description:
  - Writes, per host, a small JSON value that a later play reads once per host with the lookup
    C(ses_evolution.firewall.handoff). Run it once, on C(localhost).
  - Each host's value is a dict made of O(common) and, for each key of O(per_host), that key's entry for the
    host (keys without an entry for the host are left out). A host found in no O(per_host) mapping gets no
    value (unless listed in O(hosts)), so the lookup returns its default.
  - The files go to the run's private temporary directory on the controller (Ansible's local temporary
    directory, removed when the run ends), so concurrent runs never read each other's. Hosts with equal
    values share one file.
  - Why. A later play that reads a large value of localhost as C(hostvars['localhost'][...]) makes Ansible
    copy all of localhost's facts on every read; with a fleet of 10,000 agents that is more than a second a
    read. The lookup reads one small file.
  - Written in check mode too, as no host is changed by it and the later play needs it there as well.
author:
  - ses_evolution.firewall contributors (!UNKNOWN)
options:
  name:
    description: The hand-off's name, to give to the lookup (letters, digits, C(_), C(.), C(-)).
    type: str
    required: true
  per_host:
    description: Mappings of host name to value, each under the key it gets in the host's dict.
    type: dict
    required: true
  common:
    description: Keys and values put in every host's dict.
    type: dict
    default: {}
  hosts:
    description:
      - Hosts that get a value even when no O(per_host) mapping names them (then O(common) alone), for a later
        play that needs O(common) on every host.
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    support: full
    description: Writes the hand-off also in check mode (it changes no host).
  diff_mode:
    support: none
    description: No diff is shown.
  platform:
    support: full
    platforms: posix
    description: Runs on the controller.
seealso:
  - plugin: ses_evolution.firewall.handoff
    plugin_type: lookup
    description: Reads a host's value in the later play.
"""

EXAMPLES = r"""
- name: Plan on the controller
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Hand each host its listeners and probes
      ses_evolution.firewall.handoff:
        name: verify
        per_host:
          listen: "{{ plan.listeners }}"
          probes: "{{ plan.probes_by_source }}"
        common:
          session: "{{ plan.session }}"

- name: Use it
  hosts: all
  gather_facts: false
  tasks:
    - name: Read this host's part once
      ansible.builtin.set_fact:
        my_part: "{{ lookup('ses_evolution.firewall.handoff', 'verify', host=inventory_hostname, default={}) }}"
"""

RETURN = r"""
hosts:
  description: The number of hosts a value was written for.
  returned: success
  type: int
  sample: 12
files:
  description: The number of distinct values written (hosts with equal values share one file).
  returned: success
  type: int
  sample: 9
"""
