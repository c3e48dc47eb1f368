# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the port_matrix action plugin (the code is in plugins/action/port_matrix.py)."""

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r"""
---
module: port_matrix
short_description: Compute the SES Evolution port matrix of the whole fleet from the inventory
version_added: 1.0.0
description:
  - Reads the SES groups of the inventory (C(ses_backends), C(ses_agent_handlers), C(ses_consoles),
    C(ses_agents), C(ses_sql_servers), C(ses_syslog_servers), renamed through O(groups)) and, for each of
    their hosts, only the variables the matrix needs (C(ses_address), C(ansible_host), C(ses_version), and
    for backends, agent handlers and SQL servers their C(ses_*) settings).
  - Returns the flow matrix of the vendor's port table (SES Evolution 2.7.1, "Configuring the firewall")
    as the fact C(ses_port_matrix), so later plays read C(hostvars['localhost']['ses_port_matrix']).
    The shape is documented in the collection's C(docs/matrix.md).
  - Bad input (a non-IP address, an unparseable version, a malformed CIDR or port, two hosts with one
    address, no backend, ...) fails the task with every problem found, each naming the host, group or
    variable and the fix. Nothing is written then.
  - Optionally writes the matrix as C(port_matrix.json), C(port_matrix.csv) and C(port_matrix.md) into
    O(report_dir).
  - Runs on the controller only; run it once, on C(localhost). It never connects to a managed host.
  - Fleet-wide settings (C(ses_target_version), C(ses_groups), C(ses_unrelated_groups), C(ses_phase) and the
    cleanup and agents' gate settings) are read as the controller sees them (C(-e), the C(all) group,
    C(localhost)'s own variables), whatever host the task runs for. A host of an SES group that sets one of
    them to another value is refused, naming the host.
  - Every group O(groups) names must exist. An inventory group whose name is a near miss of an SES group
    name (C(ses_console) for C(ses_consoles), a letter dropped or swapped) and that holds hosts outside that
    SES group is refused, unless listed in the variable C(ses_unrelated_groups).
  - When O(phase) is set, a contradicting C(-e ses_phase) is refused.
  - The matrix's warnings (flows that allow any peer, hosts with C(ses_version) in no SES group) are shown as
    run-time warnings too.
author:
  - ses_evolution.firewall contributors (!UNKNOWN)
options:
  phase:
    description:
      - V(migrate) keeps the rules of the old and of the new release (lifecycles C(permanent), C(legacy),
        C(new), C(legacy_agent)).
      - V(cleanup) drops the C(legacy) rules. While the backoffice gate is not met the matrix is a
        preview, and says so (C(preview) is true).
      - Defaults to the variable C(ses_phase), else V(migrate). When set, a C(-e ses_phase) with another value
        is refused.
    type: str
    choices: [migrate, cleanup]
  target_version:
    description:
      - The SES Evolution release the backoffice moves to.
      - Defaults to the variable C(ses_target_version), else V(2.7.1).
    type: str
  groups:
    description:
      - Group names of the SES components, keyed by component (C(backend), C(agent_handler), C(console),
        C(agent), C(sql_server), C(syslog_server)); a component left out keeps its default group.
      - Defaults to the variable C(ses_groups).
    type: dict
  report_dir:
    description:
      - A directory on the controller to write C(port_matrix.json), C(port_matrix.csv) and
        C(port_matrix.md) into. It is created when missing.
      - Each file is replaced atomically, and only when its content changed; the task reports C(changed)
        then. In check mode nothing is written and the task tells whether it would change.
      - Unset, no file is written.
    type: path
  report_mode:
    description:
      - The file mode of the report files, as octal text (V(0640)) or a number. The report maps the whole
        backoffice, so the default is V(0600), readable by its owner only.
      - Defaults to the variable C(ses_report_mode), else V(0600). A file whose mode differs is rewritten.
    type: raw
  handoff:
    description:
      - Also write each host's rules for the later plays of the same run, under this name (letters, digits,
        C(_), C(.), C(-)). A later play reads its host's rules once with
        C(lookup('ses_evolution.firewall.handoff', NAME, host=inventory_hostname, default=[])), which costs one
        small file per host; reading C(hostvars['localhost']['ses_port_matrix']) instead copies all of
        localhost's facts, the whole matrix, on every read (about 1.5 s per read with 10,000 agents).
      - The files go to the run's private temporary directory on the controller, which Ansible removes when the
        run ends, so concurrent runs never see each other's. Hosts with the same rules (the agents) share a file.
      - Written in check mode too (no host is changed by it). A host outside the matrix reads the default.
    type: str
  matrix_handoff:
    description:
      - Also write the whole matrix and C(ses_fleet_hosts), as one fleet-wide value, into the run's private
        hand-off of this name, for a later controller task that needs the whole matrix without keeping it among
        localhost's facts (the C(ses_evolution.firewall.cleanup_gate) action's O(ses_evolution.firewall.cleanup_gate#module:matrix_handoff),
        the C(ses_evolution.firewall.handoff) lookup with C(fleet=true)).
      - Read as a fact instead, the matrix is copied by every later task of the play host (seconds a task with
        10,000 agents).
    type: str
  matrix_fact:
    description:
      - With O(set_fact), set the whole matrix as facts (C(ses_port_matrix) and C(ses_fleet_hosts), the default).
      - V(false) sets only the small fact C(ses_fleet_targets). Every later task of the play host pays for the
        facts it carries (about 1.5 s a task with 10,000 agents), so a playbook that hands the rules over with
        O(handoff) and never reads the matrix itself (migrate) turns it off.
    type: bool
    default: true
  set_fact:
    description:
      - Set the fact C(ses_port_matrix) (the default).
      - V(false) only writes the report files and returns RV(summary). Ansible copies a fact several times
        on its way from the task to the play, which on tens of thousands of agents costs more than computing
        the matrix; the report playbook does not need the fact and turns it off.
    type: bool
    default: true
notes:
  - Reading host variables is the cost on large fleets, so agents are read for C(ses_address),
    C(ansible_host) and C(ses_version) only.
  - The CSV has a C(preview) column, C(true) on every row of a C(cleanup) preview. The Markdown file
    opens with a banner then.
seealso:
  - name: The port matrix (docs/matrix.md)
    description: Inventory contract and the shape of the matrix.
    link: https://github.com/ses-evolution/firewall/blob/main/docs/matrix.md
attributes:
  check_mode:
    support: full
    description: Computes the matrix; report files are not written.
  diff_mode:
    support: none
    description: No diff is shown.
  platform:
    support: full
    platforms: posix
    description: Runs on the controller.
"""

