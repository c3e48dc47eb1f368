# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the cleanup_audit action plugin (the code is in plugins/action/cleanup_audit.py)."""

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cleanup_audit
short_description: Write the audit record of an SES Evolution firewall cleanup on the controller
version_added: 1.0.0
description:
  - With O(host), writes that host's part of the record (rules removed, timestamps, status) as
    C(<audit_dir>/<run_id>.hosts/<host>.json), as soon as the host is done, so a run that stops half-way
    still leaves a trace.
  - With O(finalize=true), gathers every host part of the run and writes C(<audit_dir>/<run_id>.json) and
    C(<audit_dir>/<run_id>.md), with who ran what (O(run)), the gate's table, and per host the rules removed.
  - Writes on the controller only, whatever host the task runs for. In check mode nothing is written.
author:
  - ses_evolution.firewall contributors (!UNKNOWN)
options:
  audit_dir:
    description: Directory on the controller for the records; created when missing.
    type: path
    required: true
  mode:
    description:
      - The file mode of the records, as octal text (V(0640)) or a number. The records map the backoffice, so
        the default is V(0600), readable by their owner only. The playbook sets it from C(ses_audit_mode).
      - A host's file name is its inventory name when that is a plain name (letters, digits, C(_), C(.),
        C(-)); any other name gets a hash of the original, so that no two hosts share a file.
    type: raw
  run:
    description:
      - Who ran what. C(run_id) is required (it names the files); C(started), C(finished), C(user),
        C(controller), C(playbook), C(ansible_version), C(inventory), C(limit), C(target_version),
        C(agents_removed) and C(gate_table) are recorded when given.
    type: dict
    required: true
  host:
    description: The host whose part to write.
    type: str
  platform:
    description: The host's platform.
    type: str
    choices: [linux, windows]
    default: linux
  removed:
    description: The rules removed on O(host) (rule dicts of the matrix).
    type: list
    elements: dict
    default: []
  kept:
    description: The rules left on O(host) (rule dicts of the matrix).
    type: list
    elements: dict
    default: []
  started:
    description: When the host's removal started (UTC, ISO 8601).
    type: str
  finished:
    description: When it ended (UTC, ISO 8601).
    type: str
  status:
    description: C(removed) when the role applied the cleanup rules, C(failed) when it did not.
    type: str
    choices: [removed, failed]
    default: removed
  details:
    description: Anything else worth keeping for the host, such as the role's own result.
    type: dict
  finalize:
    description: Gather the host parts and write the record files.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Nothing is written in check mode.
  diff_mode:
    support: none
    description: No diff is shown.
  platform:
    support: full
    platforms: posix
    description: Runs on the controller.
"""

EXAMPLES = r"""
- name: Record what this host lost
  ses_evolution.firewall.cleanup_audit:
    audit_dir: ./ses_cleanup_audit
    run: {run_id: 20261126T140000Z}
    host: "{{ inventory_hostname }}"
    removed: "{{ ses_cleanup_gate.plan[inventory_hostname].removed }}"
    kept: "{{ ses_cleanup_gate.plan[inventory_hostname].rules }}"
    started: "2026-11-26T14:00:05Z"
    finished: "2026-11-26T14:00:20Z"

- name: Write the record
  ses_evolution.firewall.cleanup_audit:
    audit_dir: ./ses_cleanup_audit
    run: {run_id: 20261126T140000Z, user: alice, playbook: ses_evolution.firewall.cleanup}
    finalize: true
  # => files: ["./ses_cleanup_audit/20261126T140000Z.json", "./ses_cleanup_audit/20261126T140000Z.md"]
"""

RETURN = r"""
files:
  description: The files written (or, in check mode, that would be written).
  returned: success
  type: list
  elements: str
  sample: [/home/alice/ses_cleanup_audit/20261126T140000Z.json, /home/alice/ses_cleanup_audit/20261126T140000Z.md]
summary:
  description: With O(finalize), the counts of the record (C(hosts), C(hosts_with_removals), C(rules_removed), C(failed_hosts)).
  returned: when finalize is true
  type: dict
  sample: {hosts: 4, hosts_with_removals: 3, rules_removed: 4, failed_hosts: []}
"""
