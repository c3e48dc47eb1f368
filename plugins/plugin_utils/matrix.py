# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The flow matrix: every flow of the port table between the fleet's ends, and each host's rules.

A flow resolves per destination: a console reaches a co-located backend on
TCP 8443 and a separate one on TCP 443, whatever machine the
console is on. Each flow yields an inbound rule on its destination host and an
outbound rule on its source host; ends outside the inventory are peer CIDRs.
"""

from __future__ import annotations

import gc

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import ses_catalog
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.addresses import address_text, collapse, collapse_networks
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.catalog import PHASE_LIFECYCLES, VENDOR
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.fleet import build_fleet
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.gate import gate_verdict

__metaclass__ = type


class End:
    """One end of a flow: an inventory host, or a labelled set of networks (None: any)."""

    __slots__ = ("name", "component", "host", "networks")

    def __init__(self, name, component, host=None, networks=None):
        self.name = name
        self.component = component
        self.host = host
        self.networks = [host.network] if host is not None else networks


def _merge(current, networks):
    """Union of two network lists where None means any."""
    if current is None or networks is None:
        return None
    current.extend(networks)
    return current


class _PendingRule:
    """A rule being collected: its row, its ends' components and the peers merged so far."""

    __slots__ = ("row", "component", "peer_component", "networks", "owns_networks")

    def __init__(self, row, component, peer_component, networks):
        self.row = row
        self.component = component
        self.peer_component = peer_component
        # The end's own list, shared until a second flow merges into it (copy on merge): rules and
        # flows of one end then collapse its networks once (the agents' end holds every agent).
        self.networks = networks
        self.owns_networks = False

    def merge(self, networks):
        if self.networks is not None and networks is not None and not self.owns_networks:
            self.networks = self.networks + networks
            self.owns_networks = True
        else:
            self.networks = _merge(self.networks, networks)


class _RuleSet:
    """Rules of one host (or of all agents, which share theirs), keyed so that peers merge."""

    def __init__(self):
        self.rules = {}

    def add(self, direction, row, protocol, port, component, peer_component, networks):
        key = (direction, row.id, protocol, port, row.lifecycle)
        rule = self.rules.get(key)
        if rule is None:
            self.rules[key] = _PendingRule(row, component, peer_component, networks)
        else:
            rule.merge(networks)

    def render(self, lifecycles, peers_of=collapse):
        kept, retired = [], []
        for (direction, flow_id, protocol, port, lifecycle), pending in self.rules.items():
            row, component, peer, networks = pending.row, pending.component, pending.peer_component, pending.networks
            rule = {
                "name": "%s_%s_%s%d_%s" % (direction, flow_id, protocol, port, lifecycle),
                "direction": direction, "protocol": protocol, "port": port,
                "peers": peers_of(networks),
                "purpose": row.purpose, "lifecycle": lifecycle, "flow": flow_id,
                "component": component, "peer_component": peer,
            }
            (kept if lifecycle in lifecycles else retired).append(rule)
        return sorted(kept, key=_rule_order), sorted(retired, key=_rule_order)


def _rule_order(rule):
    return (rule["direction"], rule["port"], rule["protocol"], rule["name"])


