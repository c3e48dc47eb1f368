# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter verify_results: what each host of a verify plan registered, gathered for verify_report."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import FilterDoc, plain
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.verify import collect_results

__metaclass__ = type

DOCUMENTATION = r"""
---
name: verify_results
short_description: The probe outcomes and UDP receipts each host of a verify plan registered
version_added: 1.1.0
description:
  - For the sources of the plan, the C(outcomes) of C(ses_verify_probed) (C(ses_probe mode=probe)); for its
    destinations, C(ses_verify_collected) (C(ses_probe mode=collect)). Only the plan's hosts are read.
  - The input of P(ses_evolution.firewall.verify_report#filter). Lives in C(plugin_utils/verify.py).
options:
  _input:
    description: The plan made by P(ses_evolution.firewall.verify_plan#filter).
    type: dict
    required: true
  hostvars:
    description: Ansible's C(hostvars).
    type: raw
    required: true
positional: _input, hostvars
"""

EXAMPLES = r"""
- name: Gather what the hosts registered
  ansible.builtin.set_fact:
    results: "{{ plan | ses_evolution.firewall.verify_results(hostvars) }}"
  # results: {"outcomes": {"con1": {"p001": {...}}}, "receipts": {"bo1": {"received": [...], ...}}}
"""

RETURN = r"""
_value:
  description: C(outcomes) by source host and C(receipts) by destination host.
  type: dict
"""

_DOC = FilterDoc(DOCUMENTATION)
_READ = ("ses_verify_probed", "ses_verify_collected")


def verify_results(plan, hostvars):
    """Outcomes by source and receipts by destination."""
    plan = _DOC.arguments((plan,), {"hostvars": {}})["_input"]
    if "probes" not in plan:
        raise AnsibleFilterError("verify_results: the input must be the plan made by verify_plan")
    names = set(probe["source"] for probe in plan["probes"]) | set(probe["destination"] for probe in plan["probes"])
    registered = {}
    for name in names:
        variables = hostvars[name] if name in hostvars else {}
        registered[name] = {key: plain(variables[key]) for key in _READ if key in variables}
    return collect_results(plan, registered)


class FilterModule:
    """The verify_results filter."""

    def filters(self):
        return {"verify_results": verify_results}
