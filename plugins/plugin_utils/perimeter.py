# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The port matrix as an aerleon policy for a perimeter firewall between network zones.

The user declares zones (``ses_perimeter_zones``: name -> CIDRs) and devices
(``ses_perimeter_devices``: name -> the zones it joins). A matrix flow crosses a
device when part of its source lies in one of the device's zones and part of its
destination in another: the term carries exactly those parts, in that direction.
Device syntax is aerleon's business: this module only writes its policy format
(filters, terms, named networks and services) and, when aerleon is installed,
calls its Generate API. Only the documented fields of the matrix are read.
"""

from __future__ import annotations

import copy
import hashlib
import ipaddress
import re

import yaml

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.addresses import collapse_networks, parse_networks
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import ProblemCollector, SesInputError

__metaclass__ = type

ZONES_VARIABLE = "ses_perimeter_zones"
DEVICES_VARIABLE = "ses_perimeter_devices"
TARGETS_VARIABLE = "ses_perimeter_targets"

# Zone and device names end up in device configurations (zone, interface and ACL names):
# lower-case letters, digits and "_" only, short enough for every target's name limits.
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,19}$")
_TOKEN_UNSAFE = re.compile(r"[^A-Za-z0-9]+")
_COMMENT_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

# aerleon target -> (layout, header options). "pair": one filter per (from zone, to zone),
# as zone-based firewalls and interface ACLs want; "single": one filter for the whole
# forward path (nftables: two base chains on one hook would each need to accept).
TARGETS = {
    "arista": ("pair", "{acl} mixed"),
    "cisco": ("pair", "{acl} mixed"),
    "ciscoasa": ("pair", "{acl}"),
    "cisconx": ("pair", "{acl} mixed"),
    "ciscoxr": ("pair", "{acl} mixed"),
    "fortigate": ("pair", "from-zone {source} to-zone {destination}"),
    "juniper": ("pair", "{acl} mixed"),
    "nftables": ("single", "mixed forward"),
    "paloalto": ("pair", "from-zone {source} to-zone {destination}"),
    "srx": ("pair", "from-zone {source} to-zone {destination}"),
}
# Capirca's module names, which users often know: the error points to aerleon's name.
_ALIASES = {"paloaltofw": "paloalto", "junipersrx": "srx", "nft": "nftables", "asa": "ciscoasa"}
# Vendor-table lifecycles that the cleanup phase removes.
_REMOVED_BY_CLEANUP = ("legacy",)


# nftables refuses comments longer than this; the other targets cut or accept them.
COMMENT_LIMIT = 128


def _short(text):
    return text if len(text) <= COMMENT_LIMIT else text[:COMMENT_LIMIT - 3] + "..."


def _name_problem(value, variable, what):
    if not isinstance(value, str) or not _NAME.match(value):
        return ("%s: the %s name %r is not allowed; use 1 to 20 lower-case letters, digits or '_', starting with a "
                "letter (it becomes a zone, interface or ACL name on the device), such as users or servers"
                % (variable, what, value))
    return None


def parse_zones(value):
    """``ses_perimeter_zones`` as {zone: [ip_network]}; zones must not overlap (the direction would be ambiguous)."""
    problems = ProblemCollector()
    if not isinstance(value, dict) or not value:
        raise SesInputError(["%s must be a mapping of zone names to CIDR lists, such as {users: [10.20.0.0/16], "
                             "servers: [10.10.0.0/24]}; got %r" % (ZONES_VARIABLE, value)])
    zones = {}
    for name, cidrs in value.items():
        problem = _name_problem(name, ZONES_VARIABLE, "zone")
        if problem:
            problems.add(problem)
            continue
        where = "%s.%s" % (ZONES_VARIABLE, name)
        if not isinstance(cidrs, (list, tuple)) or not cidrs:
            problems.add("%s must be a non-empty list of CIDRs such as [\"10.20.0.0/16\"], got %r" % (where, cidrs))
            continue
        networks = parse_networks(list(cidrs), where, "the zone", problems)
        if networks is None:
            problems.add("%s holds 'any': a zone is a list of the networks behind one side of the device; "
                         "list them as CIDRs" % where)
            continue
        zones[name] = collapse_networks(networks)
    names = sorted(zones)
    for index, first in enumerate(names):
        for second in names[index + 1:]:
            shared = [(a, b) for a in zones[first] for b in zones[second] if a.version == b.version and a.overlaps(b)]
            if shared:
                overlap = (ZONES_VARIABLE, first, second, shared[0][0], shared[0][1])
                problems.add("%s: zones %s and %s overlap (%s and %s): a network lies on one side of the device "
                             "only; remove it from one of them" % overlap)
    problems.raise_if_any()
    return zones


def parse_devices(value, zones):
    """``ses_perimeter_devices`` as {device: (zone, ...)}: each joins two or more declared zones."""
    problems = ProblemCollector()
    if not isinstance(value, dict) or not value:
        raise SesInputError(["%s must be a mapping of device names to the zones they join, such as "
                             "{edge_fw: [users, servers]}; got %r" % (DEVICES_VARIABLE, value)])
    devices = {}
    for name, joined in value.items():
        problem = _name_problem(name, DEVICES_VARIABLE, "device")
        if problem:
            problems.add(problem)
            continue
        where = "%s.%s" % (DEVICES_VARIABLE, name)
        if (not isinstance(joined, (list, tuple)) or not all(isinstance(zone, str) for zone in joined)
                or len(set(joined)) < 2):
            problems.add("%s must list at least two different zones of %s, such as [users, servers]; got %r"
                         % (where, ZONES_VARIABLE, joined))
            continue
        unknown = [zone for zone in joined if zone not in zones]
        if unknown:
            problems.add("%s names %s, not declared in %s (declared: %s)" % (
                where, ", ".join(repr(zone) for zone in unknown), ZONES_VARIABLE, ", ".join(sorted(zones)) or "none"))
            continue
        devices[name] = tuple(dict.fromkeys(joined))
    problems.raise_if_any()
    return devices


def parse_targets(value):
    """``ses_perimeter_targets`` as a list of aerleon target names (a comma-separated text is accepted, as -e gives)."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = [item.strip() for item in value.split(",") if item.strip()]
    if not isinstance(value, (list, tuple)):
        raise SesInputError(["%s must be a list of aerleon targets, such as [ciscoasa, paloalto]; got %r"
                             % (TARGETS_VARIABLE, value)])
    problems = ProblemCollector()
    targets = []
    for item in value:
        if item in TARGETS:
            if item not in targets:
                targets.append(item)
            continue
        hint = " (aerleon calls it %s)" % _ALIASES[item] if item in _ALIASES else ""
        problems.add("%s: unknown target %r%s; supported: %s" % (TARGETS_VARIABLE, item, hint, ", ".join(sorted(TARGETS))))
    problems.raise_if_any()
    return targets


