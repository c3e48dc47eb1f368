# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter verify_report: verdicts and the pass/fail table of a verify run."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import FilterDoc

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.verify import VerifyPlanError, build_report

__metaclass__ = type

DOCUMENTATION = r"""
---
name: verify_report
short_description: Verdicts and the pass/fail table of the verify playbook
version_added: 1.0.0
description:
  - Joins the plan of P(ses_evolution.firewall.verify_plan#filter) with what the sources reported
    (M(ses_evolution.firewall.ses_probe) with C(mode=probe)) and what the destinations received (C(mode=collect)).
  - A TCP probe is C(open) when it connected, else C(blocked). A UDP probe is C(open) when the destination
    received its token, C(blocked) when it did not, C(unconfirmed) when a service holds the port and its
    receipts are unknown.
  - A row passes when its result is the expected one; C(skipped) rows (a source that cannot run probes)
    neither pass nor fail.
author:
  - ses_evolution.firewall contributors
options:
  _input:
    description: The plan.
    type: dict
    required: true
  outcomes:
    description: Per source host, the C(outcomes) returned by C(ses_probe mode=probe).
    type: dict
    required: true
  receipts:
    description: Per destination host, the result of C(ses_probe mode=collect) (C(received), C(unconfirmable)).
    type: dict
    required: true
  unconfirmed:
    description:
      - What an C(unconfirmed) UDP probe counts as. V(fail) (a failure) or V(warn) (a C(WARN) row that does
        not fail the run).
    type: str
    default: fail
    choices: [fail, warn]
positional: _input, outcomes, receipts
"""

EXAMPLES = r"""
- name: Report
  ansible.builtin.debug:
    msg: "{{ (plan | ses_evolution.firewall.verify_report(outcomes, receipts)).table }}"
  # => ["source  destination       proto/port  check  lifecycle  expected  result  verdict",
  #     "------  ----------------  ----------  -----  ---------  --------  ------  -------",
  #     "con1    bo1 (10.77.0.11)  tcp/8443    flow   new        open      open    PASS"]
"""

RETURN = r"""
_value:
  description:
    - C(rows), one per probe, with C(source), C(destination), C(address), C(protocol), C(port), C(check),
      C(flows), C(lifecycle), C(expected), C(result), C(verdict) (C(PASS), C(FAIL), C(SKIP), C(WARN)) and C(detail).
    - The counts C(passed), C(failed), C(skipped), C(warned), C(total); C(phase); C(table), the rows as text lines.
  type: dict
"""


_DOC = FilterDoc(DOCUMENTATION)


def verify_report(*args, **kwargs):
    """Rows, counts and table of a verify run."""
    arguments = _DOC.arguments(args, kwargs)
    plan = arguments["_input"]
    if "probes" not in plan:
        raise AnsibleFilterError("verify_report: the input must be the plan made by verify_plan")
    try:
        return build_report(plan, arguments["outcomes"], arguments["receipts"], arguments["unconfirmed"])
    except VerifyPlanError as exc:
        raise AnsibleFilterError("verify_report: %s" % exc)


class FilterModule:
    """The verify_report filter."""

    def filters(self):
        return {"verify_report": verify_report}
