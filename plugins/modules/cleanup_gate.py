# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the cleanup_gate action plugin (the code is in plugins/action/cleanup_gate.py)."""

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cleanup_gate
short_description: Decide whether the legacy SES Evolution firewall rules may be removed, and plan the removal
version_added: 1.0.0
description:
  - The vendor keeps the old and the new rules until every backend, agent handler and console runs the new
    release. This plugin combines, for every such host of the inventory (whatever C(--limit) says), the
    version in the inventory (C(ses_version)) with what the gate's probes found on the host, and returns the
    verdict with a table of the blocking hosts and what each reports.
  - Fails closed. A host is blocking when a probe could not reach it or failed, when no probe result
    exists for it, when its version is unknown or not a version, or when it is older than the target. A
    version detected on the host wins over C(ses_version). Hosts with C(ses_firewall_managed=false) are not
    contacted; their C(ses_version) decides.
  - "The agents' gate: with O(agents=true), TCP 17000 (lifecycle C(legacy_agent)) is planned for removal only
    when every agent runs 2.7.1 or later: the C(ses_agents) hosts by their C(ses_version), and the agents of
    O(agent_export). When agent handlers serve C(ses_agent_networks), or no agent is known at all, the
    export is required, and it must be complete (see O(agent_export))."
  - Returns the plan, per host of the matrix, of the rules to keep and the rules to remove. It does not
    fail on a closed gate; the playbook shows the table and stops. It fails on input it cannot use.
  - Runs on the controller only; the probes are separate tasks.
author:
  - ses_evolution.firewall contributors (!UNKNOWN)
