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
_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,120}\Z")
_COMMENT = re.compile(r'(?:--comment |comment ")([A-Za-z0-9_.:-]+)')
MANAGEMENT_NAME = "ses_management"
# The comment of our jump from a base chain, and the line between the sections of the host's probe
# (plugins/modules/linux_ruleset.py has its own copies: a test ties them).
JUMP_COMMENT = "ses_evolution_jump"
PROBE_MARKER = "--ses-evolution-probe--"
# Rules every render carries (not matrix rules): left out of the added/removed counts.
FIXED_NAMES = frozenset(("ses_established", "ses_loopback", "ses_icmpv6_nd", "ses_icmp_echo", "ses_icmpv6_echo",
                         "ses_final_drop"))


# nft identifiers (table and chain names), a subset of nft's own syntax: they are handed to nft,
# which joins its arguments and parses them again, so nothing else may pass.
_NFT_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}\Z")
# The collection's own table also prefixes its chain names: letters, digits and _ only.
_NFT_TABLE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,48}\Z")
NFT_FAMILIES = ("inet", "ip", "ip6")
# First words of nft commands that only make sense outside a chain.
_NFT_COMMANDS = frozenset(("add", "create", "insert", "replace", "delete", "destroy", "flush", "list", "reset",
                           "rename", "table", "chain", "include", "define", "undefine", "redefine", "monitor",
                           "describe", "export", "import", "set", "map", "element", "flowtable"))
# iptables options that change another chain or table than the one the statement is appended to.
_IPTABLES_COMMANDS = frozenset(("-A", "-I", "-D", "-R", "-F", "-Z", "-N", "-X", "-P", "-E", "-L", "-S", "-C",
                                "-t", "--append", "--insert", "--delete", "--replace", "--flush", "--zero",
                                "--new-chain", "--delete-chain", "--policy", "--rename-chain", "--list",
                                "--list-rules", "--check", "--table"))
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]")


def check_nft_table(value, variable, problems):
    """The collection's table name, or None with a problem recorded."""
    if isinstance(value, str) and _NFT_TABLE.match(value):
        return value
    problems.append("%s must be a letter then up to 48 letters, digits or _, got %r" % (variable, value))
    return None


def check_nft_chain_spec(value, variable, problems):
    """'FAMILY TABLE CHAIN' as a (family, table, chain) tuple, or None with a problem recorded."""
    parts = value.split(" ") if isinstance(value, str) else []
    if len(parts) == 3 and parts[0] in NFT_FAMILIES and all(_NFT_IDENTIFIER.match(part) for part in parts[1:]):
        return tuple(parts)
    problems.append("%s must name a base chain as 'FAMILY TABLE CHAIN', one space apart (family inet, ip or ip6; "
                    "table and chain made of letters, digits and _.-), for example 'inet filter input'; got %r"
                    % (variable, value))
    return None


def _nft_statement_problem(text):
    """Why ``text`` is not one nft rule statement, or None."""
    if not text.strip():
        return "it is empty"
    if _CONTROL.search(text):
        return "it holds a newline or another control character"
    depth, quoted = 0, False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif char in ";#":
            return "it holds %r, which ends the statement" % char
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                return "a '}' closes more than it opened"
    if quoted:
        return "a quote is not closed"
    if depth:
        return "a '{' is not closed"
    if text.split()[0].lower() in _NFT_COMMANDS:
        return "it starts with the command %r, not a rule statement" % text.split()[0]
    return None


def _iptables_statement_problem(text):
    """Why ``text`` is not one iptables rule specification, or None."""
    if not text.strip():
        return "it is empty"
    if _CONTROL.search(text):
        return "it holds a newline or another control character"
    if text.count('"') % 2:
        return "a quote is not closed"
    words = text.split()
    if words[0].startswith(("*", ":", "#")) or words[0] == "COMMIT":
        return "it starts like an iptables-restore line (%r), not a rule specification" % words[0]
    for word in words:
        if word in _IPTABLES_COMMANDS:
            return "it holds the command %r; give only the match and target, for example '-p tcp --dport 80 " \
                   "-j ACCEPT'" % word
    return None


