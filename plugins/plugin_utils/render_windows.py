# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows Defender Firewall: matrix rules as community.windows.win_firewall_rule parameters, and the plan.

``render_rules`` turns a host's matrix rules into one parameter dict per rule,
every option passed explicitly (the module compares only the options it is
given, so an option left out is an option nobody checks).

``plan`` compares those with what the host holds (read in one round trip by
the role's read_state.ps1, as raw INetFwRule properties) and decides, before
anything is touched: which rules to create or update, which installer rules to
adopt or leave, which managed rules to remove, and what makes the run unsafe.
"""

from __future__ import annotations

import ipaddress

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.addresses import collapse
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.catalog import (
    INSTALLER_RULES, LIFECYCLE_TEXT, VENDOR)
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import SesInputError
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.versions import parse_version
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.windows_versions import detect

__metaclass__ = type

RULE_PREFIX = "SES Evolution - "
RULE_GROUP = "SES Evolution (managed)"
PROFILES = ("domain", "private", "public")
INSTALLER_MODES = ("adopt", "leave")
# An installer rule whose port the matrix no longer needs: disabled (never deleted,
# so that an SES repair can bring it back), or kept as the installer left it.
RETIRED_MODES = ("disable", "keep")
# The installer's rules are the catalog's (ses_catalog.INSTALLER_RULES); INSTALLER_RULES and
# INSTALLER_RULE_NAMES stay importable from this module for the Windows code that reads them here.
INSTALLER_RULE_NAMES = VENDOR.installer_rule_names


# INetFwRule enumerations (NET_FW_RULE_DIRECTION, NET_FW_IP_PROTOCOL).
_DIRECTIONS = {1: "in", 2: "out"}
_PROTOCOLS = {6: "tcp", 17: "udp", 256: "any"}


def squash(name):
    """A rule name compared the way people read it: whitespace and case ignored."""
    return "".join(str(name).split()).casefold()


def rule_name(matrix_rule, prefix=RULE_PREFIX):
    return prefix + matrix_rule["name"]


def remote_scope(peers, name=None):
    """The ``remoteip`` value: the collapsed CIDRs joined by commas, or "any" for ["any"] alone.

    An empty or missing peer list is refused, as the Linux role refuses it: Windows would read
    an empty remote address list as any address.
    """
    if peers == ["any"]:
        return "any"
    if not peers or "any" in peers:
        raise SesInputError(["rule %r has the peers %r: give the rule its peer CIDRs, or [\"any\"] alone to allow "
                             "every address (an empty list would open it to any address on Windows)"
                             % (name, peers)])
    return ",".join(peers)


def description(matrix_rule):
    return ("%s. Lifecycle: %s. Flow %s (%s %s). Managed by ses_evolution.firewall; do not edit by hand."
            % (matrix_rule["purpose"], LIFECYCLE_TEXT.get(matrix_rule["lifecycle"], matrix_rule["lifecycle"]),
               matrix_rule["flow"], "from" if matrix_rule["direction"] == "in" else "to",
               matrix_rule["peer_component"]))


def check_profiles(profiles):
    if isinstance(profiles, str):
        profiles = [item.strip() for item in profiles.split(",")]
    if not isinstance(profiles, (list, tuple)) or not profiles:
        raise SesInputError(["windows_firewall_profiles must be a non-empty list of %s, got %r"
                             % (", ".join(PROFILES), profiles)])
    bad = [item for item in profiles if item not in PROFILES]
    if bad:
        raise SesInputError(["windows_firewall_profiles holds %s; allowed values are %s"
                             % (", ".join(repr(item) for item in bad), ", ".join(PROFILES))])
    return [item for item in PROFILES if item in profiles]


def render_rule(matrix_rule, profiles=PROFILES, prefix=RULE_PREFIX, group=RULE_GROUP):
    """One win_firewall_rule parameter dict, every comparable option set."""
    port = str(int(matrix_rule["port"]))
    inbound = matrix_rule["direction"] == "in"
    if matrix_rule["direction"] not in ("in", "out") or matrix_rule["protocol"] not in ("tcp", "udp"):
        raise SesInputError(["rule %r: direction must be in/out and protocol tcp/udp, got %r/%r"
                             % (matrix_rule.get("name"), matrix_rule["direction"], matrix_rule["protocol"])])
    remote = remote_scope(matrix_rule.get("peers"), matrix_rule.get("name"))
    return {
        "name": rule_name(matrix_rule, prefix),
        "group": group,
        "description": description(matrix_rule),
        "direction": matrix_rule["direction"],
        "action": "allow",
        "protocol": matrix_rule["protocol"],
        "localport": port if inbound else "any",
        "remoteport": "any" if inbound else port,
        "localip": "any",
        "remoteip": remote,
        "program": "any",
        "service": "any",
        "profiles": list(profiles),
        "enabled": True,
        "state": "present",
    }


def render_rules(matrix_rules, profiles=PROFILES, filter_outbound=True, prefix=RULE_PREFIX, group=RULE_GROUP):
    """win_firewall_rule parameters for a host's matrix rules; outbound ones only when outbound is filtered."""
    profiles = check_profiles(profiles)
    return [render_rule(rule, profiles, prefix, group) for rule in matrix_rules
            if filter_outbound or rule["direction"] == "in"]


# --- what the host holds --------------------------------------------------------------------

def outbound_filtered(profiles_state, profiles=PROFILES):
    """True when an enabled profile among ``profiles`` blocks outbound traffic by default.

    ``profiles_state`` is Get-NetFirewallProfile -PolicyStore ActiveStore as
    [{Name, Enabled, DefaultOutboundAction}] (the effective values, GPO included).
    """
    wanted = set(check_profiles(profiles))
    for profile in profiles_state or []:
        if str(profile.get("Name", "")).lower() not in wanted:
            continue
        if str(profile.get("Enabled", "True")).lower() in ("false", "0"):
            continue
        if str(profile.get("DefaultOutboundAction", "")).lower() == "block":
            return True
    return False


def local_rules_ignored(profiles_state, profiles=PROFILES):
    """Profiles among ``profiles``, enabled, whose effective policy does not apply local rules.

    Group Policy "Apply local firewall rules: No" (AllowLocalFirewallRules False in
    Get-NetFirewallProfile -PolicyStore ActiveStore): rules the role writes to the
    local store are kept but not enforced on that profile.
    """
    wanted = check_profiles(profiles)
    ignored = set()
    for profile in profiles_state or []:
        name = str(profile.get("Name", "")).lower()
        if name not in wanted or str(profile.get("Enabled", "True")).lower() in ("false", "0"):
            continue
        if str(profile.get("AllowLocalFirewallRules", "")).strip().lower() in ("false", "0"):
            ignored.add(name)
    return [name for name in wanted if name in ignored]


def detected_version(products):
    """The lowest SES Evolution backoffice version among uninstall entries, as text, or None.

    None too when an entry's version does not parse: ``windows_versions.detect`` says why.
    """
    return detect(products)["version"]


def _existing(raw):
    """A raw INetFwRule dict (read_state.ps1) in the terms of win_firewall_rule."""
    return {
        "name": str(raw.get("Name") or ""),
        "group": raw.get("Grouping") or "",
        "direction": _DIRECTIONS.get(int(raw.get("Direction") or 1), "in"),
        "protocol": _PROTOCOLS.get(int(raw.get("Protocol") or 256), str(raw.get("Protocol"))),
        "localport": str(raw.get("LocalPorts") or "*"),
        "remoteip": str(raw.get("RemoteAddresses") or "*"),
        "enabled": bool(raw.get("Enabled")),
    }


def _union_scope(peer_lists):
    """remoteip for one rule standing in for several: the collapsed union, or "any"."""
    networks = []
    for peers in peer_lists:
        if not peers or "any" in peers:
            return "any"
        networks.extend(ipaddress.ip_network(peer) for peer in peers)
    return remote_scope(collapse(networks))


def _installer_catalog(installer_rules):
    catalog = {}
    for entry in installer_rules:
        if isinstance(entry, str):
            entry = {"name": entry, "flows": None}
        if not isinstance(entry, dict) or not entry.get("name"):
            example = INSTALLER_RULES[0]
            raise SesInputError(["windows_firewall_installer_rule_catalog entries need a name and the flows the rule "
                                 "serves, e.g. {name: \"%s\", flows: [%s]}; got %r"
                                 % (example["name"], ", ".join(example["flows"]), entry)])
        catalog[squash(entry["name"])] = entry.get("flows")
    return catalog


def plan(matrix_rules, existing_rules, profiles=PROFILES, filter_outbound=True, installer_mode="adopt",
         installer_rules=INSTALLER_RULES, prefix=RULE_PREFIX, group=RULE_GROUP, retired_mode="disable"):
    """What to apply on one host. Nothing here touches the host; ``errors`` stop the role before any change.

    Returns {present: [params], absent: [names], adopted: [names], skipped: [{name, reason}],
    targeted: [params with protocol and localport: applied to the rules of that name, protocol and port
    only], targeted_counts: {name: rules with that name now}, retired: [{name, protocol, port}], left_open: [{name, protocol, port, scope, reason}],
    expected_counts: {name: rules with that name now}, warnings: [...], errors: [...]}.
    """
    if installer_mode not in INSTALLER_MODES:
        raise SesInputError(["windows_firewall_installer_rules is %r; use adopt or leave" % (installer_mode,)])
    if retired_mode not in RETIRED_MODES:
        raise SesInputError(["windows_firewall_installer_retired is %r; use disable (the default: the installer's "
                             "rule for a port the matrix no longer needs is disabled, never deleted) or keep"
                             % (retired_mode,)])
    profiles = check_profiles(profiles)
    kept = [rule for rule in matrix_rules if filter_outbound or rule["direction"] == "in"]
    skipped = [{"name": rule_name(rule, prefix), "reason": "outbound rule; outbound traffic is not filtered"}
               for rule in matrix_rules if rule not in kept]
    existing = [_existing(raw) for raw in existing_rules or []]
    by_name = {}
    for rule in existing:
        by_name.setdefault(rule["name"].casefold(), []).append(rule)
    errors, warnings = [], []

    def is_managed(rule):
        return rule["group"].casefold() == group.casefold() and rule["name"].casefold().startswith(prefix.casefold())

    # win_firewall_rule updates every rule with the task's name and removes by name:
    # with two rules under one managed name it cannot target the right one.
    for rules in by_name.values():
        if len(rules) > 1 and any(is_managed(rule) for rule in rules):
            errors.append("%d firewall rules are named %r; the collection manages rules by name and cannot tell "
                          "them apart. Delete the extra ones (Remove-NetFirewallRule -DisplayName '%s' removes all, "
                          "the next run recreates one)" % (len(rules), rules[0]["name"], rules[0]["name"]))
    for rule in kept:
        for found in by_name.get(rule_name(rule, prefix).casefold(), []):
            if not is_managed(found):
                errors.append("the firewall rule %r is not in the group %r, so the collection did not create it "
                              "and will not take it over; rename or delete it" % (found["name"], group))

    # Each installer rule stands in for the matrix rules of its flows on its own protocol and port.
    catalog = _installer_catalog(installer_rules)
    covered, actions, retired, left_open = {}, [], [], []
    for found in existing:
        key = squash(found["name"])
        if key not in catalog or found["direction"] != "in" or is_managed(found):
            continue
        flows = catalog[key]
        served = [rule for rule in kept if rule["direction"] == "in" and rule["protocol"] == found["protocol"]
                  and str(rule["port"]) == found["localport"] and (flows is None or rule["flow"] in flows)]
        where = {"name": found["name"], "protocol": found["protocol"], "port": found["localport"]}
        if not served:
            if not found["enabled"]:
                continue  # closed already (by an earlier run or by hand)
            if retired_mode == "disable":
                # The port left the matrix (agents' gate, cleanup): close it as the vendor's
                # "delete the old rules" means, but only disable, so a repair can restore it.
                retired.append(where)
                actions.append({"name": found["name"], "protocol": found["protocol"], "localport": found["localport"],
                                "enabled": False, "state": "present"})
            else:
                left_open.append(dict(where, scope=found["remoteip"], reason="no rule of this host's matrix needs "
                                      "this port (windows_firewall_installer_retired: keep)"))
                warnings.append("installer rule %r (%s %s, scope %s) matches no rule of this host's matrix and stays "
                                "open (windows_firewall_installer_retired: keep)"
                                % (found["name"], found["protocol"].upper(), found["localport"], found["remoteip"]))
            continue
        scope = _union_scope([rule["peers"] for rule in served])
        if installer_mode == "leave":
            if not found["enabled"]:
                continue  # a disabled rule opens nothing: the collection's rules are made
            for rule in served:
                covered.setdefault(rule["name"], found["name"])
            if found["remoteip"] in ("*", "any") and scope != "any":
                left_open.append(dict(where, scope=found["remoteip"], reason="windows_firewall_installer_rules: "
                                      "leave; the matrix would allow only %s" % scope))
                warnings.append("installer rule %r opens %s %s to any address (windows_firewall_installer_rules: "
                                "leave); the matrix would allow only %s"
                                % (found["name"], found["protocol"].upper(), found["localport"], scope))
            continue
        for rule in served:
            covered.setdefault(rule["name"], found["name"])
        actions.append({"name": found["name"], "protocol": found["protocol"], "localport": found["localport"],
                        "direction": "in", "action": "allow", "remoteip": scope, "profiles": profiles,
                        "enabled": True, "state": "present"})

    # win_firewall_rule works by name and gives every rule of a name the same options. An
    # installer name whose rules all get the same adoption goes through it (protocol and port
    # left out: they already match); otherwise (same-name rules on different ports needing
    # different settings, or a retirement) each rule is changed on its own, by name, protocol
    # and port, by the role's reconcile.ps1.
    unique_adopted, targeted = [], []
    for key in dict.fromkeys(params["name"].casefold() for params in actions):
        same = [params for params in actions if params["name"].casefold() == key]
        bare = [{k: v for k, v in params.items() if k not in ("protocol", "localport")} for params in same]
        if (len(by_name[key]) == len(same) and all(params == bare[0] for params in bare)
                and bare[0]["enabled"] is True):
            unique_adopted.append(bare[0])
        else:
            targeted.extend(same)
    adopted_names = [params["name"] for params in unique_adopted] + list(dict.fromkeys(
        params["name"] for params in targeted if params["enabled"] is True))

    present = []
    for rule in kept:
        if rule["name"] in covered:
            skipped.append({"name": rule_name(rule, prefix), "reason": "served by the installer rule %r (%s)"
                            % (covered[rule["name"]], "adopted" if installer_mode == "adopt" else "left as is")})
        else:
            present.append(render_rule(rule, profiles, prefix, group))

    wanted = {params["name"].casefold() for params in present}
    absent = sorted({rule["name"] for rule in existing if is_managed(rule) and rule["name"].casefold() not in wanted},
                    key=str.casefold)
    names = [params["name"] for params in present + unique_adopted + targeted] + absent
    return {
        "present": present + unique_adopted,
        "absent": absent,
        "adopted": adopted_names,
        "skipped": skipped,
        "targeted": targeted,
        "targeted_counts": {params["name"]: len(by_name[params["name"].casefold()]) for params in targeted},
        "retired": retired,
        "left_open": left_open,
        "expected_counts": {name: len(by_name.get(name.casefold(), [])) for name in names},
        "warnings": warnings,
        "errors": errors,
    }


def host_state(read_result, profiles=PROFILES, filter_outbound="auto", inventory_version=None, target_version=None,
               versions=None):
    """Facts from read_state.ps1 (and read_versions.ps1 as ``versions``): outbound decision and SES version.

    ``migrated`` tells whether the host runs ``target_version`` (empty: the catalog's newest release) or later.
    A registry version that does not parse leaves the version unknown (``version_error``
    says why), never replaced by the inventory's.
    """
    read_result = read_result or {}
    products = (versions or {}).get("products") if versions is not None else read_result.get("products")
    detection = detect(products)
    detected = detection["version"]
    if filter_outbound in ("auto", None):
        outbound = outbound_filtered(read_result.get("profiles"), profiles)
        outbound_source = "detected"
    else:
        outbound = _as_bool(filter_outbound)
        outbound_source = "setting"
    if detection["error"]:
        version, version_source = None, "registry"
    elif detected is not None:
        version, version_source = detected, "registry"
    elif parse_version(inventory_version) is not None:
        version, version_source = str(inventory_version), "inventory"
    else:
        version, version_source = None, "unknown"
    state = {"filter_outbound": outbound, "filter_outbound_source": outbound_source,
             "local_rules_ignored": local_rules_ignored(read_result.get("profiles"), profiles),
             "detected_version": detected, "version": version, "version_source": version_source,
             "version_error": detection["error"], "version_notes": detection["notes"]}
    state["migrated"] = is_migrated(version, target_version or VENDOR.default_target)
    return state


def _as_bool(value):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0"):
        return False
    raise SesInputError(["windows_firewall_filter_outbound is %r; use auto, true or false" % (value,)])


def is_migrated(version, target_version):
    """A host counts as migrated only when its version is known and at least the target."""
    parsed, target = parse_version(version), parse_version(target_version)
    return parsed is not None and target is not None and parsed >= target