EXAMPLES = r"""
- name: Compute the matrix once, on the controller
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Compute the port matrix for the migration
      ses_evolution.firewall.port_matrix:
        phase: migrate

- name: Apply each host's rules
  hosts: ses_backends:ses_agent_handlers:ses_consoles
  tasks:
    - name: Show the rules of this host
      ansible.builtin.debug:
        msg: "{{ hostvars['localhost']['ses_port_matrix'] | ses_evolution.firewall.host_rules(inventory_hostname) }}"

- name: Write the report files as well, with renamed groups
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Compute the cleanup matrix and write it to /srv/ses/report
      ses_evolution.firewall.port_matrix:
        phase: cleanup
        target_version: "2.7.1"
        groups:
          backend: win_backends
          agent: workstations
        report_dir: /srv/ses/report
"""

RETURN = r"""
ansible_facts:
  description: The facts C(ses_port_matrix), C(ses_fleet_hosts) and C(ses_fleet_targets).
  returned: success, unless O(set_fact=false); with O(matrix_fact=false) only C(ses_fleet_targets)
  type: complex
  contains:
    ses_fleet_hosts:
      description:
        - For each host of the matrix, how it is handled, from the collection's one platform registry
          (C(plugin_utils/connections.py)) - C(platform) (C(linux) or C(windows)), C(remote), C(managed).
      returned: success
      type: dict
      sample: {bo1: {platform: linux, remote: true, managed: true}, agent-7: {platform: windows, remote: true, managed: false}}
    ses_cleanup_switches:
      description:
        - In phase C(cleanup), the cleanup playbook's switches as typed (C(-e) gives strings), converted once -
          C(confirm) (C(ses_cleanup_confirm)), C(agents) (C(ses_cleanup_agents)), C(accept_command_line_version)
          (C(ses_cleanup_accept_command_line_version)), C(minimum_agents) (C(ses_agent_export_min_agents)).
        - A value that is not a boolean (or a whole number) fails the task, naming the variable, before any host
          is touched.
      returned: phase cleanup
      type: dict
      sample: {confirm: false, agents: false, accept_command_line_version: false, minimum_agents: 0}
    ses_fleet_targets:
      description:
        - The managed hosts with something to do, sorted - C(rules) (rules to apply) and C(retired_rules)
          (legacy rules to remove). Only these hosts enter the playbooks' per-host plays.
        - C(backoffice) maps each platform (C(linux), C(windows)) to the managed backends, agent handlers and
          consoles, the hosts the cleanup gate probes.
      returned: success
      type: dict
      sample: {rules: [ah2, bo1, con1], retired_rules: [ah2, bo1], backoffice: {linux: [bo1], windows: [ah2]}}
    ses_port_matrix:
      description:
        - The matrix, as in the collection's C(docs/matrix.md).
        - C(hosts) maps each inventory host taking part in a flow to its components, address, version and
          C(rules); C(flows) lists every flow; C(gate) holds the verdicts; C(warnings) the notes about rules
          that allow any peer.
        - C(baseline_version) is the release the migration starts from (the catalog's release before
          C(target_version)); C(agent_https_version) the release from which agents talk HTTPS.
      returned: success
      type: dict
      sample:
        phase: migrate
        target_version: 2.7.1
        baseline_version: "2.6"
        agent_https_version: 2.7.1
        preview: false
        gate:
          backoffice_ready: false
          blocking_hosts: [ah2, con1]
          blocking_reasons: {ah2: "runs 2.6.3, older than 2.7.1", con1: "runs 2.6.3, older than 2.7.1"}
          agents_ready: false
          blocking_agents: [agent-old]
          blocking_agents_count: 1
          agent_networks_unverified: []
        hosts:
          bo1:
            components: [backend, agent_handler]
            address: 10.77.0.11
            version: 2.7.1
            co_located: true
            rules:
              - name: in_console_to_backend_tcp8443_new
                direction: in
                protocol: tcp
                port: 8443
                peers: [10.77.0.21/32]
                purpose: Communication of the administration console with the backend
                lifecycle: new
                flow: console_to_backend
                component: backend
                peer_component: console
            retired_rules: []
        flows: []
        retired_flows: []
        warnings: []
summary:
  description: Counts of the matrix, for a console summary.
  returned: success
  type: dict
  sample:
    phase: migrate
    target_version: 2.7.1
    preview: false
    hosts: 7
    hosts_per_component: {backend: 1, agent_handler: 2, console: 1, agent: 2, sql_server: 1, syslog_server: 1}
    rules: 33
    rules_per_lifecycle: {permanent: 17, legacy: 4, new: 8, legacy_agent: 4}
    retired_rules: 0
    flows: 19
    backoffice_ready: false
    blocking_hosts: [ah2, con1]
    agents_ready: false
    blocking_agents_count: 1
    agent_networks_unverified: []
    warnings: []
handoff:
  description: What was written for the later plays, when O(handoff) is set.
  returned: when handoff is set
  type: dict
  contains:
    name:
      description: The hand-off's name, O(handoff).
      type: str
    hosts:
      description: The hosts written (every host of the matrix).
      type: int
    files:
      description: The distinct rule lists written (hosts with the same rules share one file).
      type: int
  sample: {name: migrate, hosts: 10003, files: 4}
report_files:
  description: The report files, when O(report_dir) is set (written or, in check mode, to be written).
  returned: when report_dir is set
  type: list
  elements: str
  sample: [/srv/ses/report/port_matrix.json, /srv/ses/report/port_matrix.csv, /srv/ses/report/port_matrix.md]
report_changed:
  description: The report files whose content changed (or would change, in check mode).
  returned: when report_dir is set
  type: list
  elements: str
  sample: [/srv/ses/report/port_matrix.md]
"""
