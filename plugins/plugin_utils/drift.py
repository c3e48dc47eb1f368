# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drift and exposure: a host's live rules against its matrix rules, read only.

Four categories of finding:

- ``missing``: a matrix rule not in force;
- ``extra``: a rule of ours (found by its name) the matrix no longer has;
- ``changed``: a rule of ours whose protocol, port or peers differ; ``widened`` when its live
  peers admit an address the matrix does not;
- ``exposure``: a rule outside ours that accepts an SES port from more than the matrix allows
  on that host (another nftables table or chain, iptables rules outside our chains, legacy
  iptables).

Live rules are read by drift_parse.py, conservatively: a match it does not understand is taken
as matching everything, so an unknown construct can add an exposure finding but never hide one.
"""

from __future__ import annotations

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import SesInputError
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.drift_parse import (
    ANY, LiveRule, covered, linux_live, networks, peers_text, union, win_rule)
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.linux_rules import (
    FIXED_NAMES, JUMP_COMMENT, MANAGEMENT_NAME)
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.values import to_bool

__metaclass__ = type

CATEGORIES = ("missing", "extra", "changed", "exposure")
# The vendor's SES ports (configure_firewall_2.7.1): agent handler 443 and 17000, co-located backend
# 8443, public API 10443. The SQL and syslog ports come from the matrix (they are configurable).
SES_TCP_PORTS = (443, 8443, 10443, 17000)


# ------------------------------------------------------------------ comparison

def _expected(rules, filter_outbound):
    """{name: rule dict} of the matrix rules the host should carry."""
    return dict((rule["name"], rule) for rule in rules
                if rule.get("direction", "in") == "in" or filter_outbound)


def _finding(category, rule, where, detail, **extra):
    found = {"category": category, "rule": rule, "where": where, "detail": detail, "widened": False}
    found.update(extra)
    return found


def compare(rules, own, foreign, ports, filter_outbound=False, management=True):
    """The findings of one host: matrix ``rules`` against its live rules (LiveRule lists)."""
    expected = _expected(rules, filter_outbound)
    live = {}
    findings = []
    for rule in own:
        if not rule.name:
            if rule.verdict == "accept" and not rule.established_only:
                foreign.append(rule)  # an extra statement in our chain: judged like a foreign rule
            continue
        if rule.name in FIXED_NAMES or rule.name == JUMP_COMMENT or (management and rule.name == MANAGEMENT_NAME):
            continue
        entry = live.setdefault(rule.name, {"protocols": set(), "ports": set(), "peers": frozenset(),
                                            "where": rule.where})
        entry["protocols"] = ANY if rule.protocols is ANY or entry["protocols"] is ANY \
            else entry["protocols"] | rule.protocols
        entry["ports"] = ANY if rule.ports is ANY or entry["ports"] is ANY else entry["ports"] | rule.ports
        entry["peers"] = union(entry["peers"], rule.peers)
    for name in sorted(expected):
        rule = expected[name]
        want = networks(rule.get("peers"))
        want_text = "%s/%s from %s" % (rule["protocol"], rule["port"], peers_text(want))
        if name not in live:
            findings.append(_finding("missing", name, "", "not in force: %s" % want_text, expected=want_text))
            continue
        got = live[name]
        got_text = "%s/%s from %s" % ("any" if got["protocols"] is ANY else "+".join(sorted(got["protocols"])),
                                      "any" if got["ports"] is ANY else "+".join(str(p) for p in sorted(got["ports"])),
                                      peers_text(got["peers"]))
        same_service = got["protocols"] == {rule["protocol"]} and got["ports"] == {int(rule["port"])}
        same_peers = got["peers"] == want or (want is not ANY and got["peers"] is not ANY
                                              and covered(got["peers"], want) and covered(want, got["peers"]))
        if not (same_service and same_peers):
            widened = not covered(got["peers"], want) or (got["ports"] is ANY) or (got["protocols"] is ANY) or \
                bool(set(got["ports"]) - {int(rule["port"])}) or bool(set(got["protocols"]) - {rule["protocol"]})
            findings.append(_finding("changed", name, got["where"],
                                     "%s: live %s, matrix %s" % ("WIDENED" if widened else "differs", got_text,
                                                                 want_text),
                                     widened=widened, expected=want_text, live=got_text))
    for name in sorted(set(live) - set(expected)):
        findings.append(_finding("extra", name, live[name]["where"], "a rule of ours the matrix no longer has"))
    findings.extend(exposures(rules, foreign, ports))
    return findings


def allowed_peers(rules, protocol, port):
    """The peers the matrix lets in on ``protocol``/``port`` of this host (empty frozenset: none)."""
    allowed = frozenset()
    for rule in rules:
        if rule.get("direction", "in") == "in" and rule.get("protocol") == protocol and int(rule["port"]) == port:
            allowed = union(allowed, networks(rule.get("peers")))
    return allowed


def exposures(rules, foreign, ports):
    """Exposure findings: foreign accept rules admitting an SES port from more than the matrix allows."""
    findings, seen = [], set()
    for rule in foreign:
        if rule.verdict != "accept" or rule.established_only:
            continue
        for protocol, port in sorted(ports):
            if not rule.admits(protocol, port):
                continue
            allowed = allowed_peers(rules, protocol, port)
            if covered(rule.peers, allowed):
                continue
            key = (rule.where, protocol, port, peers_text(rule.peers))
            if key in seen:
                continue
            seen.add(key)
            findings.append(_finding(
                "exposure", rule.name, rule.where,
                "accepts %s/%d from %s; the matrix allows %s" % (protocol, port, peers_text(rule.peers),
                                                                 peers_text(allowed) if allowed else "nobody"),
                protocol=protocol, port=port, widened=True))
    return findings


def ses_ports(matrix_hosts, extra=()):
    """{(protocol, port)}: the vendor's SES ports plus every port of the matrix (SQL, syslog as configured)."""
    ports = set(("tcp", port) for port in SES_TCP_PORTS)
    for host in (matrix_hosts or {}).values():
        for rule in host.get("rules") or []:
            ports.add((rule["protocol"], int(rule["port"])))
    problems = []
    for item in extra or []:
        protocol, _sep, port = str(item).partition("/")
        if protocol not in ("tcp", "udp") or not port.isdigit() or not 1 <= int(port) <= 65535:
            problems.append("ses_drift_ports: %r is not PROTOCOL/PORT (tcp/8080, udp/514)" % (item,))
            continue
        ports.add((protocol, int(port)))
    if problems:
        raise SesInputError(problems)
    return sorted(ports)