def _networks(peers):
    """A flow end's peers as ip_networks; None means any address."""
    if peers == ["any"]:
        return None
    return [ipaddress.ip_network(peer) for peer in peers]


def _inside(networks, zone):
    """The part of ``networks`` (None: any) that lies in ``zone``, collapsed."""
    if networks is None:
        return list(zone)
    parts = []
    for network in networks:
        for block in zone:
            if network.version == block.version and network.overlaps(block):
                parts.append(network if network.subnet_of(block) else block)
    return collapse_networks(parts)


def _token(text):
    return _TOKEN_UNSAFE.sub("_", str(text)).strip("_").upper() or "X"


def _comment_name(text):
    """A host name or label as comment text: nothing a device's comment syntax could misread."""
    return _COMMENT_UNSAFE.sub("_", str(text))[:63]


def _end_name(component, end):
    """Network name of a flow end: its role, plus the host (or, for agents, whose agent handler) it is."""
    if component == "agent":
        return "SES_AGENTS"
    if _token(end) == _token(component) or end in ("agents", "public_api_clients", "update_server"):
        return "SES_" + _token(end)
    return "SES_%s_%s" % (_token(component), _token(end))


class _Names:
    """Network definitions: one name per role, host and zone; the same name never holds two address sets."""

    def __init__(self):
        self.networks = {}

    def network(self, base, addresses, fallback=None):
        values = [str(address) for address in addresses]
        name = base[:56]
        if fallback and name in self.networks and self.networks[name] != values:
            # Agent handlers whose agent networks differ: each one's agents get their own name.
            return self.network(fallback, addresses)
        if name in self.networks and self.networks[name] != values:
            name = "%s_%s" % (name, hashlib.sha256(" ".join(values).encode()).hexdigest()[:6].upper())
        self.networks[name] = values
        return name


def _term_name(flow, source_zone, destination_zone):
    digest = hashlib.sha256("|".join((flow["source"], flow["destination"], source_zone, destination_zone,
                                      flow["lifecycle"])).encode("utf-8")).hexdigest()[:6]
    return "%s_%s%d_%s" % (flow["flow"], flow["protocol"], flow["port"], digest)


