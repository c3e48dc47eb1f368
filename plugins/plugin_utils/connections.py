# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one decision of how Ansible reaches a host: local or over the network, Linux or Windows.

A firewall change on a host Ansible reaches over the network can cut that very
connection, so the safe answer to "is it remote?" is yes for every connection
plugin but the two spellings of ``local``: ``smart``, ``ssh``, ``paramiko``,
their FQCN forms and any plugin this collection does not know are remote.
"""

from __future__ import annotations

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import SesInputError
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.values import to_bool

__metaclass__ = type

LOCAL_CONNECTIONS = frozenset(("local", "ansible.builtin.local"))
WINDOWS_CONNECTIONS = frozenset(("winrm", "psrp", "ansible.builtin.winrm", "ansible.builtin.psrp"))
PLATFORMS = ("linux", "windows")
# What Ansible uses when ansible_connection is not set.
DEFAULT_CONNECTION = "ssh"


def connection_name(connection):
    """The connection plugin's name as Ansible would pick it (unset or empty: ssh)."""
    text = "" if connection is None else str(connection).strip()
    return text or DEFAULT_CONNECTION


def is_remote(connection):
    """Whether a packet filter on the host can cut the connection: every plugin but ``local``."""
    return connection_name(connection) not in LOCAL_CONNECTIONS


def platform(connection, override=None):
    """``windows`` for WinRM / PSRP connections, else ``linux``; ``override`` (ses_platform) wins.

    Raises ValueError naming ses_platform when the override is neither.
    """
    if override is not None and str(override).strip() != "":
        value = str(override).strip().lower()
        if value not in PLATFORMS:
            raise ValueError("ses_platform must be linux or windows, got %r" % (override,))
        return value
    return "windows" if connection_name(connection) in WINDOWS_CONNECTIONS else "linux"


def is_managed(name, variables):
    """``ses_firewall_managed`` as typed (default true); raises ValueError naming the host otherwise."""
    problems = []
    managed = to_bool(variables.get("ses_firewall_managed", True), "ses_firewall_managed", problems)
    if problems:
        raise ValueError("host '%s': %s" % (name, problems[0]))
    return managed


def host_profile(name, variables):
    """How a host is handled: {"platform", "remote", "managed"} from its variables.

    ``variables`` are the host's ``ansible_connection``, ``ses_platform`` and
    ``ses_firewall_managed`` (missing ones take their defaults). Raises
    ValueError naming the host and the variable when a value is not one of them.
    """
    managed = is_managed(name, variables)
    try:
        host_platform = platform(variables.get("ansible_connection"), variables.get("ses_platform"))
    except ValueError as exc:
        raise ValueError("host '%s': %s" % (name, exc))
    return {"platform": host_platform, "remote": is_remote(variables.get("ansible_connection")), "managed": managed}


# The variables host_profile reads; the port_matrix action reads them with the others, in one pass.
HANDLING_VARIABLES = ("ansible_connection", "ses_platform", "ses_firewall_managed")


def fleet_handling(names, variables):
    """{name: host_profile} for ``names``; raises SesInputError naming every host with a bad value."""
    handling, problems = {}, []
    for name in names:
        try:
            handling[name] = host_profile(name, variables.get(name) or {})
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        raise SesInputError(problems)
    return handling


def hosts_with_work(entries, handling, key="rules"):
    """The managed hosts whose matrix entry has something under ``key`` (rules, retired_rules), sorted.

    Only they enter the per-host plays: an inventory of thousands of unmanaged agents costs nothing there.
    """
    return sorted(name for name, entry in entries.items()
                  if entry.get(key) and handling.get(name, {}).get("managed", False))
