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

Rules are summarised conservatively: a match this module does not understand is taken as
matching everything, so an unknown construct can add an exposure finding but never hide one.
"""

from __future__ import annotations

import ipaddress
import json
import re

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import SesInputError
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.linux_rules import (
    FIXED_NAMES, JUMP_COMMENT, MANAGEMENT_NAME, PROBE_MARKER, split_sections)
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.render_nftables import NftOptions
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.values import to_bool

__metaclass__ = type

CATEGORIES = ("missing", "extra", "changed", "exposure")
# The vendor's SES ports (configure_firewall_2.7.1): agent handler 443 and 17000, co-located backend
# 8443, public API 10443. The SQL and syslog ports come from the matrix (they are configurable).
SES_TCP_PORTS = (443, 8443, 10443, 17000)
ANY = None  # peers / ports / protocol that match everything
_IPT_CHAINS = ("SES_IN", "SES_OUT")
_NOT_NEW = ("ct", "conntrack", "state")  # matches that only admit packets of existing connections


# ------------------------------------------------------------------ peers
def networks(peers):
    """A peer list ("any", CIDRs, addresses) as a frozenset of networks, or ANY."""
    found = set()
    for item in peers or []:
        text = str(item).strip()
        if text.lower() == "any":
            return ANY
        network = ipaddress.ip_network(text, strict=False)
        if network.prefixlen == 0:
            return ANY
        found.add(network)
    return frozenset(found)


def covered(live, allowed):
    """Whether every address ``live`` admits is admitted by ``allowed`` (both from networks())."""
    if allowed is ANY:
        return True
    if live is ANY:
        return False
    # Collapsed first: 10.0.0.0/27 and 10.0.0.32/27 together admit all of 10.0.0.0/26. A CIDR inside the
    # union of collapsed (maximal, aligned) blocks lies inside one of them.
    merged = [net for version in (4, 6) for net in ipaddress.collapse_addresses(
        [ok for ok in allowed if ok.version == version])]
    return all(any(net.version == ok.version and net.subnet_of(ok) for ok in merged) for net in live)


def _peers_text(peers):
    return "any" if peers is ANY else ", ".join(sorted(str(net) for net in peers)) or "none"


def _union(first, second):
    if first is ANY or second is ANY:
        return ANY
    return frozenset(first) | frozenset(second)


# ------------------------------------------------------------------ a live rule, summarised
class LiveRule:
    """What one accept rule lets in: protocols, ports, peers (ANY = no restriction), and where it is."""

    def __init__(self, where, name=None):
        self.where = where
        self.name = name
        self.protocols = ANY
        self.ports = ANY
        self.peers = ANY
        self.verdict = None
        self.established_only = False

    def narrow_peers(self, nets):
        self.peers = nets if self.peers is ANY else frozenset(self.peers) & frozenset(nets)

    def admits(self, protocol, port):
        return (self.protocols is ANY or protocol in self.protocols) and (self.ports is ANY or port in self.ports)


def _nft_values(right):
    """Literal values of an nft JSON match's right-hand side, or None when not understood."""
    if isinstance(right, (int, str)):
        return [right]
    if isinstance(right, dict):
        if "set" in right:
            values = []
            for item in right["set"]:
                found = _nft_values(item)
                if found is None:
                    return None
                values.extend(found)
            return values
        if "range" in right and len(right["range"]) == 2:
            low, high = right["range"]
            if isinstance(low, int) and isinstance(high, int) and high - low < 65536:
                return list(range(low, high + 1))
            try:  # nft shows adjacent addresses of a set as a range: 10.77.0.11-10.77.0.12
                return [str(net) for net in ipaddress.summarize_address_range(
                    ipaddress.ip_address(str(low)), ipaddress.ip_address(str(high)))]
            except (TypeError, ValueError):
                return None
        if "prefix" in right:
            return ["%s/%s" % (right["prefix"].get("addr"), right["prefix"].get("len"))]
    if isinstance(right, list):
        return _nft_values({"set": right})
    return None


def nft_rule(rule, where, direction="in"):
    """A LiveRule from one rule of ``nft -j list ruleset``."""
    live = LiveRule(where, rule.get("comment"))
    address = "saddr" if direction == "in" else "daddr"
    for expr in rule.get("expr") or []:
        for verdict in ("accept", "drop", "reject", "jump", "goto", "return", "queue"):
            if verdict in expr:
                live.verdict = verdict
        match = expr.get("match")
        if not isinstance(match, dict) or match.get("op", "==") not in ("==", "in"):
            continue  # negations and unknown statements: taken as matching everything
        left, values = match.get("left") or {}, _nft_values(match.get("right"))
        if "ct" in left:
            # ct state established,related: only packets of connections something else let in.
            states = set(str(v) for v in values or [])
            if states and "new" not in states and "untracked" not in states:
                live.established_only = True
            continue
        payload, meta = left.get("payload") or {}, left.get("meta") or {}
        if values is None:
            continue
        if payload.get("field") == "dport":
            if not all(isinstance(v, int) or str(v).isdigit() for v in values):
                continue  # a service name or a named set: taken as every port
            live.ports = frozenset(int(v) for v in values)
            if payload.get("protocol") in ("tcp", "udp"):
                live.protocols = frozenset([payload["protocol"]])
        elif payload.get("field") == address and payload.get("protocol") in ("ip", "ip6"):
            try:
                live.narrow_peers(frozenset(ipaddress.ip_network(str(v), strict=False) for v in values))
            except ValueError:
                continue
        elif meta.get("key") in ("l4proto", "protocol") or payload.get("field") in ("protocol", "nexthdr"):
            names = frozenset(str(v) for v in values)
            live.protocols = names if live.protocols is ANY else live.protocols & names
        elif meta.get("key") in ("iifname", "iif") and set(str(v) for v in values) == {"lo"}:
            live.established_only = True  # loopback only: nothing from the network
    return live