def _crossings(flows, zones, joined, names):
    """One term per (flow, from zone, to zone) of the device: the parts of its ends in those zones."""
    terms = []
    for flow in flows:
        sources, destinations = _networks(flow["source_peers"]), _networks(flow["destination_peers"])
        for source_zone in joined:
            source_part = _inside(sources, zones[source_zone])
            if not source_part:
                continue
            for destination_zone in joined:
                destination_part = _inside(destinations, zones[destination_zone])
                if destination_zone == source_zone or not destination_part:
                    continue
                source_end = "agents of %s" % flow["destination"] if flow["source"] == "agents" else flow["source"]
                source_base = _end_name(flow["source_component"], flow["source"])
                fallback = ("SES_AGENTS_OF_%s_%s" % (_token(flow["destination"]), _token(source_zone))
                            if flow["source"] == "agents" else None)
                legacy = flow["lifecycle"] in _REMOVED_BY_CLEANUP
                comment = _short("%s%s: %s %s -> %s %s, %s %d. %s." % (
                    "LEGACY, cleanup removes it. " if legacy else "", flow["lifecycle"],
                    flow["source_component"], _comment_name(source_end), flow["destination_component"],
                    _comment_name(flow["destination"]), flow["protocol"].upper(), flow["port"], flow["purpose"]))
                terms.append({
                    "name": _term_name(flow, source_zone, destination_zone),
                    "comment": comment,
                    "source-address": names.network("%s_%s" % (source_base, _token(source_zone)), source_part,
                                                    fallback),
                    "destination-address": names.network("%s_%s" % (
                        _end_name(flow["destination_component"], flow["destination"]), _token(destination_zone)),
                        destination_part),
                    "destination-port": "SES_%s_%d" % (flow["protocol"].upper(), flow["port"]),
                    "protocol": flow["protocol"],
                    "action": "accept",
                    # Not part of aerleon's format: dropped from the policy, kept for the summary and tests.
                    "_zones": (source_zone, destination_zone),
                    "_lifecycle": flow["lifecycle"],
                    "_flow": flow,
                })
    return terms


def _header(target, source_zone, destination_zone, device):
    layout, options = TARGETS[target]
    del layout
    acl = "SES_%s_%s_TO_%s" % (_token(device), _token(source_zone), _token(destination_zone))
    return options.format(acl=acl, source=source_zone, destination=destination_zone)


def _policy(device, terms, targets, phase, target_version, dropped):
    """aerleon's policy document: pair filters for zone/ACL targets, one forward filter for the others."""
    public = [{key: value for key, value in term.items() if not key.startswith("_")} for term in terms]
    removed = " Legacy terms dropped: %s." % ", ".join(dropped) if dropped else ""
    filters = []
    pair_targets = [target for target in targets if TARGETS[target][0] == "pair"]
    pairs = list(dict.fromkeys(term["_zones"] for term in terms))
    for source_zone, destination_zone in pairs if pair_targets else ():
        filters.append({"header": {
            "comment": _short("SES %s %s, %s %s to %s.%s" % (
                target_version, phase, device, source_zone, destination_zone, removed)),
            "targets": {target: _header(target, source_zone, destination_zone, device) for target in pair_targets}},
            "terms": [copy.deepcopy(item) for item, term in zip(public, terms)
                      if term["_zones"] == (source_zone, destination_zone)]})
    single = [target for target in targets if TARGETS[target][0] == "single"]
    if single and terms:
        filters.append({"header": {
            "comment": _short("SES %s %s, %s.%s" % (target_version, phase, device, removed)),
            "targets": {target: _header(target, "", "", device) for target in single}},
            "terms": copy.deepcopy(public)})
    return {"filters": filters}


