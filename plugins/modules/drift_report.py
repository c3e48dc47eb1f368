# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the drift_report action plugin (the code is in plugins/action/drift_report.py)."""

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r"""
---
module: drift_report
short_description: Gather the drift playbook's findings, write the report folder, return the counts
version_added: 1.2.0
description:
  - Reads, for each host of O(hosts), the findings the drift playbook recorded (C(ses_drift_findings), set with
    the filter P(ses_evolution.firewall.drift_findings#filter)), its platform (C(ses_drift_host_platform)) and its
    error (C(ses_drift_error)), and builds the fleet report.
  - A host of O(hosts) with neither findings nor an error was not read (unreachable, failed before the read),
    so it counts as C(unreadable), never as clean.
  - With O(report_dir), writes C(drift.json) and C(drift.md) (the fleet) and C(hosts/HOST.json),
    C(hosts/HOST.md) there, on the controller. Written in check mode too, as the report is the purpose of the
    run and no host is changed by it.
  - Run it once, on C(localhost).
author:
  - ses_evolution.firewall contributors (!UNKNOWN)
options:
  hosts:
    description: The hosts the drift play read.
    type: list
    elements: str
    required: true
  phase:
    description: The matrix phase the hosts were compared with, for the report.
    type: str
    default: migrate
  report_dir:
    description: The folder to write the report into (created when missing). Not set, nothing is written.
    type: path
  report_mode:
    description: The report files' mode, as octal text (C("0640")). Default C(0600).
    type: raw
attributes:
  check_mode:
    support: full
    description: Writes the report also in check mode (it changes no host).
  diff_mode:
    support: none
    description: No diff is shown.
  platform:
    support: full
    platforms: posix
    description: Runs on the controller.
seealso:
  - plugin: ses_evolution.firewall.drift_findings
    plugin_type: filter
    description: One host's findings.
"""

EXAMPLES = r"""
- name: Write the report
  ses_evolution.firewall.drift_report:
    hosts: "{{ groups['ses_drift_targets'] | default([]) }}"
    phase: migrate
    report_dir: /var/tmp/ses-drift
  register: drift
"""

RETURN = r"""
report:
  description:
    - C(totals) (C(hosts), C(hosts_with_findings), C(missing), C(extra), C(changed), C(widened), C(exposure),
      C(unreadable)), C(hosts) (per host, C(findings), C(counts), C(error), C(clean)), C(clean) (the whole
      fleet), C(lines) (the one-screen summary), C(phase).
  returned: success
  type: dict
files:
  description: The files written.
  returned: success
  type: list
  elements: str
"""