def check_extra_statements(statements, backend, variable, problems):
    """Each raw statement must be one rule statement of ``backend``; records a problem per bad one."""
    why = _nft_statement_problem if backend == "nftables" else _iptables_statement_problem
    for index, statement in enumerate(statements):
        reason = why(statement) if isinstance(statement, str) else "it is not a string"
        if reason:
            problems.append("%s[%d] must be one %s rule statement on one line, but %s: %r"
                            % (variable, index, "nft" if backend == "nftables" else "iptables", reason, statement))


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
    explicit = sources is not None
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
    if not problems and explicit and not admits(peers, connection_client):
        client = (connection_client or "").split()[0]
        problems.append("linux_firewall_management_sources (%s) does not admit %s, the address this host sees "
                        "Ansible connect from (SSH_CONNECTION): the new rules would lock Ansible out, so nothing "
                        "was changed. Add %s (or its network) to linux_firewall_management_sources."
                        % (", ".join(items) or "empty", client, client))
    if problems:
        raise SesInputError(problems)
    if not peers.any and not peers.v4 and not peers.v6:
        return None
    return peers


def admits(peers, connection_client):
    """Whether the client address of ``connection_client`` ("ADDR PORT ...") falls in ``peers``.

    True when the address is unknown (a local connection): there is nothing to check then.
    """
    words = (connection_client or "").split()
    if not words or peers.any:
        return True
    try:
        address = ipaddress.ip_address(words[0].split("%", maxsplit=1)[0])
    except ValueError:
        return True
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    networks = peers.v4 if address.version == 4 else peers.v6
    return any(address in ipaddress.ip_network(network) for network in networks)


def management_rule(sources, port, connection_client=None):
    """The management rule (TCP ``port`` from the management sources) as a Rule, or None when there are none."""
    peers = management_peers(sources, connection_client)
    if peers is None:
        return None
    rule = check_rules([{"name": MANAGEMENT_NAME, "direction": "in", "protocol": "tcp", "port": port,
                         "peers": ["any"]}], "linux_firewall_management_port")[0]
    rule.peers = peers
    return rule


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


def _has_verdict(expr, verdicts):
    return any(isinstance(item, dict) and any(key in item for key in verdicts) for item in expr or [])


def nft_dropping_base_chains(objects, hooks, exempt):
    """[((family, table, chain), chain dict, reasons)] of nft base chains on ``hooks`` that drop.

    ``objects`` is ``nft -j list ruleset``'s list; chains in ``exempt`` (a
    predicate on the key) are ours or hold our jump.
    """
    chains, drops = {}, set()
    for item in objects:
        chain = item.get("chain")
        if chain and chain.get("hook") in hooks and chain.get("family") in NFT_FAMILIES:
            chains[(chain["family"], chain["table"], chain["name"])] = chain
        rule = item.get("rule")
        if rule and _has_verdict(rule.get("expr"), ("drop", "reject")):
            drops.add((rule["family"], rule["table"], rule["chain"]))
    found = []
    for key in sorted(chains):
        if exempt(key):
            continue
        reasons = (["policy drop"] if chains[key].get("policy") == "drop" else []) + \
            (["drop/reject rules"] if key in drops else [])
        if reasons:
            found.append((key, chains[key], reasons))
    return found


def legacy_iptables_warnings(saves, hooks):
    """Warnings for legacy iptables filter chains (outside nftables) that drop what our rules accept.

    ``saves`` are ``iptables-legacy-save -t filter`` and ``ip6tables-legacy-save
    -t filter`` ('' when the legacy tables are not loaded); ``hooks`` the base
    chains that matter (INPUT, and OUTPUT with outbound filtering).
    """
    warnings = []
    for tool, text in zip(("iptables-legacy", "ip6tables-legacy"), saves):
        for chain in hooks:
            reasons = []
            if re.search(r"^:%s DROP\b" % chain, text or "", re.M):
                reasons.append("policy DROP")
            if re.search(r"^-A %s (.* )?-j (DROP|REJECT)\b" % chain, text or "", re.M):
                reasons.append("DROP/REJECT rules")
            if reasons:
                warnings.append(
                    "legacy %s filter chain %s has %s: legacy iptables filters besides our rules and an accept in "
                    "them does not override it, so SES traffic may still be dropped there. Accept the SES ports "
                    "there too ('%s -I %s ...'), or move those rules to nftables."
                    % (tool, chain, " and ".join(reasons), tool, chain))
    return warnings
