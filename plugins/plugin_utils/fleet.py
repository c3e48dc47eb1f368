# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory model: which host plays which SES component, at which address and version.

Everything the matrix needs is read and validated here, so that bad input is
reported (all of it, naming host and variable) before any rule is computed.
"""

from __future__ import annotations

import difflib

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import ses_catalog
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.addresses import (
    ALLOW_WORLD_VARIABLE, describe_zone, host_network, parse_host_address, parse_networks, parse_ports)
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.catalog import VENDOR
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import ProblemCollector
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.versions import (
    describe_bad_version, parse_version)

__metaclass__ = type

PHASES = ("migrate", "cleanup")

DEFAULT_GROUPS = {
    "backend": "ses_backends",
    "agent_handler": "ses_agent_handlers",
    "console": "ses_consoles",
    "agent": "ses_agents",
    "sql_server": "ses_sql_servers",
    "syslog_server": "ses_syslog_servers",
}

# Host variables the model reads, by component; agents need only the first three,
# which keeps the action plugin fast on fleets of 100,000 agents.
COMMON_VARIABLES = ("ses_address", "ansible_host", "ses_version")
COMPONENT_VARIABLES = {
    "backend": ("ses_sql_ports", "ses_sql_server_addresses", "ses_public_api_clients", "ses_update_server"),
    "agent_handler": ("ses_syslog_ports", "ses_syslog_server_addresses", "ses_agent_networks"),
    "sql_server": ("ses_sql_ports",),
}


class Host:
    """One inventory host taking part in SES flows."""

    __slots__ = ("name", "components", "address", "_network", "version", "version_text", "settings")

    def __init__(self, name, components, address, version, version_text):
        self.name = name
        self.components = components
        self.address = address
        self._network = None
        self.version = version
        self.version_text = version_text
        # Parsed component settings by variable, e.g. "ses_sql_ports" -> [("tcp", 1433)]: read them with setting().
        self.settings = {}

    def setting(self, variable, default=None):
        """The parsed value of the inventory variable ``variable`` (for example ses_agent_networks) on this host."""
        return self.settings.get(variable, default)

    def has_setting(self, variable):
        return variable in self.settings

    @property
    def network(self):
        """The address as a /32 or /128 network, made on first use: agents (100,000 of them) never need theirs."""
        if self._network is None:
            self._network = host_network(self.address)
        return self._network

    @property
    def co_located(self):
        """A backend sharing its machine with an agent handler (TCP 8443 from the release that moved it)."""
        return "backend" in self.components and "agent_handler" in self.components


class Fleet:
    """The validated inventory: hosts by component plus fleet-wide settings."""

    def __init__(self, hosts, members, phase, target_version_text, target_version, warnings=None, catalog=VENDOR):
        self.hosts = hosts
        self.catalog = catalog
        # Notes for the matrix's warnings (networks of every address accepted by ses_allow_any_network).
        self.warnings = list(warnings or [])
        self.members = members
        self.phase = phase
        self.target_version_text = target_version_text
        self.target_version = target_version

    def of(self, component):
        return [self.hosts[name] for name in self.members[component]]


def resolve_group_names(override, problems):
    names = dict(DEFAULT_GROUPS)
    if override in (None, {}):
        return names
    if not isinstance(override, dict):
        problems.add("ses_groups must be a mapping of component to group name, e.g. "
                     "{backend: my_backends}; got %r" % (override,))
        return names
    for component, group in override.items():
        if component not in DEFAULT_GROUPS:
            close = difflib.get_close_matches(str(component), DEFAULT_GROUPS, n=1)
            problems.add("ses_groups has the key %r, which is not a component; %suse one of %s"
                         % (component, "did you mean %r? " % close[0] if close else "",
                            ", ".join(sorted(DEFAULT_GROUPS))))
        elif not isinstance(group, str) or not group:
            problems.add("ses_groups.%s must be a group name, got %r" % (component, group))
        else:
            names[component] = group
    return names


def target_problem(text, target, catalog=VENDOR):
    """Why a parsed ses_target_version cannot be a target, or None.

    Only a release at which the port table changes, newer than the oldest one: a lower
    target computes a matrix without the new release's rules, which cleanup would then
    remove while its record says it removed nothing.
    """
    releases = catalog.target_releases()
    fix = "set ses_target_version: \"%s\" (group_vars/all or -e), the release the backoffice moves to" % releases[-1]
    if target < parse_version(releases[0]):  # 2.6.3 is a 2.6 release: the baseline, not a target
        return ("ses_target_version is %r, not newer than the %s baseline the migration starts from: its matrix "
                "would leave out the rules the backoffice needs from %s on; %s"
                % (text, catalog.releases[0], releases[0], fix))
    if target not in [parse_version(release) for release in releases]:
        return ("ses_target_version is %r, but the vendor's port table does not change at %s (it changes at %s); "
                "%s (hosts on a later release pass its gate too)"
                % (text, str(text).strip().lstrip("v"), ", ".join(releases), fix))
    return None


def _distance(left, right):
    """Edits (drop, add, change a letter, swap two neighbours) that turn one name into the other."""
    previous2, previous = None, list(range(len(right) + 1))
    for i, a in enumerate(left, 1):
        current = [i]
        for j, b in enumerate(right, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b))
            if i > 1 and j > 1 and a == right[j - 2] and left[i - 2] == b:
                cost = min(cost, previous2[j - 2] + 1)
            current.append(cost)
        previous2, previous = previous, current
    return previous[-1]


def near_miss(name, ses_group):
    """A group name one or two slips away from an SES group's (a singular, a letter, a dash, the case)."""
    if name == ses_group:
        return False
    left, right = name.lower().replace("-", "_"), ses_group.lower().replace("-", "_")
    return left == right or (abs(len(left) - len(right)) <= 2 and _distance(left, right) <= 2)