def linux_drift(probe_output, rules, options, ports):
    """Findings of a Linux host from its probe, its matrix rules and the role's checked options."""
    own, foreign = linux_live(probe_output, options)
    return compare(list(rules or []), own, foreign, [tuple(p) for p in ports],
                   filter_outbound=bool(options.get("filter_outbound", False)))


def settings(raw, matrix_hosts):
    """The drift playbook's settings, checked before any host is read.

    ``raw`` holds ses_drift_report_only, ses_drift_ports, ses_drift_report_dir as given (``-e`` gives
    strings). Returns {"report_only": bool, "ports": [[protocol, port]], "report_dir": str}.
    """
    problems = []
    report_only = to_bool(raw.get("ses_drift_report_only", False), "ses_drift_report_only", problems)
    extra = raw.get("ses_drift_ports") or []
    if isinstance(extra, str):
        extra = [item for item in extra.replace(",", " ").split() if item]
    if not isinstance(extra, list):
        problems.append("ses_drift_ports must be a list such as ['tcp/8080', 'udp/514'], got %r" % (extra,))
        extra = []
    report_dir = raw.get("ses_drift_report_dir")
    if not isinstance(report_dir, str) or not report_dir.strip() or "\n" in report_dir or "\x00" in report_dir:
        problems.append("ses_drift_report_dir must be a folder path on the controller, got %r" % (report_dir,))
    try:
        ports = ses_ports(matrix_hosts, extra)
    except SesInputError as exc:
        problems.extend(exc.problems)
        ports = []
    if problems:
        raise SesInputError(problems)
    return {"report_only": report_only, "ports": [list(pair) for pair in ports], "report_dir": report_dir}


# ------------------------------------------------------------------ Windows
def windows_drift(live, rules, ports):
    """Findings of a Windows host from the role's read entry point (``windows_firewall_live``)."""
    prefix, group = live.get("prefix") or "", live.get("group") or ""
    raw_rules = live.get("rules") or []
    ours, others = [], []
    for raw in raw_rules:
        name = str(raw.get("Name") or "")
        managed = str(raw.get("Grouping") or "").casefold() == group.casefold() and \
            name.casefold().startswith(prefix.casefold()) and bool(prefix)
        (ours if managed else others).append(raw)
    inbound = [rule for rule in rules if rule.get("direction", "in") == "in"]
    expected = dict((rule["name"], rule) for rule in inbound)
    findings = []
    own = []
    for raw in ours:
        rule = win_rule(raw)
        rule.name = str(raw["Name"])[len(prefix):]
        if rule.verdict != "accept" and rule.name in expected and raw.get("Direction") == 1:
            findings.append(_finding("missing", rule.name, rule.where, "the rule is there but disabled or not an "
                                     "allow rule, so it is not in force"))
            expected.pop(rule.name)
            continue
        if raw.get("Direction") == 1:
            own.append(rule)
    others_live = [win_rule(raw) for raw in others]
    # A matrix rule with no managed rule may be served by an installer rule the role adopted (scoped to the
    # matrix's peers): it is in force when an enabled allow rule admits its port from all its peers.
    names = set(rule.name for rule in own)
    for name in sorted(set(expected) - names):
        rule = expected[name]
        want = networks(rule.get("peers"))
        if any(other.verdict == "accept" and not other.established_only
               and other.admits(rule["protocol"], int(rule["port"])) and covered(want, other.peers)
               for other in others_live):
            own.append(_served(name, rule))
    findings.extend(compare(list(expected.values()), own, [], [], filter_outbound=False, management=False))
    findings.extend(exposures(inbound, others_live, [tuple(p) for p in ports]))
    for profile in live.get("profiles") or []:
        name = str(profile.get("Name"))
        if str(profile.get("Enabled")).lower() in ("false", "0"):
            findings.append(_finding("exposure", None, "profile %s" % name, "the %s profile is turned off: no rule "
                                     "filters traffic on its networks" % name, widened=True))
        if str(profile.get("AllowLocalFirewallRules")).lower() in ("false", "0"):
            findings.append(_finding("exposure", None, "profile %s" % name, "Group Policy does not enforce local "
                                     "firewall rules on the %s profile (AllowLocalFirewallRules False): the "
                                     "collection's rules are not in force there" % name, widened=True))
    return findings


def _served(name, rule):
    """A stand-in LiveRule for a matrix rule served exactly by another (installer) rule."""
    live = LiveRule("served by an installer rule", name)
    live.protocols = frozenset([rule["protocol"]])
    live.ports = frozenset([int(rule["port"])])
    live.peers = networks(rule.get("peers"))
    live.verdict = "accept"
    return live
