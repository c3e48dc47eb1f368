# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A simulated Windows Defender Firewall for tests: one JSON store per host, INetFwRule semantics.

Test-only. It models what community.windows.win_firewall_rule (3.1.0) does
through the HNetCfg.FwPolicy2 COM object, line by line of its PowerShell:

- a new HNetCfg.FWRule starts with Direction 1 (in), Action 1 (allow),
  Protocol 256 (any), Profiles 0x7FFFFFFF (all), addresses "*", Enabled False;
  ports exist only once Protocol is TCP or UDP (then "*"), and setting ports on
  any other protocol fails as COM does;
- addresses are stored normalised (IPv4 as address/mask, as INetFwRule reports
  them; IPv6 compressed, with its prefix, "/128" included, when one was given;
  host bits under a mask kept, as Windows accepts them), so the module's
  comparison sees what it sees on Windows;
- rules are found by name with PowerShell's -eq (case-insensitive); every rule
  with that name is compared and updated; removal is by name;
- only the options a task passes are compared ($null means "not passed");
  string comparison is case-insensitive (-ne), address lists are compared as
  sets (the module's Compare-Object), the "any" value of an option leaves the
  COM default in place;
- check mode computes ``changed`` and writes nothing.

The store also holds the firewall profiles (Get-NetFirewallProfile
-PolicyStore ActiveStore) and the uninstall registry entries, for the read
script. Each host's store is the file ``store.json`` in the folder named by
WINDOWS_SIM_HOST_DIR, set by the host's interpreter wrapper; every simulated
module call is appended to ``calls.jsonl`` there, to count round trips.
"""

from __future__ import annotations

import fcntl
import ipaddress
import json
import os
import re
import time

__metaclass__ = type

ALL_PROFILES = 0x7FFFFFFF
PROFILE_BITS = {"domain": 1, "private": 2, "public": 4}
DIRECTIONS = {"in": 1, "out": 2}
ACTIONS = {"block": 0, "allow": 1}
# Order of the module's $fwPropertiesToCompare and the option that feeds each property.
COMPARED = (
    ("Description", "description"), ("Direction", "direction"), ("Action", "action"),
    ("ApplicationName", "program"), ("Grouping", "group"), ("ServiceName", "service"),
    ("Enabled", "enabled"), ("Profiles", "profiles"), ("LocalAddresses", "localip"),
    ("RemoteAddresses", "remoteip"), ("LocalPorts", "localport"), ("RemotePorts", "remoteport"),
    ("Protocol", "protocol"), ("InterfaceTypes", "interfacetypes"), ("EdgeTraversalOptions", "edge"),
    ("SecureFlags", "security"), ("IcmpTypesAndCodes", "icmp_type_code"),
)
ADDRESS_KEYWORDS = ("*", "localsubnet", "dns", "dhcp", "wins", "defaultgateway", "intranet", "internet",
                    "intranetremoteaccess", "playtodevice")
PORT_KEYWORDS = ("*", "rpc", "rpc-epmap", "iphttps", "teredo", "ply2disc", "mdns")


# win_firewall_rule's options (the simulated module's spec). Choices and lists are not Ansible's here:
# the real module reads its options with the legacy Get-AnsibleParam (legacy_options below).
ARGUMENT_SPEC = {
    "name": {"type": "str"},
    "description": {"type": "str"},
    "direction": {"type": "str"},
    "action": {"type": "str"},
    "program": {"type": "str"},
    "group": {"type": "str"},
    "service": {"type": "str"},
    "enabled": {"type": "bool", "aliases": ["enable"]},
    "profiles": {"type": "raw", "aliases": ["profile"]},
    "localip": {"type": "str"},
    "remoteip": {"type": "str"},
    "localport": {"type": "str"},
    "remoteport": {"type": "str"},
    "protocol": {"type": "str"},
    "interfacetypes": {"type": "raw"},
    "edge": {"type": "str"},
    "security": {"type": "str"},
    "icmp_type_code": {"type": "raw"},
    "state": {"type": "str", "default": "present"},
}
# Get-AnsibleParam -ValidateSet: checked with -contains, so case is ignored (the value is kept as given).
VALIDATE_SETS = {
    "direction": ("in", "out"), "action": ("allow", "block"), "edge": ("no", "yes", "deferapp", "deferuser"),
    "security": ("notrequired", "authnoencap", "authenticate", "authdynenc", "authenc"), "state": ("present", "absent"),
}
# The variables [Environment]::ExpandEnvironmentVariables finds on a standard Windows Server install.
WINDOWS_ENVIRONMENT = {"systemroot": "C:\\Windows", "windir": "C:\\Windows", "systemdrive": "C:",
                       "programfiles": "C:\\Program Files", "programfiles(x86)": "C:\\Program Files (x86)",
                       "programdata": "C:\\ProgramData", "commonprogramfiles": "C:\\Program Files\\Common Files"}


def legacy_options(params):
    """The module's parameters as its Get-AnsibleParam calls convert them: choices checked with case
    ignored, a list given as a string split on commas and trimmed, icmp_type_code joined."""
    options = dict(params)
    for name, allowed in VALIDATE_SETS.items():
        value = options.get(name)
        if value is not None and str(value).casefold() not in allowed:
            raise ComError("Get-AnsibleParam: Argument %s needs to be one of %s but was %s."
                           % (name, ",".join(allowed), value))
    for name in ("profiles", "interfacetypes", "icmp_type_code"):
        value = options.get(name)
        if value is None or isinstance(value, list):
            continue
        if isinstance(value, str):
            options[name] = [part.strip() for part in value.split(",")]
        elif isinstance(value, int) and not isinstance(value, bool):
            options[name] = [value]
        else:
            raise ComError("Get-AnsibleParam: Parameter '%s' is not a YAML list." % name)
    if options.get("icmp_type_code") is not None:
        options["icmp_type_code"] = ",".join(str(item) for item in options["icmp_type_code"])
    return options


def expand_windows_variables(text):
    """[Environment]::ExpandEnvironmentVariables: %NAME% (case ignored) replaced when defined, else kept."""
    return re.sub(r"%([^%]+)%", lambda match: WINDOWS_ENVIRONMENT.get(match.group(1).casefold(), match.group(0)),
                  text)


def _is_any(value):
    """``$value -ne "any"`` is false: PowerShell's -ne ignores case."""
    return isinstance(value, str) and value.casefold() == "any"


class ComError(Exception):
    """What a COM setter throws (the module turns it into a failure)."""


def new_rule():
    """The properties of a fresh HNetCfg.FWRule."""
    return {
        "Name": None, "Description": None, "ApplicationName": None, "ServiceName": None,
        "Protocol": 256, "LocalPorts": None, "RemotePorts": None,
        "LocalAddresses": "*", "RemoteAddresses": "*", "IcmpTypesAndCodes": None,
        "Direction": 1, "InterfaceTypes": "All", "Enabled": False, "Grouping": None,
        "Profiles": ALL_PROFILES, "Action": 1, "EdgeTraversalOptions": 0, "SecureFlags": 0,
    }


def normalise_addresses(value):
    """INetFwRule.*Addresses setter: IPv4 as address/mask, IPv6 compressed with its prefix, keywords and ranges kept."""
    out = []
    for token in str(value).split(","):
        token = token.strip()
        if not token:
            raise ComError("The parameter is incorrect. (address list %r)" % (value,))
        if token.lower() in ADDRESS_KEYWORDS:
            out.append("*" if token == "*" else token)
            continue
        if "-" in token:
            low, high = (ipaddress.ip_address(part.strip()) for part in token.split("-", 1))
            out.append("%s-%s" % (low, high))
            continue
        # Windows accepts host bits under the mask ("10.1.2.3/16") and keeps the address
        # as given; IPv4 is reported as address/mask, IPv6 keeps its prefix ("/128"
        # included) when one was given.
        try:
            interface = ipaddress.ip_interface(token)
        except ValueError as exc:
            raise ComError("The parameter is incorrect. (address %r: %s)" % (token, exc)) from exc
        if interface.version == 4:
            out.append("%s/%s" % (interface.ip, interface.netmask))
        else:
            out.append("%s/%d" % (interface.ip, interface.network.prefixlen) if "/" in token else str(interface.ip))
    if "*" in out and len(out) > 1:
        raise ComError("The parameter is incorrect. (\"*\" cannot be combined with addresses)")
    return ",".join(out)


def normalise_ports(value, protocol):
    if protocol not in (6, 17):
        raise ComError("Value does not fall within the expected range. (ports need protocol TCP or UDP)")
    out = []
    for token in str(value).split(","):
        token = token.strip()
        if token.lower() in PORT_KEYWORDS:
            out.append(token)
            continue
        bounds = token.split("-", 1)
        if not all(part.isdigit() and 0 <= int(part) <= 65535 for part in bounds):
            raise ComError("The parameter is incorrect. (port %r)" % (token,))
        out.append(token)
    return ",".join(out)


def set_property(rule, prop, value, typed=False):
    """A COM property set: validation and normalisation as INetFwRule applies them.

    ``typed``: set through the typed INetFwRule interface (the module's
    PutApplicationName) rather than PowerShell's COM binder, which cannot pass a
    null string: clearing a program by plain assignment throws on Windows
    (community.windows issue 471).
    """
    if prop == "ApplicationName" and not value and not typed:
        raise ComError("Value does not fall within the expected range. (ApplicationName cleared by plain "
                       "assignment: PowerShell's COM binder cannot pass a null string)")
    if prop == "Protocol":
        rule["Protocol"] = value
        if value in (6, 17):
            rule["LocalPorts"] = rule["LocalPorts"] or "*"
            rule["RemotePorts"] = rule["RemotePorts"] or "*"
        else:
            rule["LocalPorts"] = rule["RemotePorts"] = None
    elif prop in ("LocalPorts", "RemotePorts"):
        rule[prop] = normalise_ports(value, rule["Protocol"])
    elif prop in ("LocalAddresses", "RemoteAddresses"):
        rule[prop] = normalise_addresses(value)
    else:
        rule[prop] = value


def protocol_number(protocol):
    """The module's ConvertTo-ProtocolType."""
    text = str(protocol)
    if text.lstrip("-").isdigit():
        return int(text)
    lowered = text.lower()
    if lowered == "tcp":
        return 6
    if lowered == "udp":
        return 17
    if lowered.startswith("icmpv4"):
        return 1
    if lowered.startswith("icmpv6"):
        return 58
    raise ComError("Unknown protocol '%s'." % protocol)


def profiles_number(profiles):
    """The module's ConvertTo-Profile: sum of the unique profile bits, all three = 0x7FFFFFFF."""
    total = 0
    # Select-Object -Unique then a switch: both ignore case.
    for item in dict.fromkeys(str(item).casefold() for item in profiles):
        if item not in PROFILE_BITS:
            raise ComError("Unknown profile '%s'." % item)
        total += PROFILE_BITS[item]
    return ALL_PROFILES if total == 7 else total


def rule_from_options(options):
    """The module's $new_rule: a fresh FWRule with the passed options set, in the module's order."""
    rule = new_rule()
    if options.get("name"):
        rule["Name"] = options["name"]
    # COM's default is disabled; the module enables unless told otherwise.
    rule["Enabled"] = True if options.get("enabled") is None else options["enabled"]
    if options.get("description") is not None:
        rule["Description"] = options["description"]
    if options.get("group") is not None:
        rule["Grouping"] = options["group"]
    if options.get("program") is not None and not _is_any(options["program"]):
        rule["ApplicationName"] = expand_windows_variables(options["program"])
    if options.get("service") is not None and not _is_any(options["service"]):
        rule["ServiceName"] = options["service"]
    if options.get("protocol") is not None and not _is_any(options["protocol"]):
        set_property(rule, "Protocol", protocol_number(options["protocol"]))
    for option, prop in (("localport", "LocalPorts"), ("remoteport", "RemotePorts"),
                         ("localip", "LocalAddresses"), ("remoteip", "RemoteAddresses")):
        if options.get(option) is not None and not _is_any(options[option]):
            set_property(rule, prop, options[option])
    if options.get("icmp_type_code") is not None and not _is_any(options["icmp_type_code"]):
        rule["IcmpTypesAndCodes"] = options["icmp_type_code"]
    # ConvertTo-Direction / ConvertTo-Action: switch statements, case ignored.
    if options.get("direction") is not None:
        rule["Direction"] = DIRECTIONS[str(options["direction"]).casefold()]
    if options.get("action") is not None:
        rule["Action"] = ACTIONS[str(options["action"]).casefold()]
    if options.get("profiles") is not None:
        rule["Profiles"] = profiles_number(options["profiles"])
    return rule


def _differs(prop, existing, wanted):
    """PowerShell's ``$existing -ne $wanted``, with the module's set comparison for addresses."""
    if isinstance(existing, str) and isinstance(wanted, str):
        if existing.casefold() == wanted.casefold():
            return False
    elif existing == wanted and type(existing) is type(wanted):
        return False
    if prop.endswith("Addresses"):
        left = sorted(part.casefold() for part in str(existing or "").split(","))
        right = sorted(part.casefold() for part in str(wanted or "").split(","))
        return left != right
    return True


def find(rules, name):
    return [rule for rule in rules if rule["Name"] is not None and rule["Name"].casefold() == str(name).casefold()]


def apply_rule(rules, options, check_mode, typed=("ApplicationName",)):
    """win_firewall_rule's main block on ``rules`` (the host's list, changed in place unless check_mode).

    ``typed``: the properties set through the typed interface (the module:
    ApplicationName only). Returns (changed, msg, diff_text).
    """
    name, group = options.get("name"), options.get("group")
    if not name and not group:
        raise ComError("Either name or group must be specified")
    # $_.Name -eq $name, else $_.Grouping -eq $group: PowerShell's -eq ignores case.
    existing = find(rules, name) if name else [r for r in rules
                                               if (r["Grouping"] or "").casefold() == str(group).casefold()]
    wanted = rule_from_options(options)
    diff = []
    if str(options.get("state") or "present").casefold() == "absent":
        if not existing:
            return False, ("Firewall rule '%s' does not exist." % name if name
                           else "No firewall rules in group '%s' exist." % group), ""
        for rule in existing:
            diff.append("-[%s]" % rule["Name"])
            diff.extend("-%s='%s'" % (prop, rule[prop]) for prop, _option in COMPARED)
            if not check_mode:
                rules.remove(rule)
        return True, "Firewall rule(s) '%s' removed." % "', '".join(r["Name"] for r in existing), "\n".join(diff)
    if not existing and name:
        diff.append("+[%s]" % wanted["Name"])
        diff.extend("+%s='%s'" % (prop, wanted[prop]) for prop, _option in COMPARED)
        if not check_mode:
            rules.append(wanted)
        return True, "Firewall rule '%s' created." % name, "\n".join(diff)
    if not existing:
        return False, None, ""  # a group with no rule: the module neither creates nor reports anything
    changed_names, unchanged_names = [], []
    for rule in existing:
        diff.append("[%s]" % rule["Name"])
        changed = False
        for prop, option in COMPARED:
            if options.get(option) is None or not _differs(prop, rule[prop], wanted[prop]):
                continue
            diff.append("-%s='%s'" % (prop, rule[prop]))
            diff.append("+%s='%s'" % (prop, wanted[prop]))
            if not check_mode:
                # Same order as the module: ports before protocol, so ports on a
                # rule whose protocol is still "any" fail as they do on Windows.
                set_property(rule, prop, wanted[prop], typed=prop in typed)
            changed = True
        (changed_names if changed else unchanged_names).append(rule["Name"])
    return (bool(changed_names), "Firewall rule(s) changed '%s' - unchanged '%s'"
            % ("', '".join(changed_names), "', '".join(unchanged_names)), "\n".join(diff))


class HostStore:
    """The host's store.json, locked while a module works on it."""

    def __init__(self, host_dir=None):
        host_dir = host_dir or os.environ.get("WINDOWS_SIM_HOST_DIR")
        if not host_dir or not os.path.isdir(host_dir):
            raise RuntimeError("WINDOWS_SIM_HOST_DIR is not set to a simulated host's folder: this module is the "
                               "test simulator of a Windows module and runs only through the interpreter wrapper "
                               "that tests/windows_sim/winsim.py makes")
        self.host_dir = host_dir
        self.path = os.path.join(host_dir, "store.json")
        self._lock = None
        self.data = None

    def __enter__(self):
        self._lock = open(self.path + ".lock", "w")
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        with open(self.path) as handle:
            self.data = json.load(handle)
        return self

    def save(self):
        temporary = self.path + ".tmp"
        with open(temporary, "w") as handle:
            json.dump(self.data, handle, indent=1, sort_keys=True)
        os.replace(temporary, self.path)

    def __exit__(self, *exc):
        fcntl.flock(self._lock, fcntl.LOCK_UN)
        self._lock.close()
        return False

    def log_call(self, module, check_mode, items=1):
        with open(os.path.join(self.host_dir, "calls.jsonl"), "a") as handle:
            handle.write(json.dumps({"module": module, "check_mode": bool(check_mode), "time": time.time(),
                                     "items": items}) + "\n")


def squash(name):
    return "".join(str(name).split()).casefold()


# The profile settings read_state.ps1 returns (Get-NetFirewallProfile, each as a string);
# a setting no policy sets reads NotConfigured.
PROFILE_SETTINGS = ("Enabled", "DefaultInboundAction", "DefaultOutboundAction", "AllowInboundRules",
                    "AllowLocalFirewallRules", "AllowLocalIPsecRules", "AllowUnicastResponseToMulticast",
                    "NotifyOnListen")
RULE_KEYS = ("Name", "Grouping", "Description", "Direction", "Action", "Protocol", "LocalPorts", "RemotePorts",
             "LocalAddresses", "RemoteAddresses", "Enabled", "Profiles", "ApplicationName", "ServiceName",
             "InterfaceTypes", "IcmpTypesAndCodes", "EdgeTraversalOptions", "SecureFlags")


def _profile_view(profiles):
    return [dict({"Name": str(profile.get("Name"))},
                 **{key: str(profile.get(key, "NotConfigured")) for key in PROFILE_SETTINGS})
            for profile in profiles]


def read_state(data, group, prefix, installer_names, keywords=(), capture=False, exposure=False):
    """What the role's read_state.ps1 returns, from the store (with ``capture``: as the capture playbook runs it;
    with ``exposure``: as the drift audit does, every enabled inbound allow rule)."""
    installer = {squash(name) for name in installer_names or []}
    words = [word.casefold() for word in keywords or []]

    def keyword(rule):
        texts = [str(rule.get(key) or "").casefold()
                 for key in ("Name", "Grouping", "Description", "ApplicationName", "ServiceName")]
        return any(word in text for word in words for text in texts)

    def selected(rule):
        if exposure:
            return bool(rule.get("Enabled")) and rule.get("Direction") == 1 and rule.get("Action") == 1
        return ((rule.get("Grouping") or "").casefold() == group.casefold()
                or (rule.get("Name") or "").casefold().startswith(prefix.casefold())
                or squash(rule.get("Name") or "") in installer or keyword(rule))

    rules = [{key: rule.get(key) for key in RULE_KEYS} for rule in data["rules"] if selected(rule)]
    result = {"rules": rules, "profiles": _profile_view(data.get("profiles", []))}
    if capture:
        # Group Policy's own view (RSOP): what a capture recorded, else only what the
        # simulated policy sets (AllowLocalFirewallRules), NotConfigured elsewhere.
        policy = data.get("policy")
        if policy is None:
            policy = [{"Name": profile.get("Name"), "AllowLocalFirewallRules":
                       profile.get("AllowLocalFirewallRules", "NotConfigured")}
                      for profile in data.get("profiles", [])]
        result["policy"] = _profile_view(policy)
    return result


def read_versions(data):
    """What the role's read_versions.ps1 returns, from the store: the uninstall entries naming Stormshield."""
    out = []
    for product in data.get("products", []):
        name, publisher = str(product.get("DisplayName") or ""), str(product.get("Publisher") or "")
        if "stormshield" in (name + " " + publisher).lower() or "ses evolution" in name.lower():
            out.append({"DisplayName": name, "DisplayVersion": str(product.get("DisplayVersion") or ""),
                        "Publisher": publisher, "SystemComponent": str(product.get("SystemComponent") or ""),
                        "ParentKeyName": str(product.get("ParentKeyName") or ""),
                        "HasUninstallString": bool(product.get("HasUninstallString", True)),
                        "Key": str(product.get("Key") or "")})
    return {"products": out}


def reconcile(rules, specs, remove, expected_counts, check_mode, typed=(), installer=()):
    """What the role's reconcile.ps1 does: one plan, win_firewall_rule semantics for each rule.

    ``typed``: the properties the script sets through the typed interface (the
    simulated win_powershell reads them from the script); any other is a plain
    assignment. ``installer``: specs applied, as the script's Installer parameter, only to
    the rules of their name whose protocol and local port match. Returns (changed, result,
    failed); ``rules`` is changed in place unless check_mode.
    """
    import copy
    work = copy.deepcopy(rules) if check_mode else rules
    result = {"created": [], "updated": [], "removed": []}
    drift = ["'%s': %d rule(s), planned with %d" % (name, len(find(work, name)), int(count))
             for name, count in (expected_counts or {}).items() if len(find(work, name)) != int(count)]
    if drift:
        result["error"] = "The firewall changed since the plan was made, nothing was applied: %s" % "; ".join(drift)
        return False, result, True
    # Like the script, a COM error part way stops the run where it is.
    snapshot = copy.deepcopy(work)
    try:
        for spec in specs or []:
            spec = dict(spec, state="present")
            before = len(find(work, spec["name"]))
            changed, _msg, _diff = apply_rule(work, spec, False, typed=typed)
            if changed:
                result["created" if before == 0 else "updated"].append(spec["name"])
        for spec in installer or []:
            spec = dict(spec, state="present")
            protocol = protocol_number(spec["protocol"])
            matching = [rule for rule in find(work, spec["name"])
                        if rule["Protocol"] == protocol and str(rule["LocalPorts"]) == str(spec["localport"])]
            if not matching:
                raise ComError("no rule '%s' on %s %s any more: the firewall changed since the plan was made"
                               % (spec["name"], spec["protocol"], spec["localport"]))
            # The same comparison and setters as win_firewall_rule, on those rules only.
            changed, _msg, _diff = apply_rule(matching, spec, False, typed=typed)
            if changed:
                result["updated"].append(spec["name"])
        for name in remove or []:
            result["removed"].extend(rule["Name"] for rule in find(work, name))
            apply_rule(work, {"name": name, "state": "absent"}, False)
    except ComError as exc:
        result["error"] = "Firewall reconcile failed: %s" % exc
        if check_mode:
            work[:] = snapshot
        return bool(result["created"] or result["updated"] or result["removed"]), result, True
    return bool(result["created"] or result["updated"] or result["removed"]), result, False