class MatrixBuilder:
    """Walks the resolved port table over the fleet, collecting flows and per-host rules."""

    def __init__(self, fleet):
        self.fleet = fleet
        self.flows = []
        self.warnings = list(fleet.warnings)
        self.rules = {}
        self.agent_rules = _RuleSet()
        agents = fleet.of("agent")
        self.agent_networks = collapse_networks([host.address for host in agents])
        self.agent_hosts = [host.name for host in agents]
        self.agent_ends = {}  # agent handler name -> networks of the agents' end facing it
        self.collapsed = {}  # id(network list) -> (the list, kept so the id stays unique; its CIDRs)

    def build(self):
        groups = {}
        for row in self.fleet.catalog.resolve_rows(self.fleet.target_version):
            groups.setdefault((row.id, row.topology, row.lifecycle), []).append(row)
        for rows in groups.values():
            for source, destination in self._ends(rows[0]):
                self._add_flow(rows, source, destination)
        return self

    def _ends(self, row):
        """(source End, destination End) pairs for one row of the table."""
        fleet = self.fleet
        if row.source in ses_catalog.EXTERNAL_ENDS:
            variable = ses_catalog.EXTERNAL_ENDS[row.source]
            for host in fleet.of(row.destination):
                networks = host.setting(variable)
                if networks != [] and self._topology_ok(row, None, host):
                    self._warn_any(networks, host, row, variable, "unset (or [\"any\"])",
                                   "set it to the CIDRs you mean, or [] for no rule")
                    yield End(row.source, row.source, networks=networks), End(host.name, row.destination, host)
        elif row.destination in ses_catalog.EXTERNAL_ENDS:
            variable = ses_catalog.EXTERNAL_ENDS[row.destination]
            for host in fleet.of(row.source):
                networks = host.setting(variable)
                if networks != [] and self._topology_ok(row, host, None):
                    self._warn_any(networks, host, row, variable, "unset (or [\"any\"])",
                                   "set it to the CIDRs you mean, or [] for no rule")
                    yield End(host.name, row.source, host), End(row.destination, row.destination, networks=networks)
        elif row.source == "agent":
            # Agents are many: one end for all of them, the agent hosts plus the
            # networks named on the agent handler they talk to.
            outside = ses_catalog.OUTSIDE_INVENTORY["agent"]
            for host in fleet.of(row.destination):
                if host.name not in self.agent_ends:
                    networks = _merge(list(self.agent_networks), host.setting(outside["variable"]))
                    self.agent_ends[host.name] = None if networks == [] else networks
                networks = self.agent_ends[host.name]
                self._warn_any(networks, host, row, outside["variable"],
                               "[\"any\"]" if host.setting(outside["variable"]) is None
                               else "empty and no ses_agents host is known",
                               "list the agents' networks in %s" % outside["variable"])
                yield End(outside["label"], "agent", networks=networks), End(host.name, row.destination, host)
        else:
            destinations = fleet.of(row.destination)
            for source in fleet.of(row.source):
                for destination in destinations:
                    if destination is not source and self._topology_ok(row, source, destination):
                        yield End(source.name, row.source, source), End(destination.name, row.destination, destination)
                outside = self._outside_inventory(row, source, destinations)
                if outside is not None:
                    yield End(source.name, row.source, source), outside

    def _warn_any(self, networks, host, row, variable, state, fix):
        """A run-time warning for a flow that allows any address: "any" is always a visible decision."""
        if networks is not None:
            return
        ports = "/".join("%s %s" % (row.protocol.upper(), port) for port in row.ports)
        warning = ("host '%s': %s is %s, so its %s rules (%s) allow any address; %s"
                   % (host.name, variable, state, row.id, ports, fix))
        if warning not in self.warnings:
            self.warnings.append(warning)

    def _outside_inventory(self, row, source, destinations):
        """The end for destinations named by a variable on the source (a SQL server outside the inventory)."""
        spec = ses_catalog.OUTSIDE_INVENTORY.get(row.destination)
        if spec is None:
            return None
        networks = source.setting(spec["variable"])
        if networks == [] and not destinations:
            if spec["when_unknown"] != "any":
                return None
            networks = None
            warning = ("host '%s': no %s known (group empty and %s unset), so its outbound %s rules allow any "
                       "destination; list the servers in the group or in %s"
                       % (source.name, row.destination, spec["variable"], row.id, spec["variable"]))
            if warning not in self.warnings:
                self.warnings.append(warning)
        elif networks == []:
            return None
        return End(spec["label"], row.destination, networks=networks)

    @staticmethod
    def _topology_ok(row, source, destination):
        """Co-located or separate is a property of the host at the row's *backend* end."""
        if row.topology == "any":
            return True
        backend = destination if row.destination == "backend" else source
        return row.applies_to_backend(backend.co_located)

    def _ports(self, rows, source, destination):
        """(row, protocol, port) triples; a site setting (SQL instance, syslog) replaces the table's ports."""
        setting = rows[0].ports_setting
        if setting:
            for end in (destination, source):
                if end.host is not None and end.host.has_setting(setting):
                    pairs = end.host.setting(setting)
                    if pairs is not None:
                        return [(rows[0], protocol, port) for protocol, port in pairs]
                    break
        return [(row, row.protocol, port) for row in rows for port in row.ports]

    def _rules_of(self, end):
        if end.host is None:
            return None
        return self.rules.setdefault(end.name, _RuleSet())

    def _add_flow(self, rows, source, destination):
        inbound = self._rules_of(destination)
        outbound = self._rules_of(source)
        for row, protocol, port in self._ports(rows, source, destination):
            self.flows.append((row, protocol, port, source, destination))
            if inbound is not None:
                inbound.add("in", row, protocol, port, destination.component, source.component, source.networks)
            if outbound is not None:
                outbound.add("out", row, protocol, port, source.component, destination.component,
                             destination.networks)
            elif source.component == "agent" and self.agent_hosts:
                self.agent_rules.add("out", row, protocol, port, "agent", destination.component,
                                     destination.networks)

    def result(self):
        fleet = self.fleet
        lifecycles = PHASE_LIFECYCLES[fleet.phase]
        gate = gate_verdict(fleet)
        hosts = {}
        for name, rule_set in sorted(self.rules.items()):
            hosts[name] = self._host_entry(fleet.hosts[name], *rule_set.render(lifecycles, self.peers_of))
        if self.agent_hosts:
            shared = self.agent_rules.render(lifecycles, self.peers_of)
            for name in self.agent_hosts:
                hosts[name] = self._host_entry(fleet.hosts[name], *shared)
        flows, retired_flows = [], []
        peers_of = self.peers_of
        for row, protocol, port, source, destination in self.flows:
            flow = {
                "flow": row.id, "source": source.name, "destination": destination.name,
                "source_component": source.component, "destination_component": destination.component,
                "protocol": protocol, "port": port, "lifecycle": row.lifecycle, "purpose": row.purpose,
                "source_peers": peers_of(source.networks),
                "destination_peers": peers_of(destination.networks),
            }
            (flows if row.lifecycle in lifecycles else retired_flows).append(flow)

        def order(f):
            return (f["source"], f["destination"], f["port"], f["protocol"], f["flow"], f["lifecycle"])

        preview = fleet.phase == "cleanup" and not gate["backoffice_ready"]
        return {
            "phase": fleet.phase,
            "target_version": fleet.target_version_text,
            "baseline_version": fleet.catalog.baseline_for(fleet.target_version),
            "agent_https_version": fleet.catalog.agent_https_version,
            "preview": preview,
            "gate": gate,
            "hosts": hosts,
            "flows": sorted(flows, key=order),
            "retired_flows": sorted(retired_flows, key=order),
            "warnings": self.warnings,
        }

    def peers_of(self, networks):
        """collapse(networks), once per list: an end's list is shared by its flows and rules."""
        key = id(networks)
        if key not in self.collapsed:
            self.collapsed[key] = (networks, collapse(networks))
        return list(self.collapsed[key][1])

    @staticmethod
    def _host_entry(host, rules, retired):
        return {
            "components": list(host.components),
            "address": address_text(host.address),
            "version": host.version_text,
            "co_located": host.co_located,
            "rules": rules,
            "retired_rules": retired,
        }


def compute_matrix(groups, hostvars, phase="migrate", target_version=None,
                   group_names=None, inventory_groups=None, unrelated_groups=None, allow_any_network=False,
                   catalog=VENDOR):
    """The fleet matrix for ``phase``. Raises SesInputError (every problem, named) on bad input.

    ``groups`` maps group names to host names (Ansible's ``groups``); ``hostvars``
    maps host names to their variables (only the ses_* ones and ansible_host are read);
    ``inventory_groups`` maps every group of the inventory to its hosts (default: ``groups``),
    ``unrelated_groups`` the groups declared unrelated to SES (ses_unrelated_groups),
    ``allow_any_network`` accepts 0.0.0.0/0 and ::/0 in CIDR lists (ses_allow_any_network),
    ``target_version`` defaults to the catalog's newest release, ``catalog`` to the vendor's table.
    """
    # A fleet of 100,000 agents allocates millions of objects that all stay alive: the cyclic
    # garbage collector would rescan them over and over (a third of the time) and find nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        fleet = build_fleet(groups, hostvars, phase, target_version, group_names, inventory_groups,
                            unrelated_groups, allow_any_network, catalog)
        return MatrixBuilder(fleet).build().result()
    finally:
        if collecting:
            gc.enable()
