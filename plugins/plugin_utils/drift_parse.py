# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Live rules as the drift audit reads them: nft JSON, iptables-save and Windows rules summarised.

Each accept rule becomes a ``LiveRule`` (protocols, ports, peers, where it is). A match this
module does not understand is taken as matching everything (``ANY``), so an unknown construct
can add an exposure finding but never hide one. drift.py compares them with the matrix.
"""

from __future__ import annotations

import ipaddress
import json
import re

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import SesInputError
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.linux_rules import PROBE_MARKER, split_sections
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.render_nftables import NftOptions

__metaclass__ = type

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


def peers_text(peers):
    return "any" if peers is ANY else ", ".join(sorted(str(net) for net in peers)) or "none"


def union(first, second):
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
