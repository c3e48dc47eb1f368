# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the nftables and iptables renderers share: checked rules, management sources, rule-level changes.

A rule the renderers cannot express exactly is an error naming the rule and
the fix, never a silently dropped or widened rule.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import SesInputError

__metaclass__ = type

ANY = "any"
PROTOCOLS = ("tcp", "udp")
DIRECTIONS = ("in", "out")
# Rule names end up in nftables and iptables comments: keep them to characters
# that need no quoting in either (and in a shell here-document).
_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,120}$")
_COMMENT = re.compile(r'(?:--comment |comment ")([A-Za-z0-9_.:-]+)')
MANAGEMENT_NAME = "ses_management"
# Rules every render carries (not matrix rules): left out of the added/removed counts.
FIXED_NAMES = frozenset(("ses_established", "ses_loopback", "ses_icmpv6_nd", "ses_icmp_echo", "ses_icmpv6_echo",
                         "ses_final_drop"))


class Peers:
    """The peers of a rule, split by family; ``any`` is True for a rule without address match."""

    __slots__ = ("any", "v4", "v6")

    def __init__(self, any_peer, v4, v6):
        self.any = any_peer
        self.v4 = v4
        self.v6 = v6

    def families(self):
        """(family, [CIDR strings]) pairs to render, ("any", []) for a rule without address match."""
        if self.any:
            return [(ANY, [])]
        pairs = []
        if self.v4:
            pairs.append(("ipv4", self.v4))
        if self.v6:
            pairs.append(("ipv6", self.v6))
        return pairs


class Rule:
    """One checked matrix rule."""

    __slots__ = ("name", "direction", "protocol", "port", "peers")

    def __init__(self, name, direction, protocol, port, peers):
        self.name = name
        self.direction = direction
        self.protocol = protocol
        self.port = port
        self.peers = peers


def parse_peers(value, where, problems):
    """A peer list (CIDRs, bare addresses or "any") as Peers; records problems."""
    if value is None or isinstance(value, (str, bytes)):
        value = [value] if isinstance(value, (str, bytes)) else []
    v4, v6 = [], []
    for item in value:
        text = str(item).strip()
        if text.lower() == ANY:
            return Peers(True, [], [])
        try:
            network = ipaddress.ip_network(text, strict=True)
        except ValueError as exc:
            problems.append("%s: peer %r is not a CIDR (%s); write it as 10.20.0.0/16 or 2001:db8::/64"
                            % (where, item, exc))
            continue
        if isinstance(network, ipaddress.IPv6Network) and network.network_address.ipv4_mapped:
            mapped = network.network_address.ipv4_mapped
            network = ipaddress.ip_network("%s/%d" % (mapped, max(network.prefixlen - 96, 0)))
        (v4 if network.version == 4 else v6).append(network)
    return Peers(False,
                 [str(n) for n in ipaddress.collapse_addresses(v4)] if v4 else [],
                 [str(n) for n in ipaddress.collapse_addresses(v6)] if v6 else [])


def check_rules(rules, variable="linux_firewall_rules"):
    """The matrix rule dicts as Rule objects; raises SesInputError naming every bad rule and the fix."""
    problems = []
    if rules is None:
        rules = []
    if isinstance(rules, (str, bytes)) or hasattr(rules, "keys") or not hasattr(rules, "__iter__"):
        raise SesInputError(["%s must be a list of matrix rules (see docs/matrix.md), got %r" % (variable, rules)])
    checked, seen = [], set()
    for index, rule in enumerate(rules):
        where = "%s[%d]" % (variable, index)
        if not hasattr(rule, "get"):
            problems.append("%s must be a rule dict with name, direction, protocol, port and peers, got %r"
                            % (where, rule))
            continue
        name = str(rule.get("name", ""))
        if name:
            where = "%s[%d] (%s)" % (variable, index, name)
        if not _NAME.match(name):
            problems.append("%s: name must be 1-120 letters, digits or _.:- (it becomes the rule comment)" % where)
        elif name in seen:
            problems.append("%s: the name is used twice; rule names must be unique on a host" % where)
        seen.add(name)
        direction = str(rule.get("direction", "")).lower()
        if direction not in DIRECTIONS:
            problems.append("%s: direction must be 'in' or 'out', got %r" % (where, rule.get("direction")))
        protocol = str(rule.get("protocol", "")).lower()
        if protocol not in PROTOCOLS:
            problems.append("%s: protocol must be 'tcp' or 'udp', got %r" % (where, rule.get("protocol")))
        port = rule.get("port")
        try:
            port_number = int(port)
            if isinstance(port, bool) or str(port).strip() != str(port_number) or not 1 <= port_number <= 65535:
                raise ValueError
        except (TypeError, ValueError):
            problems.append("%s: port must be one integer from 1 to 65535, got %r" % (where, port))
            port_number = None
        peers = parse_peers(rule.get("peers"), where, problems)
        if not peers.any and not peers.v4 and not peers.v6:
            problems.append("%s: peers is empty; give CIDRs, or [\"any\"] for a rule open to every address"
                            % where)
        checked.append(Rule(name, direction, protocol, port_number, peers))
    if problems:
        raise SesInputError(problems)
    return checked


