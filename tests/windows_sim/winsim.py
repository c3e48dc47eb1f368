# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Windows simulator's tooling (test-only): simulated hosts, the SES installer's rules, the collections path.

  winsim.py init ROOT SEED.json      one folder per simulated host: store.json + interpreter wrapper
  winsim.py load ROOT HOST CAPTURE.json
                                     a host's store replaced by a capture (playbook windows_facts)
  winsim.py install ROOT HOST VERSION COMPONENTS [--co-located] [--spelling page|spaced]
                                     what the SES installer does to the firewall and the registry
  winsim.py rules ROOT HOST          the host's rules, one line each (name | group | dir proto port | scope)
  winsim.py calls ROOT               simulated module calls per host (round trips)
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys

__metaclass__ = type

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from ansible_collections.ses_sim.windows.plugins.module_utils.firewall_store import (  # noqa: E402
    ALL_PROFILES, new_rule, set_property, squash)

INSTALLER_GROUP = "Stormshield Endpoint Security Evolution"  # assumed: the page does not give the group
DEFAULT_PROFILES = [
    {"Name": "Domain", "Enabled": "True", "DefaultInboundAction": "Block", "DefaultOutboundAction": "Allow"},
    {"Name": "Private", "Enabled": "True", "DefaultInboundAction": "Block", "DefaultOutboundAction": "Allow"},
    {"Name": "Public", "Enabled": "True", "DefaultInboundAction": "Block", "DefaultOutboundAction": "Allow"},
]


def installer_rules(version, components, co_located, spelling="page"):
    """The inbound rules the SES installer creates (vendor page, "Case of Windows Defender Firewall").

    The page documents 2.7.1; for older releases the simulator assumes the same
    names without the HTTPS agent rule and with the backend on TCP 443.
    ``spelling`` "page" uses the names as printed ("EvolutionBackend"), "spaced"
    with a space, in which case both agent handler rules share one name.
    """
    new = tuple(int(part) for part in version.split(".")[:3]) >= (2, 7, 1)
    glue = "" if spelling == "page" else " "
    base = "Stormshield Endpoint Security Evolution"
    rules = []
    if "agent_handler" in components:
        rules.append((base + " Agent Handler (TCP-In)", 17000, "agents older than 2.7.1 via EsServer over MSRPC"))
        if new:
            rules.append((base + glue + "Agent Handler (TCP-In)", 443, "agents 2.7.1 or higher via EsServer over HTTPS"))
    if "backend" in components:
        rules.append((base + glue + "Backend (TCP-In)", 8443 if new and co_located else 443,
                      "consoles, and agent handlers as system users"))
        rules.append((base + glue + "Public API (TCP-In)", 10443, "SIEM/SOAR as system user"))
    out = []
    for name, port, purpose in rules:
        rule = new_rule()
        rule.update({"Name": name, "Description": "Communication with " + purpose, "Grouping": INSTALLER_GROUP,
                     "Enabled": True, "Profiles": ALL_PROFILES, "Direction": 1, "Action": 1})
        set_property(rule, "Protocol", 6)
        set_property(rule, "LocalPorts", str(port))
        out.append(rule)
    return out


def product_entries(version, components):
    names = {"backend": "Stormshield Endpoint Security Evolution Backend",
             "agent_handler": "Stormshield Endpoint Security Evolution Agent Handler",
             "console": "Stormshield Endpoint Security Evolution Administration Console"}
    return [{"DisplayName": names[c], "DisplayVersion": version, "Publisher": "Stormshield"}
            for c in components if c in names]


CAPTURE_KIND = "ses_evolution.firewall.windows_facts"
CAPTURE_FORMATS = (1,)


def store_from_capture(document, source="capture"):
    """A host's store from a capture of playbook windows_facts (docs/windows.md, "The capture"), as it was read.

    The rules keep the values COM reported (no normalisation: they are what the host holds);
    a property the capture lacks keeps the COM default of a new rule.
    """
    if not isinstance(document, dict) or document.get("kind") != CAPTURE_KIND:
        raise SystemExit("%s: not a capture of ses_evolution.firewall.windows_facts (kind %r)"
                         % (source, document.get("kind") if isinstance(document, dict) else None))
    if document.get("format") not in CAPTURE_FORMATS:
        raise SystemExit("%s: capture format %r; this simulator reads format %s"
                         % (source, document.get("format"), ", ".join(map(str, CAPTURE_FORMATS))))
    rules = []
    for captured in document.get("rules") or []:
        rule = new_rule()
        rule.update({key: value for key, value in captured.items() if key in rule})
        rules.append(rule)
    return {"rules": rules, "profiles": list(document.get("profiles") or []),
            "policy": list(document.get("policy") or []), "products": list(document.get("products") or [])}


def load_capture(path):
    with open(path, encoding="utf-8") as handle:
        return store_from_capture(json.load(handle), path)


def _host_dir(root, host):
    return os.path.join(root, "hosts", host)


def _load(root, host):
    with open(os.path.join(_host_dir(root, host), "store.json")) as handle:
        return json.load(handle)


def _save(root, host, data):
    with open(os.path.join(_host_dir(root, host), "store.json"), "w") as handle:
        json.dump(data, handle, indent=1, sort_keys=True)