def check_groups(names, explicit, inventory, unrelated, problems):
    """Every group ses_groups names exists; no inventory group is a near miss of an SES group.

    ``inventory`` maps every group of the inventory to its hosts.
    """
    existing = set(inventory)
    missing = set()
    for component, group in sorted(explicit.items()):
        if group not in existing and component in names:
            missing.add(group)
            close = difflib.get_close_matches(group, sorted(existing), n=1)
            problems.add("ses_groups.%s names the group '%s', which is not in the inventory (no host can be in it); "
                         "%screate the group or set ses_groups.%s to the group that holds the %s hosts"
                         % (component, group, "did you mean %r? " % close[0] if close else "", component, component))
    if unrelated is None:
        unrelated = []
    elif isinstance(unrelated, str):
        unrelated = [unrelated]
    elif not isinstance(unrelated, (list, tuple)) or not all(isinstance(item, str) for item in unrelated):
        problems.add("ses_unrelated_groups must be a list of group names, e.g. ses_unrelated_groups: [ses_console]; "
                     "got %r" % (unrelated,))
        unrelated = []
    ses_groups = {group: component for component, group in names.items() if group not in missing}
    for group in sorted(existing - set(ses_groups) - set(unrelated) - {"all", "ungrouped"}):
        for ses_group, component in sorted(ses_groups.items()):
            if not near_miss(group, ses_group):
                continue
            # A child group inside the SES group (ses_agents_paris in ses_agents) loses no host.
            if set(inventory.get(group) or ()) <= set(inventory.get(ses_group) or ()) and ses_group in existing:
                continue
            problems.add("inventory group '%s' looks like the SES group '%s' (%s) but is not it, so its hosts are "
                         "left out of the matrix and of the gates; rename the group to '%s' (or set ses_groups.%s: "
                         "%s), or declare it unrelated with ses_unrelated_groups: [%s]"
                         % (group, ses_group, component, ses_group, component, group, group))
            break
    return missing


def as_bool(value, variable, problems):
    """A yes/no setting: a bool, or the text -e gives ("true", "yes", "1", ...)."""
    if isinstance(value, bool) or value is None:
        return bool(value)
    text = str(value).strip().lower()
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0", ""):
        return False
    problems.add("%s is %r; use true or false" % (variable, value))
    return False