def management_peers(sources, connection_client=None):
    """The management allowlist as Peers, or None when there is none.

    ``sources`` is the user's list (None: derive it); ``connection_client`` the
    SSH_CLIENT / SSH_CONNECTION value seen on the host ("ADDR PORT ..."), the
    address Ansible connects from.
    """
    problems = []
    if sources is None:
        client = (connection_client or "").split()
        sources = [client[0]] if client else []
    items = []
    if isinstance(sources, (str, bytes)) or not hasattr(sources, "__iter__"):
        sources = [sources]
    for item in sources:
        text = str(item).strip()
        if text and text.lower() != ANY and "/" not in text:
            try:
                address = ipaddress.ip_address(text.split("%", maxsplit=1)[0])
            except ValueError:
                problems.append("linux_firewall_management_sources holds %r, which is not an address or CIDR" % item)
                continue
            text = "%s/%d" % (address, address.max_prefixlen)
        items.append(text)
    peers = parse_peers(items, "linux_firewall_management_sources", problems)
    if problems:
        raise SesInputError(problems)
    if not peers.any and not peers.v4 and not peers.v6:
        return None
    return peers


def rule_lines(text):
    """{rule name: [lines]} of a rendered rule set (rules are found by their comment)."""
    found = {}
    for line in (text or "").splitlines():
        match = _COMMENT.search(line)
        if match and not line.lstrip().startswith("#"):
            found.setdefault(match.group(1), []).append(line.strip())
    return found


def rule_changes(previous_text, desired_text):
    """(added, removed) rule names between two renders; a changed rule counts as both."""
    before, after = rule_lines(previous_text), rule_lines(desired_text)
    for name in FIXED_NAMES:
        before.pop(name, None)
        after.pop(name, None)
    added = sorted(name for name in after if before.get(name) != after[name])
    removed = sorted(name for name in before if after.get(name) != before[name])
    return added, removed


FINGERPRINT_PREFIX = "# live fingerprint: "


def stored_state(stored, desired, fingerprint):
    """Compare the stored copy of the last apply with the desired render (both backends).

    The stored copy is the render plus the live fingerprint taken after that apply,
    so one comparison catches both a new rule set and live rules changed behind our back.
    """
    stored = stored.strip("\n")
    stored = stored + "\n" if stored else ""
    expected = desired + FINGERPRINT_PREFIX + (fingerprint.strip() or "none") + "\n"
    previous = stored.split(FINGERPRINT_PREFIX, maxsplit=1)[0] if stored else ""
    added, removed = rule_changes(previous, desired)
    return {
        "changed": stored != expected,
        "drift": bool(stored) and previous == desired and stored != expected,
        "added": added,
        "removed": removed,
        "before": stored,
        "after": expected,
        "desired": desired,
        "digest": hashlib.sha256(desired.encode("utf-8")).hexdigest(),
    }


def split_sections(probe_output, marker):
    """The sections of a probe's output, split on lines equal to ``marker``."""
    sections, current = [], []
    for line in (probe_output or "").splitlines():
        if line.strip() == marker:
            sections.append("\n".join(current))
            current = []
        else:
            current.append(line)
    sections.append("\n".join(current))
    return sections