def install(root, host, version, components, co_located, spelling="page"):
    """An SES install or upgrade: the installer's rules are (re)written with its defaults, scope "*" included
    (the pessimistic reading: an upgrade may undo an adopted scope; re-run the role after each upgrade)."""
    data = _load(root, host)
    ours = {squash(rule["Name"]) for rule in installer_rules(version, components, co_located, "page")}
    data["rules"] = [rule for rule in data["rules"] if squash(rule["Name"] or "") not in ours]
    data["rules"].extend(installer_rules(version, components, co_located, spelling))
    data["products"] = [p for p in data.get("products", []) if "Evolution" not in p["DisplayName"]
                        or "Agent" in p["DisplayName"] and "Handler" not in p["DisplayName"]]
    data["products"].extend(product_entries(version, components))
    _save(root, host, data)


def init(root, seed, base="."):
    """Fresh simulated hosts from a seed: {host: {version, components, co_located, spelling, profiles,
    extra_rules: [COM property dicts], extra_products: [...], outbound: {profile: Block},
    allow_local_rules: {profile: "False"}}}, or {host: {capture: FILE}} (a capture of playbook
    windows_facts as the host's starting state; FILE relative to ``base``, the seed's folder)."""
    for host, spec in seed.items():
        host_dir = _host_dir(root, host)
        os.makedirs(host_dir, exist_ok=True)
        for name in ("calls.jsonl",):
            if os.path.exists(os.path.join(host_dir, name)):
                os.remove(os.path.join(host_dir, name))
        rules = []
        for extra in spec.get("extra_rules", []):
            rule = new_rule()
            protocol = extra.pop("Protocol", None)
            ports = {key: extra.pop(key) for key in ("LocalPorts", "RemotePorts") if key in extra}
            rule.update(extra)
            if protocol is not None:
                set_property(rule, "Protocol", protocol)
            for key, value in ports.items():
                set_property(rule, key, value)
            for key in ("LocalAddresses", "RemoteAddresses"):
                set_property(rule, key, rule[key])
            rules.append(rule)
        profiles = [dict(profile, DefaultOutboundAction=spec.get("outbound", {}).get(profile["Name"].lower(), "Allow"))
                    for profile in DEFAULT_PROFILES]
        # Group Policy "Apply local firewall rules" per profile, e.g. {"domain": "False"}.
        for profile in profiles:
            if profile["Name"].lower() in spec.get("allow_local_rules", {}):
                profile["AllowLocalFirewallRules"] = str(spec["allow_local_rules"][profile["Name"].lower()])
        data = {"rules": rules, "profiles": profiles, "products": list(spec.get("extra_products", []))}
        if spec.get("capture"):
            data = load_capture(os.path.join(base, spec["capture"]))
        with open(os.path.join(host_dir, "store.json"), "w") as handle:
            json.dump(data, handle)
        wrapper = os.path.join(host_dir, "python")
        with open(wrapper, "w") as handle:
            handle.write("#!/bin/sh\n# Simulated Windows host %s: modules find its store through this variable.\n"
                         "WINDOWS_SIM_HOST_DIR='%s' exec '%s' \"$@\"\n" % (host, host_dir, sys.executable))
        os.chmod(wrapper, os.stat(wrapper).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        if spec.get("version") and not spec.get("capture"):
            install(root, host, spec["version"], spec.get("components", []), spec.get("co_located", False),
                    spec.get("spelling", "page"))


def describe(rule):
    direction = {1: "in", 2: "out"}[rule["Direction"]]
    protocol = {6: "tcp", 17: "udp", 256: "any"}.get(rule["Protocol"], rule["Protocol"])
    port = rule["LocalPorts"] if direction == "in" else rule["RemotePorts"]
    return "%s | %s | %s %s %s | %s" % (rule["Name"], rule["Grouping"], direction, protocol, port,
                                        rule["RemoteAddresses"])


def calls(root):
    out = {}
    for host in sorted(os.listdir(os.path.join(root, "hosts"))):
        path = os.path.join(_host_dir(root, host), "calls.jsonl")
        entries = []
        if os.path.exists(path):
            with open(path) as handle:
                entries = [json.loads(line) for line in handle if line.strip()]
        by_module = {}
        for entry in entries:
            by_module[entry["module"]] = by_module.get(entry["module"], 0) + 1
        out[host] = {"calls": len(entries), "by_module": by_module}
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_init = sub.add_parser("init")
    p_init.add_argument("root")
    p_init.add_argument("seed")
    p_install = sub.add_parser("install")
    for name in ("root", "host", "version", "components"):
        p_install.add_argument(name)
    p_install.add_argument("--co-located", action="store_true")
    p_install.add_argument("--spelling", choices=("page", "spaced"), default="page")
    p_load = sub.add_parser("load")
    for name in ("root", "host", "capture"):
        p_load.add_argument(name)
    p_rules = sub.add_parser("rules")
    p_rules.add_argument("root")
    p_rules.add_argument("host")
    sub.add_parser("calls").add_argument("root")
    args = parser.parse_args(argv)
    if args.command == "init":
        with open(args.seed) as handle:
            init(args.root, json.load(handle), os.path.dirname(os.path.abspath(args.seed)))
    elif args.command == "load":
        _save(args.root, args.host, load_capture(args.capture))
    elif args.command == "install":
        install(args.root, args.host, args.version, args.components.split(","), args.co_located, args.spelling)
    elif args.command == "rules":
        for rule in sorted(_load(args.root, args.host)["rules"], key=lambda r: r["Name"].casefold()):
            print(describe(rule))
    elif args.command == "calls":
        print(json.dumps(calls(args.root), indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