def build_export(matrix, zones, devices, targets):
    """Per device, the aerleon policy of the matrix's phase, plus the shared network and service definitions.

    ``matrix`` is the port_matrix output (its documented keys only); ``zones``, ``devices``
    and ``targets`` are the raw user values, validated here. ``targets`` empty means every
    supported target in the policy headers (the network team keeps the ones it uses).
    """
    zones = parse_zones(zones)
    devices = parse_devices(devices, zones)
    targets = parse_targets(targets) or sorted(TARGETS)
    names = _Names()
    result = {"phase": matrix["phase"], "target_version": matrix["target_version"], "devices": {}}
    for device, joined in devices.items():
        terms = _crossings(matrix["flows"], zones, joined, names)
        dropped = [term["name"] for term in _crossings(matrix.get("retired_flows") or [], zones, joined, _Names())
                   if term["_lifecycle"] in _REMOVED_BY_CLEANUP]
        result["devices"][device] = {
            "zones": list(joined),
            "policy": _policy(device, terms, targets, matrix["phase"], matrix["target_version"], dropped),
            "terms": [{"name": term["name"], "from_zone": term["_zones"][0], "to_zone": term["_zones"][1],
                       "lifecycle": term["_lifecycle"], "protocol": term["protocol"], "port": term["_flow"]["port"],
                       "source": names.networks[term["source-address"]],
                       "destination": names.networks[term["destination-address"]]} for term in terms],
            "dropped_terms": dropped,
        }
    used = {term["destination-port"]: term for device in result["devices"].values()
            for flt in device["policy"]["filters"] for term in flt["terms"]}
    result["networks"] = {"networks": {name: {"values": [{"address": address} for address in values]}
                                       for name, values in sorted(names.networks.items())}}
    result["services"] = {"services": {name: [{"port": int(name.rsplit("_", 1)[1]), "protocol": term["protocol"]}]
                                       for name, term in sorted(used.items())}}
    result["targets"] = targets
    return result


def summary_lines(export, directory, rendered):
    """What the playbook shows: per device, its terms by direction and lifecycle, and where the files are."""
    note = "" if rendered else " (policies only, not rendered)"
    lines = ["phase %s, target %s: files in %s%s" % (export["phase"], export["target_version"], directory, note)]
    for device, entry in export["devices"].items():
        counts = {}
        for term in entry["terms"]:
            key = "%s -> %s" % (term["from_zone"], term["to_zone"])
            counts.setdefault(key, {}).setdefault(term["lifecycle"], 0)
            counts[key][term["lifecycle"]] += 1
        parts = ["%s: %s" % (key, ", ".join("%d %s" % (number, lifecycle) for lifecycle, number in sorted(by.items())))
                 for key, by in counts.items()]
        lines.append("%s (%s): %d term(s)%s%s" % (
            device, " | ".join(entry["zones"]), len(entry["terms"]), "; " + "; ".join(parts) if parts else
            "; no SES flow crosses it", "; cleanup drops %s" % ", ".join(entry["dropped_terms"])
            if entry["dropped_terms"] else ""))
    return lines


def dump_yaml(document):
    """A policy or definitions document as YAML, in aerleon's file format."""
    return yaml.safe_dump(document, sort_keys=False, default_flow_style=False, width=1000)


def render(export, device, targets):
    """aerleon's output for one device and the listed targets: {file name: text}.

    Raises SesInputError when aerleon lacks a target or refuses the policy, naming
    the device and the target; ImportError when aerleon is not installed.
    """
    # Imported here: aerleon is an optional requirement, needed only to render.
    from aerleon import api  # pylint: disable=import-outside-toplevel
    from aerleon.lib import naming, plugin_supervisor  # pylint: disable=import-outside-toplevel

    plugin_supervisor.PluginSupervisor.Start()
    known = plugin_supervisor.PluginSupervisor.generators
    definitions = naming.Naming()
    definitions.ParseDefinitionsObject(export["networks"], "ses_networks")
    definitions.ParseDefinitionsObject(export["services"], "ses_services")
    policy = export["devices"][device]["policy"]
    outputs = {}
    for target in targets:
        if target not in known:
            missing = (device, target, ", ".join(sorted(known)), target, TARGETS_VARIABLE)
            raise SesInputError(["%s: the installed aerleon has no %r generator (it has %s); upgrade aerleon or "
                                 "remove %s from %s" % missing])
        filters = [{"header": dict(flt["header"], targets={target: flt["header"]["targets"][target]}),
                    "terms": flt["terms"]} for flt in policy["filters"] if target in flt["header"]["targets"]]
        if not filters:
            continue
        try:
            generated = api.Generate([{"filename": device, "filters": filters}], definitions)
        except Exception as exc:  # pylint: disable=broad-exception-caught  # aerleon raises many types
            raise SesInputError(["%s: aerleon refused the policy for target %s: %s" % (device, target, exc)])
        if not generated:
            raise SesInputError(["%s: aerleon rendered nothing for target %s (see its warnings above)"
                                 % (device, target)])
        outputs.update(generated)
    return outputs