_IPT_WORD = re.compile(r'"[^"]*"|\S+')


def ipt_rule(line, where, direction="in"):
    """A LiveRule from one ``-A CHAIN ...`` line of iptables-save."""
    words = [w.strip('"') for w in _IPT_WORD.findall(line)]
    live = LiveRule(where)
    address = "-s" if direction == "in" else "-d"
    index, negate = 2, False
    while index < len(words):
        word = words[index]
        value = words[index + 1] if index + 1 < len(words) else ""
        if word == "!":
            negate = True
            index += 1
            continue
        if word in ("-j", "--jump", "-g", "--goto"):
            live.verdict = {"ACCEPT": "accept", "DROP": "drop", "REJECT": "reject", "RETURN": "return"}.get(
                value, "jump")
        elif word == "--comment":
            live.name = value
        elif not negate and word in ("-p", "--protocol"):
            live.protocols = frozenset([value.lower()])
        elif not negate and word in ("--dport", "--destination-port", "--dports", "--destination-ports"):
            ports = set()
            for part in value.split(","):
                low, _sep, high = part.partition(":")
                if low.isdigit() and (high.isdigit() or not high):
                    ports.update(range(int(low), int(high or low) + 1))
            live.ports = frozenset(ports)
        elif not negate and word == address:
            try:
                live.narrow_peers(frozenset(ipaddress.ip_network(v, strict=False) for v in value.split(",")))
            except ValueError:
                pass
        elif word in ("--ctstate", "--state"):
            live.established_only = "NEW" not in value.split(",") and not negate
        elif word in ("-i", "--in-interface") and value == "lo" and not negate:
            live.established_only = True
        negate = False
        index += 2 if word.startswith("-") and word not in ("!",) and value and not value.startswith("-") else 1
    return live


def ipt_chains(text):
    """{chain: [lines]} of the filter table of an iptables-save output."""
    chains, table = {}, None
    for line in (text or "").splitlines():
        if line.startswith("*"):
            table = line[1:].strip()
        elif table == "filter" and line.startswith("-A "):
            chains.setdefault(line.split()[1], []).append(line)
    return chains


# ------------------------------------------------------------------ the live state of a Linux host
def _nft_objects(text):
    if not (text or "").strip():
        return []
    try:
        return json.loads(text).get("nftables", [])
    except ValueError as exc:
        raise SesInputError(["could not read 'nft -j list ruleset' on the host (%s)" % exc])


def _nft_live(objects, ours, skip_tables):
    """(our rules, foreign accept rules) of an nft ruleset; ``ours`` maps (family, table, chain) to direction."""
    chains = {}
    for item in objects:
        chain = item.get("chain")
        if chain:
            chains[(chain["family"], chain["table"], chain["name"])] = chain
    input_tables = set(key[:2] for key, chain in chains.items() if chain.get("hook") == "input")
    own, foreign = [], []
    for item in objects:
        rule = item.get("rule")
        if not rule:
            continue
        key = (rule["family"], rule["table"], rule["chain"])
        where = "nft %s %s %s" % key
        if key in ours:
            own.append(nft_rule(rule, where, ours[key]))
            continue
        if key[0] not in ("inet", "ip", "ip6") or key[:2] in skip_tables or key[:2] not in input_tables:
            continue
        if chains.get(key, {}).get("hook") not in (None, "input"):
            continue  # forward, output, prerouting: not what reaches the host's services
        foreign.append(nft_rule(rule, where, "in"))
    return own, foreign


def _ipt_live(texts, label):
    """(our rules, foreign rules) of iptables-save outputs (IPv4 then IPv6)."""
    own, foreign = [], []
    for family, text in zip(("", "6"), texts):
        for chain, lines in ipt_chains(text).items():
            where = "%s%s filter %s" % (label, family, chain)
            if chain in _IPT_CHAINS:
                own.extend(ipt_rule(line, where, "in" if chain == "SES_IN" else "out") for line in lines)
            elif chain not in ("OUTPUT", "FORWARD"):
                foreign.extend(ipt_rule(line, where) for line in lines)
    return own, foreign


