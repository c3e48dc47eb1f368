# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fleet-wide settings: one value for the whole fleet, from one source.

The target version, the group names, the phase and the agents' gate settings
describe the fleet, not a host. They are read from the command line (-e), the
``all`` group or the controller (``localhost``), never from whichever host a play
happens to run its first task on: a host-level value that differs is refused,
naming the host.
"""

from __future__ import annotations

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.values import to_bool

__metaclass__ = type

FLEET_VARIABLES = (
    "ses_target_version", "ses_groups", "ses_unrelated_groups", "ses_phase",
    "ses_cleanup_confirm", "ses_cleanup_agents", "ses_agent_export_csv", "ses_agent_export_name_column",
    "ses_agent_export_version_column", "ses_agent_export_min_agents", "ses_cleanup_accept_command_line_version",
    "ses_allow_any_network", "ses_audit_mode", "ses_report_mode",
)
# How many hosts one problem names.
LISTED_HOSTS = 10
UNSET = object()


def _shown(value):
    return "unset" if value is UNSET else repr(value)


def setting_conflicts(fleet_values, host_values):
    """Problems for host-level values that differ from the fleet's.

    ``fleet_values``: {variable: value} as the controller sees them (command line, group
    all, localhost's own variables); a variable it lacks is unset. ``host_values``:
    {host: {variable: value}} for the variables each host defines.
    """
    problems = []
    for variable in FLEET_VARIABLES:
        fleet = fleet_values.get(variable, UNSET)
        differing = sorted(host for host, values in host_values.items()
                           if variable in values and values[variable] != fleet)
        if not differing:
            continue
        first = differing[0]
        others = differing[1:]
        more = ""
        if others:
            more = " (and %d more host(s): %s%s)" % (len(others), ", ".join(others[:LISTED_HOSTS]),
                                                     ", ..." if len(others) > LISTED_HOSTS else "")
        problems.append(
            "%s is a fleet-wide setting, but host '%s' sets it to %r%s while the fleet's value is %s; set it once for "
            "the whole fleet (group_vars/all, -e on the command line, or host_vars/localhost) and remove it from "
            "host_vars and the other groups' group_vars" % (variable, first, host_values[first][variable], more,
                                                            _shown(fleet)))
    return problems


def phase_conflict(playbook_phase, command_line):
    """The problem when ``-e ses_phase`` contradicts the phase a playbook applies, or None."""
    if playbook_phase is None or "ses_phase" not in command_line:
        return None
    value = command_line["ses_phase"]
    if str(value).strip().lower() == playbook_phase:
        return None
    other = "cleanup" if playbook_phase == "migrate" else "migrate"
    return ("-e ses_phase=%s contradicts this playbook's phase, %s (ses_evolution.firewall.%s applies %s rules "
            "whatever ses_phase says); remove -e ses_phase, or run ses_evolution.firewall.%s for phase %s"
            % (value, playbook_phase, playbook_phase, playbook_phase, other, other))


# The cleanup playbook's switches: what each means, and its default.
CLEANUP_SWITCHES = (
    ("ses_cleanup_confirm", "confirm", "yes (remove) or no (dry run)", False),
    ("ses_cleanup_agents", "agents", "true (TCP 17000 too, when the agents' gate passes) or false", False),
    ("ses_cleanup_accept_command_line_version", "accept_command_line_version",
     "true (a -e ses_version counts as each host's) or false", False),
)


def cleanup_switches(fleet_values):
    """(switches, problems): the cleanup's switches converted as typed (-e gives strings), or the problems.

    One conversion for the whole playbook, so that no task reads "maybe" or "y" differently from another.
    """
    switches, problems = {}, []
    for variable, key, meaning, default in CLEANUP_SWITCHES:
        value = fleet_values.get(variable, default)
        found = []
        switches[key] = to_bool(value, variable, found)
        if found:
            problems.append("%s must be %s, got %r. Nothing was changed." % (variable, meaning, value))
    value = fleet_values.get("ses_agent_export_min_agents", 0)
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit() or not text.isascii():
        problems.append("ses_agent_export_min_agents must be a whole number (the least agents the export lists), "
                        "got %r. Nothing was changed." % (value,))
    else:
        switches["minimum_agents"] = int(text)
    return switches, problems
