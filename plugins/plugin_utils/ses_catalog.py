# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The vendor's port table for SES Evolution, as data.

Transcribed from "Configuring the firewall" (SES Evolution 2.7.1), the table
"Component / Direction / Port 2.6 / Port 2.7 co-located / Port 2.7 separate".
Each row is one flow: who opens the connection (source), who accepts it
(destination), the protocol and port, and the releases in which it exists.

- ``introduced``: first release that uses the row (None: already in the baseline).
- ``removed``: first release that no longer uses it (None: still used).
- ``topology``: ``co_located`` or ``separate`` when the port depends on whether
  the *backend end* of the flow shares its machine with an agent handler,
  ``any`` otherwise.
- ``lifecycle``: set only to override the lifecycle computed from the release
  range (TCP 17000 stays served for old agents and follows the agents' gate).
- ``ports_setting``: the inventory variable that replaces ``ports`` (SQL
  instances and syslog settings are site-specific).

Supporting a future release is a data change: add rows with ``introduced`` /
``removed`` set to it, and ``RELEASES`` grows by one entry. Nothing else names a
release: the baseline of a migration is the release before its target, the
default target is the newest release, and texts are written from these values
(tests/unit/plugins/plugin_utils/test_release_as_data.py adds a release this way).

``INSTALLER_RULES`` are the inbound Windows Defender Firewall rules the SES
installer creates (the page's "Case of Windows Defender Firewall"); the Windows
renderer, the role's defaults (through the ``installer_rules`` lookup) and drift
read them from here, so a renamed or new installer rule is a change to this file.
"""

from __future__ import annotations

__metaclass__ = type

# The releases at which the table changes, oldest first. A migration targets one of
# them and starts from the one before it (2.7.1 starts from the "Port 2.6" column).
RELEASES = ("2.6", "2.7.1")
# Agents at this release or later talk HTTPS; older ones need TCP 17000.
AGENT_HTTPS_VERSION = "2.7.1"

# Components in the order reports list them.
COMPONENTS = ("backend", "agent_handler", "console", "agent", "sql_server", "syslog_server")
BACKOFFICE_COMPONENTS = ("backend", "agent_handler", "console")

# Ends that are never inventory hosts: the peers come from a variable.
# The variable on the host end gives the peers: unset means any, [] means no rule.
EXTERNAL_ENDS = {
    "update_server": "ses_update_server",
    "public_api_clients": "ses_public_api_clients",
}

# Components that may also live outside the inventory. Their addresses come from a
# variable on the host at the other end of the flow; "when_unknown" says what the
# flow allows when neither the group nor that variable names one.
OUTSIDE_INVENTORY = {
    "sql_server": {"variable": "ses_sql_server_addresses", "label": "sql_servers_outside_inventory",
                   "when_unknown": "any"},
    "syslog_server": {"variable": "ses_syslog_server_addresses", "label": "syslog_servers_outside_inventory",
                      "when_unknown": "none"},
    "agent": {"variable": "ses_agent_networks", "label": "agents", "when_unknown": "any"},
}

FLOWS = (
    # Backend incoming: console -> backend.
    {"id": "console_to_backend", "source": "console", "destination": "backend",
     "protocol": "tcp", "ports": [443], "topology": "separate",
     "purpose": "Communication of the administration console with the backend"},
    {"id": "console_to_backend", "source": "console", "destination": "backend",
     "protocol": "tcp", "ports": [443], "topology": "co_located", "removed": "2.7.1",
     "purpose": "Communication of the administration console with the backend"},
    {"id": "console_to_backend", "source": "console", "destination": "backend",
     "protocol": "tcp", "ports": [8443], "topology": "co_located", "introduced": "2.7.1",
     "purpose": "Communication of the administration console with the backend"},
    # Backend incoming: agent handler -> backend.
    {"id": "agent_handler_to_backend", "source": "agent_handler", "destination": "backend",
     "protocol": "tcp", "ports": [443], "topology": "separate",
     "purpose": "Communication of the agent handler with the backend"},
    {"id": "agent_handler_to_backend", "source": "agent_handler", "destination": "backend",
     "protocol": "tcp", "ports": [443], "topology": "co_located", "removed": "2.7.1",
     "purpose": "Communication of the agent handler with the backend"},
    {"id": "agent_handler_to_backend", "source": "agent_handler", "destination": "backend",
     "protocol": "tcp", "ports": [8443], "topology": "co_located", "introduced": "2.7.1",
     "purpose": "Communication of the agent handler with the backend"},
    # Backend incoming: public API (SIEM/SOAR).
    {"id": "public_api_to_backend", "source": "public_api_clients", "destination": "backend",
     "protocol": "tcp", "ports": [10443],
     "purpose": "Public API (SIEM/SOAR clients)"},
    # Backend outgoing.
    {"id": "backend_to_update_server", "source": "backend", "destination": "update_server",
     "protocol": "tcp", "ports": [443],
     "purpose": "Access to the Stormshield public policy update server"},
    {"id": "backend_to_sql_server", "source": "backend", "destination": "sql_server",
     "protocol": "tcp", "ports": [1433, 1434], "ports_setting": "ses_sql_ports",
     "purpose": "Communication with the SQL Server database"},
    {"id": "backend_to_sql_server", "source": "backend", "destination": "sql_server",
     "protocol": "udp", "ports": [1434], "ports_setting": "ses_sql_ports",
     "purpose": "Communication with the SQL Server database"},
    # Agent handler outgoing to syslog servers (per agent handler group settings).
    {"id": "agent_handler_to_syslog", "source": "agent_handler", "destination": "syslog_server",
     "protocol": "tcp", "ports": [1468, 5614], "ports_setting": "ses_syslog_ports",
     "purpose": "Communication with the Syslog server"},
    {"id": "agent_handler_to_syslog", "source": "agent_handler", "destination": "syslog_server",
     "protocol": "udp", "ports": [514], "ports_setting": "ses_syslog_ports",
     "purpose": "Communication with the Syslog server"},
    # Agents -> agent handler.
    {"id": "agent_to_agent_handler", "source": "agent", "destination": "agent_handler",
     "protocol": "tcp", "ports": [17000], "lifecycle": "legacy_agent",
     "purpose": "Communication with agents older than 2.7.1 over MSRPC"},
    {"id": "agent_to_agent_handler", "source": "agent", "destination": "agent_handler",
     "protocol": "tcp", "ports": [443], "introduced": "2.7.1",
     "purpose": "Communication with agents 2.7.1 or later over HTTPS"},
)

# Inbound rules the SES installer creates on Windows ("Case of Windows Defender Firewall"),
# with the flows of FLOWS each one serves. The page prints some names without a space
# ("EvolutionBackend"), perhaps a typesetting artefact: names are matched with whitespace
# and case ignored, so both spellings match. Two of them then read alike (agent handler
# on 17000 and on 443): a rule is identified by its name, its protocol and its port, and
# stands in for the matrix rules of its flows on that port.
INSTALLER_RULES = (
    {"name": "Stormshield Endpoint Security Evolution Agent Handler (TCP-In)",
     "flows": ["agent_to_agent_handler"]},
    {"name": "Stormshield Endpoint Security EvolutionAgent Handler (TCP-In)",
     "flows": ["agent_to_agent_handler"]},
    {"name": "Stormshield Endpoint Security EvolutionBackend (TCP-In)",
     "flows": ["console_to_backend", "agent_handler_to_backend"]},
    {"name": "Stormshield Endpoint Security EvolutionPublic API (TCP-In)",
     "flows": ["public_api_to_backend"]},
)