def linux_live(probe_output, options):
    """(our rules, foreign rules) from the probe of ``linux_ruleset`` (state probe)."""
    sections = split_sections(probe_output, PROBE_MARKER) + [""] * 12
    backend = options.get("backend", "nftables")
    if backend == "nftables":
        nft = NftOptions(options.get("nftables_mode", "standalone"), options.get("nftables_table", "ses_evolution"),
                         options.get("nftables_jump_from"), options.get("nftables_jump_from_output"),
                         options.get("filter_outbound", False))
        ours = dict((key, "in" if key[2].endswith("input") else "out") for key in nft.our_chains())
        own, foreign = _nft_live(_nft_objects(sections[0]), ours, set())
        legacy = _ipt_live(sections[3:5], "iptables-legacy")
        # A legacy table has no chains of ours: everything there is foreign.
        return own, foreign + legacy[0] + legacy[1]
    own, foreign = _ipt_live(sections[0:2], "iptables")
    # iptables-nft shows its tables in the nft ruleset too: read them once, from iptables-save.
    skip = {("ip", "filter"), ("ip6", "filter")} if sections[7].strip() == "nf_tables" else set()
    nft_own, nft_foreign = _nft_live(_nft_objects(sections[8]), {}, skip)
    legacy = _ipt_live(sections[9:11], "iptables-legacy") if sections[7].strip() != "legacy" else ([], [])
    return own, foreign + nft_own + nft_foreign + legacy[0] + legacy[1]


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
        entry["peers"] = _union(entry["peers"], rule.peers)
    for name in sorted(expected):
        rule = expected[name]
        want = networks(rule.get("peers"))
        want_text = "%s/%s from %s" % (rule["protocol"], rule["port"], _peers_text(want))
        if name not in live:
            findings.append(_finding("missing", name, "", "not in force: %s" % want_text, expected=want_text))
            continue
        got = live[name]
        got_text = "%s/%s from %s" % ("any" if got["protocols"] is ANY else "+".join(sorted(got["protocols"])),
                                      "any" if got["ports"] is ANY else "+".join(str(p) for p in sorted(got["ports"])),
                                      _peers_text(got["peers"]))
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
            allowed = _union(allowed, networks(rule.get("peers")))
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
            key = (rule.where, protocol, port, _peers_text(rule.peers))
            if key in seen:
                continue
            seen.add(key)
            findings.append(_finding(
                "exposure", rule.name, rule.where,
                "accepts %s/%d from %s; the matrix allows %s" % (protocol, port, _peers_text(rule.peers),
                                                                 _peers_text(allowed) if allowed else "nobody"),
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
_WIN_PROTOCOLS = {6: "tcp", 17: "udp"}
# Profiles whose filtering is off, and Group Policy that ignores local rules, leave every port as open as the
# host's other filtering makes it: both are exposure.
_WIN_PROFILES = ("Domain", "Private", "Public")


def win_addresses(text):
    """INetFwRule RemoteAddresses ("*", "10.0.0.1/255.255.255.255", "a-b", IPv6, keywords) as networks()."""
    found = set()
    for token in str(text if text is not None else "*").split(","):
        token = token.strip()
        if not token or token == "*" or token.lower() in ("any",):
            return ANY
        try:
            if "-" in token:
                low, high = (ipaddress.ip_address(part.strip()) for part in token.split("-", 1))
                found.update(ipaddress.summarize_address_range(low, high))
            else:
                found.add(ipaddress.ip_network(token, strict=False))
        except (TypeError, ValueError):
            return ANY  # a keyword (LocalSubnet, Internet, ...): taken as any address
    return frozenset(found) or ANY


def win_ports(text):
    """INetFwRule LocalPorts as a frozenset of numbers, ANY for "*"; keywords (RPC, Teredo, ...) add none."""
    if text is None or str(text).strip() in ("", "*"):
        return ANY
    ports = set()
    for token in str(text).split(","):
        low, _sep, high = token.strip().partition("-")
        if low.isdigit() and (high.isdigit() or not high):
            ports.update(range(int(low), int(high or low) + 1))
    return frozenset(ports)


def win_rule(raw):
    """A LiveRule from one rule read on a Windows host (raw INetFwRule properties)."""
    live = LiveRule("rule %r" % raw.get("Name"), raw.get("Name"))
    protocol = raw.get("Protocol")
    live.protocols = ANY if protocol in (256, None) else frozenset([_WIN_PROTOCOLS.get(protocol, str(protocol))])
    live.ports = win_ports(raw.get("LocalPorts")) if protocol in (6, 17) else ANY
    live.peers = win_addresses(raw.get("RemoteAddresses"))
    enabled = raw.get("Enabled") in (True, "True", "true", 1)
    live.verdict = "accept" if raw.get("Action") == 1 and raw.get("Direction") == 1 and enabled else None
    # Bound to a program or a service: it admits only that program's sockets, not the SES services'.
    live.established_only = bool(raw.get("ApplicationName") or raw.get("ServiceName"))
    return live


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
