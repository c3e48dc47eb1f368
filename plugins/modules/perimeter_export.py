# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the perimeter_export action plugin (the code is in plugins/action/perimeter_export.py)."""

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r"""
---
module: perimeter_export
short_description: Write the SES Evolution flows that cross a perimeter firewall as an aerleon policy
version_added: 1.0.0
description:
  - Takes the port matrix of M(ses_evolution.firewall.port_matrix) and, for each perimeter device, keeps the
    flows whose source lies in one of the device's zones and whose destination lies in another, in that
    direction, with exactly the addresses inside those zones.
  - Writes, under O(report_dir)C(/perimeter/<phase>/), an aerleon policy per device
    (C(policies/pol/<device>.yaml)) and the network and service definitions they use (C(def/ses_networks.yaml),
    C(def/ses_services.yaml)). One term per crossing flow, its lifecycle and purpose in the comment; legacy terms
    say that cleanup removes them, and the cleanup policy's header names the terms it no longer has.
  - When the Python package C(aerleon) is installed on the controller and O(render=true), also renders each
    policy for O(targets) into C(out/<device>.<suffix>). Without aerleon the policy files are still written and
    a warning says how to install it.
  - Every zone, device and target is validated before anything is written; bad input fails naming the variable
    and the fix. Runs on the controller only.
author:
  - ses_evolution.firewall contributors (!UNKNOWN)
requirements:
  - aerleon (optional, only to render the policies; C(pip install aerleon))
options:
  matrix:
    description: The port matrix, as the C(ses_port_matrix) fact of M(ses_evolution.firewall.port_matrix).
    type: dict
    required: true
  zones:
    description:
      - The networks on each side of the perimeter devices (C(ses_perimeter_zones)), zone name to CIDR list.
      - Names are 1 to 20 lower-case letters, digits or C(_); zones must not overlap.
    type: dict
    required: true
  devices:
    description: Each perimeter device and the zones it joins (C(ses_perimeter_devices)), at least two.
    type: dict
    required: true
  targets:
    description:
      - aerleon targets to put in the policy headers and to render (C(ses_perimeter_targets)), from
        C(arista), C(cisco), C(ciscoasa), C(cisconx), C(ciscoxr), C(fortigate), C(juniper), C(nftables),
        C(paloalto), C(srx). Empty puts every one of them in the headers and renders none.
    type: list
    elements: str
    default: []
  render:
    description: Render O(targets) with aerleon when it is installed.
    type: bool
    default: true
  report_dir:
    description: The report folder; the files go to its C(perimeter/<phase>/) subfolder.
    type: path
    required: true
  report_mode:
    description: Octal file mode of the written files.
    type: raw
attributes:
  check_mode:
    support: full
    description: Computes and renders, writes nothing.
  diff_mode:
    support: none
    description: No diff.
  platform:
    support: full
    platforms: posix
    description: Runs on the controller.
"""

EXAMPLES = r"""
- name: Compute the port matrix
  ses_evolution.firewall.port_matrix:

- name: Export the flows through the edge firewall
  ses_evolution.firewall.perimeter_export:
    matrix: "{{ ses_port_matrix }}"
    zones: {users: [10.20.0.0/16], servers: [10.10.0.0/24]}
    devices: {edge_fw: [users, servers]}
    targets: [ciscoasa, paloalto]
    report_dir: ses_port_matrix
  # => ses_port_matrix/perimeter/migrate/policies/pol/edge_fw.yaml, out/edge_fw.asa, out/edge_fw.xml
"""

RETURN = r"""
directory:
  description: The folder the files were written to.
  returned: success
  type: str
  sample: /srv/ses/ses_port_matrix/perimeter/migrate
files:
  description: Every file written or found up to date, relative to RV(directory).
  returned: success
  type: list
  elements: str
  sample: [policies/pol/edge_fw.yaml, def/ses_networks.yaml, def/ses_services.yaml, out/edge_fw.asa]
devices:
  description:
    - Per device, its C(zones), its C(terms) (C(name), C(from_zone), C(to_zone), C(lifecycle), C(protocol),
      C(port), C(source) and C(destination) CIDRs) and C(dropped_terms), the legacy terms cleanup removes.
  returned: success
  type: dict
  sample: {edge_fw: {zones: [users, servers], terms: [], dropped_terms: []}}
summary:
  description: One line for the run, then one per device with its terms per direction and lifecycle.
  returned: success
  type: list
  elements: str
  sample: ["edge_fw (users | servers): 9 term(s); users -> servers: 4 legacy_agent, 4 new, 1 legacy"]
rendered:
  description: Whether aerleon rendered the policies (false when not installed, O(render=false) or no target).
  returned: success
  type: bool
  sample: true
targets:
  description: The targets in the policy headers.
  returned: success
  type: list
  elements: str
  sample: [ciscoasa, paloalto]
"""