def build_fleet(groups, hostvars, phase="migrate", target_version=None, group_names=None,
                inventory_groups=None, unrelated_groups=None, allow_any_network=False, catalog=VENDOR):
    """Validate the inventory and return a Fleet; raise SesInputError listing every problem.

    ``inventory_groups``: every group of the inventory with its hosts (default: ``groups``).
    ``unrelated_groups``: group names declared unrelated to SES (ses_unrelated_groups).
    """
    problems = ProblemCollector()
    if phase not in PHASES:
        problems.add("ses_phase is %r; use one of: %s" % (phase, ", ".join(PHASES)))
    if target_version is None:
        target_version = catalog.default_target
    target = parse_version(target_version)
    if target is None:
        problems.add(describe_bad_version(target_version, None, "ses_target_version"))
    else:
        problem = target_problem(target_version, target, catalog)
        if problem:
            problems.add(problem)
    allow_world = as_bool(allow_any_network, ALLOW_WORLD_VARIABLE, problems)
    names = resolve_group_names(group_names, problems)
    explicit = {component: group for component, group in names.items()
                if isinstance(group_names, dict) and group_names.get(component) == group}
    missing = check_groups(names, explicit, groups if inventory_groups is None else inventory_groups,
                           unrelated_groups, problems)

    members = {}
    for component in ses_catalog.COMPONENTS:
        listed = groups.get(names[component]) or []
        members[component] = sorted(set(listed))
    if not members["backend"] and names["backend"] not in missing:
        problems.add("group '%s' has no host: every SES fleet has at least one backend; add the backend "
                     "hosts to it, or set ses_groups.backend to the group that holds them"
                     % names["backend"])

    components_of = {}
    for component in ses_catalog.COMPONENTS:
        for name in members[component]:
            components_of.setdefault(name, []).append(component)

    hosts = {}
    owner_of_address = {}
    for name, components in components_of.items():
        host = _build_host(name, tuple(components), hostvars.get(name) or {}, names, problems, allow_world)
        if host is None:
            continue
        other = owner_of_address.setdefault(host.address, name)
        if other != name:
            problems.add("hosts '%s' and '%s' share the address %s: rules are scoped by address, so give "
                         "each host its own ses_address (or ansible_host)" % (other, name, host.address))
            continue
        hosts[name] = host

    problems.raise_if_any()
    warnings = ["host '%s': %s holds %s, every address, accepted because %s is true"
                % (name, key, network, ALLOW_WORLD_VARIABLE)
                for name, host in sorted(hosts.items()) for key, value in sorted(host.settings.items())
                if not key.endswith("_ports") and value
                for network in value if network.prefixlen == 0]
    return Fleet(hosts, members, phase, str(target_version), target, warnings, catalog)


def _build_host(name, components, variables, names, problems, allow_world=False):
    where = "host '%s'" % name
    if "agent" in components and len(components) > 1:
        others = [names[c] for c in components if c != "agent"]
        problems.add("%s is in '%s' and in %s: SES agents are not managed on backoffice or server hosts "
                     "by this collection; remove it from one of those groups"
                     % (where, names["agent"], ", ".join("'%s'" % g for g in others)))
        return None

    raw_address, source = _address_of(name, variables)
    address = parse_host_address(raw_address)
    if address is None:
        problems.add("%s: its address %r (from %s) is not an IPv4 or IPv6 address%s; set ses_address to the "
                     "host's IP address" % (where, raw_address, source, describe_zone(raw_address)))

    # A bad address does not stop the other checks: the user sees every problem in one run.
    version_value = variables.get("ses_version")
    version = None
    if version_value not in (None, ""):
        version = parse_version(version_value)
        if version is None:
            problems.add(describe_bad_version(version_value, where, "ses_version", variables.get("inventory_file")))
    settings = {}
    for component in components:
        for variable in COMPONENT_VARIABLES.get(component, ()):
            _parse_setting(settings, variable, variables.get(variable), where, problems, allow_world)
    if address is None:
        return None
    host = Host(name, components, address, version,
                None if version_value in (None, "") else str(version_value))
    host.settings = settings
    return host


def _address_of(name, variables):
    for variable in ("ses_address", "ansible_host"):
        value = variables.get(variable)
        if value not in (None, ""):
            return value, variable
    return name, "the inventory name"


def _parse_setting(settings, variable, value, where, problems, allow_world=False):
    key = variable
    if key in settings:
        return
    if variable.endswith("_ports"):
        # None keeps the port table's defaults for that flow.
        settings[key] = None if value is None else parse_ports(value, where, variable, problems)
    elif value is None and variable in ("ses_public_api_clients", "ses_update_server"):
        settings[key] = None  # the vendor default: any client / the internet
    else:
        settings[key] = parse_networks([] if value is None else value, where, variable, problems, allow_world)