options:
  matrix:
    description:
      - The port matrix of phase C(cleanup) (the fact C(ses_port_matrix) set by M(ses_evolution.firewall.port_matrix)).
      - Exactly one of O(matrix) and O(matrix_handoff).
    type: dict
  matrix_handoff:
    description:
      - The name of the hand-off where M(ses_evolution.firewall.port_matrix) (phase C(cleanup), option
        C(matrix_handoff)) wrote the matrix earlier in this run. Read from there, the matrix is never templated
        nor kept among localhost's facts, which costs seconds a task on large inventories.
    type: str
  handoff:
    description:
      - When both gates pass and O(confirm) is true, write each managed host's part of the plan (C(plan), and
        the run's C(ready) and C(run)) into the run's hand-off of this name, for the removal play (lookup
        C(ses_evolution.firewall.handoff)); only the hosts with rules to remove are written.
      - The fact then holds C(targets) (those hosts) instead of the whole C(plan).
    type: str
  probes:
    description:
      - Registered results of the gate's probe tasks, each a loop over backoffice hosts delegated to each
        host (C(item) is the host name). Unreachable or failed items block their host; skipped items are
        ignored.
      - "An item's detected versions are read from its C(ses_detected_versions) key or its fact of that
        name, as C({component: version}), one version for the host, or C({versions: ..., source: ...})."
    type: list
    elements: dict
    default: []
  host_probe_variable:
    description:
      - The variable that a play over the backoffice hosts (each probing itself, in parallel within the forks)
        set on each host, a mapping of C(token) and C(results) (the registered results of its probes).
      - Each result counts like a loop item of O(probes) for that host. A host probed neither way blocks.
    type: str
  host_probe_token:
    description:
      - This run's token; a O(host_probe_variable) value without it is ignored, so no inventory value can pass
        for a probe.
    type: str
  target_version:
    description: The release every backoffice host must run. Defaults to the matrix's target version.
    type: str
  accept_command_line_version:
    description:
      - A C(ses_version) given on the command line (C(-e)) overrides every host's version. A version taken from
        it blocks its host unless this is true (the playbook sets it from C(ses_cleanup_accept_command_line_version)).
      - The matrix says where its versions came from (its C(version_source), set by
        M(ses_evolution.firewall.port_matrix)); versions read on the host (the Windows registry) are not affected.
    type: bool
    default: false
  agents:
    description: Plan the removal of TCP 17000 (lifecycle C(legacy_agent)) when the agents' gate passes.
    type: bool
    default: false
  agent_export:
    description:
      - The registered result of M(ses_evolution.firewall.agent_export) (the console's agent list).
      - It is compared with the inventory before TCP 17000 goes. The gate refuses when a C(ses_agents) host is
        not in it, when it lists fewer agents than the inventory's agent hosts or than O(minimum_agents), when
        a network of C(ses_agent_networks) holds none of its rows (by the export's IP address column, required
        then), or when a row is neither a C(ses_agents) host nor inside a declared network.
    type: dict
  minimum_agents:
    description:
      - The least number of agents the export must list, for example the expected agent count (the playbook
        sets it from C(ses_agent_export_min_agents)). Unset, no floor beyond the inventory's agent hosts.
    type: int
  confirm:
    description:
      - The user confirmed the removal (the playbook sets it from C(ses_cleanup_confirm)). It is written into
        the run record (C(run) in the fact); without it the playbook stops after the dry run.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Computes only.
  diff_mode:
    support: none
    description: Nothing changes.
  platform:
    support: full
    platforms: posix
    description: Runs on the controller.
notes:
  - The collection's playbook C(ses_evolution.firewall.cleanup) runs the probes and this plugin; see the
    collection's C(docs/cleanup.md).
"""

EXAMPLES = r"""
- name: Probe every Linux backoffice host (the inventory's, not the limited play's)
  ansible.builtin.ping:
  delegate_to: "{{ item }}"
  loop: "{{ ses_port_matrix | ses_evolution.firewall.cleanup_probe_hosts(hostvars, 'linux') }}"
  ignore_unreachable: true
  ignore_errors: true
  register: ses_probe_linux

- name: Decide
  ses_evolution.firewall.cleanup_gate:
    matrix: "{{ ses_port_matrix }}"
    probes: ["{{ ses_probe_linux }}"]

- name: Show the blocking hosts
  ansible.builtin.debug:
    msg: "{{ ses_cleanup_gate.backoffice.table }}"
  when: not ses_cleanup_gate.ready
  # => ["Backoffice at 2.7.1 or later (every backend, agent handler and console of the inventory):",
  #     "host  components  reports                        verdict",
  #     "con1  console     console 2.6.3 (inventory)    BLOCKS: console: runs 2.6.3 (inventory), older than 2.7.1",
  #     "bo1   backend+agent_handler ...                  ready"]
"""

RETURN = r"""
ansible_facts:
  description: The fact C(ses_cleanup_gate).
  returned: success
  type: complex
  contains:
    ses_cleanup_gate:
      description: The verdicts and the plan.
      returned: success
      type: dict
      contains:
        ready:
          description: True when every backoffice host is reachable (or unmanaged) and on the target version.
          type: bool
        blocking_hosts:
          description: The backoffice hosts that block.
          type: list
          elements: str
        backoffice:
          description: C(hosts) (one row per backoffice host with C(versions), C(reasons), C(ready)) and C(table) (lines to show).
          type: dict
        agents:
          description:
            - The agents' gate. C(requested), C(ready), C(remove_legacy_agent), C(reasons), C(old_agents)
              (at most 50, with C(name), C(version), C(source), C(reason)), C(old_agent_count), C(sources),
              C(networks) (each declared agent network with the number of export rows inside it).
          type: dict
        agents_table:
          description: Lines that show why the agents' gate refused and the agents still old.
          type: list
          elements: str
        plan:
          description:
            - Per host of the matrix, C(rules) to apply (the platform role's input), C(removed) and C(removed_names).
            - Absent with O(handoff) (each host reads its part from the hand-off).
          type: dict
        targets:
          description:
            - The managed hosts whose plan removes a rule, sorted (the hosts the removal play enters); with
              O(handoff), only when it was written (both gates passed and O(confirm)), else empty.
          type: list
          elements: str
        dry_run:
          description: Lines that show, per host, what cleanup would remove, then what to do by hand when it removes
            TCP 17000 (turn off the agent handler groups' old protocol).
          type: list
          elements: str
        refusal:
          description: Why the cleanup stops - the blocking gate's table, then its verdict as the last line; empty
            when both gates pass. The backoffice gate speaks first; the agents' gate only when it was requested.
          type: list
          elements: str
        run:
          description:
            - This run's record, only when both gates pass (else null) - C(gate_passed), C(confirmed), C(run_id),
              C(started), C(playbook), C(ansible_version), C(inventory), C(limit), C(check_mode), C(target_version),
              C(version_source), C(command_line_version_accepted), C(agents_removed), C(agent_sources),
              C(gate_table).
            - The playbook copies it into C(ses_cleanup_run) with set_fact; the removal play and the audit record
              read it, and a host without it removes nothing.
          type: dict
        rules_to_remove:
          description: Number of rules the plan removes over the whole fleet.
          type: int
"""
