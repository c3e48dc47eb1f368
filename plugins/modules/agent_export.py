# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the agent_export action plugin (the code is in plugins/action/agent_export.py)."""

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r"""
---
module: agent_export
short_description: Read the administration console's CSV export of the SES Evolution agent list
version_added: 1.0.0
description:
  - Reads, on the controller, the agent list exported as CSV from the SES Evolution administration console
    (Operation dashboard) and tells which agents still run a version older than O(minimum_version) (agents
    older than 2.7.1 talk to the agent handlers over TCP 17000).
  - The file may be comma, semicolon or tab separated; UTF-8 with or without a byte order mark, UTF-16 with a
    byte order mark (what Windows tools write), or cp1252. Blank lines, quoted fields, a title line or
    Excel's C(sep=) line above the header are accepted.
  - The header is found by column name, case and accents ignored; for example C(Agent name), C(Name),
    C(Hostname), C(Computer name), C(Nom) for the agent, and C(Agent version), C(Version),
    C(Installed version), C(Version de l'agent) for its version. O(name_column) and O(version_column) name
    other columns.
  - An IP address column (C(IP address), C(Address), C(Adresse IP), ...), when the export has one, gives each
    agent's addresses; the agents' gate of the cleanup matches them with C(ses_agent_networks).
  - An agent whose version cell is empty, C(N/A) or C(Unknown) counts as old (its version is unknown). A
    version cell that is not a version, a missing file, no version column, a cut line or a header without
    any agent fail the task with the file, the line and the fix.
  - Runs on the controller only; it never connects to a managed host.
author:
  - ses_evolution.firewall contributors (!UNKNOWN)
options:
  path:
    description: Path of the CSV file on the controller.
    type: path
    required: true
  name_column:
    description: Header of the column holding the agent's name, when none of the known spellings is used.
    type: str
  version_column:
    description: Header of the column holding the agent's version, when none of the known spellings is used.
    type: str
  minimum_version:
    description: Agents older than this are listed in RV(old_agents).
    type: str
    default: 2.7.1
attributes:
  check_mode:
    support: full
    description: Only reads the file.
  diff_mode:
    support: none
    description: Nothing changes.
  platform:
    support: full
    platforms: posix
    description: Runs on the controller.
"""

EXAMPLES = r"""
- name: Which agents still need TCP 17000?
  ses_evolution.firewall.agent_export:
    path: /srv/ses/agents.csv
  register: ses_agents_export

- name: Show them
  ansible.builtin.debug:
    msg: "{{ ses_agents_export.old_agents | map(attribute='name') }}"
  # => ["PC-COMPTA-02"]

- name: An export with other column names
  ses_evolution.firewall.agent_export:
    path: /srv/ses/agents.csv
    name_column: Endpoint label
    version_column: Build
"""

RETURN = r"""
agents:
  description:
    - Every agent of the file, in file order, with its C(name), C(version) (null when unknown), C(line) and
      C(addresses) (the IP addresses of the address column; empty without one).
  returned: success
  type: list
  elements: dict
  sample: [{name: PC-COMPTA-01, version: 2.7.1.1204, line: 2, addresses: [10.8.1.5]}]
agent_count:
  description: Number of agents in the file.
  returned: success
  type: int
  sample: 4
old_agents:
  description: Agents older than O(minimum_version) or of unknown version, each with a C(reason).
  returned: success
  type: list
  elements: dict
  sample: [{name: PC-COMPTA-02, version: 2.6.3.877, line: 3, reason: "runs 2.6.3.877, older than 2.7.1"}]
old_agent_count:
  description: Number of agents in RV(old_agents).
  returned: success
  type: int
  sample: 1
encoding:
  description: The encoding the file was read with.
  returned: success
  type: str
  sample: utf-16-le with BOM
delimiter:
  description: The field delimiter found.
  returned: success
  type: str
  sample: ;
header_line:
  description: The line of the header row.
  returned: success
  type: int
  sample: 1
name_column:
  description: The header of the agent name column.
  returned: success
  type: str
  sample: Nom de l'agent
version_column:
  description: The header of the agent version column.
  returned: success
  type: str
  sample: Version de l'agent
address_column:
  description: The header of the IP address column, or null when the export has none.
  returned: success
  type: str
  sample: Adresse IP
path:
  description: The file read.
  returned: success
  type: str
  sample: /srv/ses/agents.csv
minimum_version:
  description: The version agents were compared with.
  returned: success
  type: str
  sample: 2.7.1
"""
