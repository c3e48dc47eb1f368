# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Matrix rules as an nftables script, and the plan that applies it next to the host's live ruleset.

The collection owns one table (``inet ses_evolution``) in ``standalone`` mode,
and replaces only that table: ``table X`` / ``delete table X`` / ``table X {...}``
in one ``nft -f`` transaction is idempotent and atomic on nftables 1.0.6 (no
``destroy`` needed), and other tables survive.

In ``integrate`` mode the rules live in regular chains of the user's table,
because nftables cannot jump from one table to another: one rule at the top of
the user's base chain jumps to them.
"""

from __future__ import annotations

import json

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import SesInputError
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.values import to_bool
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.linux_rules import (
    JUMP_COMMENT,
    PROBE_MARKER,
    NFT_FAMILIES,
    check_extra_statements,
    check_nft_chain_spec,
    check_nft_table,
    check_rules,
    legacy_iptables_warnings,
    management_rule,
    nft_dropping_base_chains,
    split_sections,
    stored_state,
)

__metaclass__ = type

MODES = ("standalone", "integrate")
FAMILIES = NFT_FAMILIES
HEADER = ("#!/usr/sbin/nft -f\n"
          "# Managed by the ses_evolution.firewall linux_firewall role: edits are replaced on its next run.\n")
# IPv6 needs neighbour discovery to reach anything: a drop policy without these breaks IPv6 entirely.
_ND_TYPES = "nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, nd-router-advert"


class NftOptions:
    """The role's nftables settings, checked once."""

    def __init__(self, mode="standalone", table="ses_evolution", jump_from=None, jump_from_output=None,
                 filter_outbound=False, allow_icmp=True):
        problems = []
        self.mode = mode
        if mode not in MODES:
            problems.append("linux_firewall_nftables_mode must be standalone or integrate, got %r" % (mode,))
        self.table = check_nft_table(table, "linux_firewall_nftables_table", problems)
        self.filter_outbound = to_bool(filter_outbound, "linux_firewall_filter_outbound", problems)
        self.allow_icmp = to_bool(allow_icmp, "linux_firewall_allow_icmp", problems)
        self.jump_input = self.jump_output = None
        if mode == "integrate":
            self.jump_input = _chain_spec(jump_from, "linux_firewall_nftables_jump_from", problems, True)
            if self.filter_outbound:
                self.jump_output = _chain_spec(jump_from_output, "linux_firewall_nftables_jump_from_output",
                                               problems, True)
        if problems:
            raise SesInputError(problems)

    def our_chains(self):
        """(family, table, chain) of every chain holding our rules."""
        if self.mode == "standalone":
            chains = [("inet", self.table, "input")]
            if self.filter_outbound:
                chains.append(("inet", self.table, "output"))
            return chains
        chains = [(self.jump_input[0], self.jump_input[1], self.table + "_input")]
        if self.jump_output:
            chains.append((self.jump_output[0], self.jump_output[1], self.table + "_output"))
        return chains


def _chain_spec(value, variable, problems, required):
    if value in (None, "") and not required:
        return None
    return check_nft_chain_spec(value, variable, problems)


def _rule_lines(rule, chain_family):
    """nft statements for one matrix rule in a chain of ``chain_family``."""
    lines = []
    address = "saddr" if rule.direction == "in" else "daddr"
    for family, cidrs in rule.peers.families():
        if family == "ipv4" and chain_family == "ip6" or family == "ipv6" and chain_family == "ip":
            continue
        match = ""
        if cidrs:
            keyword = "ip" if family == "ipv4" else "ip6"
            value = cidrs[0] if len(cidrs) == 1 else "{ %s }" % ", ".join(cidrs)
            match = "%s %s %s " % (keyword, address, value)
        lines.append('%s%s dport %d accept comment "%s"' % (match, rule.protocol, rule.port, rule.name))
    return lines


def _prelude(direction, family, options, management):
    lines = ['ct state established,related accept comment "ses_established"',
             ('iifname' if direction == "in" else 'oifname') + ' "lo" accept comment "ses_loopback"']
    if family in ("inet", "ip6"):
        lines.append('icmpv6 type { %s } accept comment "ses_icmpv6_nd"' % _ND_TYPES)
    if options.allow_icmp:
        if family in ("inet", "ip"):
            lines.append('icmp type echo-request accept comment "ses_icmp_echo"')
        if family in ("inet", "ip6"):
            lines.append('icmpv6 type echo-request accept comment "ses_icmpv6_echo"')
    if direction == "in" and management is not None:
        lines.extend(_rule_lines(management, family))
    return lines


def render_nftables(rules, mode="standalone", filter_outbound=False, management_sources=None,
                    management_port=22, connection_client=None, table="ses_evolution", jump_from=None,
                    jump_from_output=None, allow_icmp=True, extra_input=None, extra_output=None):
    """The nft script for ``rules`` (the persistent form; the plan adds what the live ruleset needs).

    ``extra_input`` / ``extra_output`` are raw nft statements appended to our chains, as given.
    """
    options = NftOptions(mode, table, jump_from, jump_from_output, filter_outbound, allow_icmp)
    problems = []
    for variable, statements in (("linux_firewall_extra_input", extra_input),
                                 ("linux_firewall_extra_output", extra_output)):
        check_extra_statements(list(statements or []), "nftables", variable, problems)
    if problems:
        raise SesInputError(problems)
    checked = check_rules(rules)
    management = management_rule(management_sources, management_port, connection_client)
    chains = []
    for family, table_name, chain in options.our_chains():
        direction = "in" if chain.endswith("input") else "out"
        body = _prelude(direction, family, options, management)
        for rule in checked:
            if rule.direction == direction:
                body.extend(_rule_lines(rule, family))
        body.extend(str(line).strip() for line in (extra_input if direction == "in" else extra_output) or [])
        chains.append((family, table_name, chain, body))

    out = [HEADER]
    if options.mode == "standalone":
        out.append("table inet %s\ndelete table inet %s\ntable inet %s {" % ((options.table,) * 3))
        for family, table_name, chain, body in chains:
            out.append("\tchain %s {" % chain)
            out.append("\t\ttype filter hook %s priority filter; policy drop;" % chain)
            out.extend("\t\t" + line for line in body)
            out.append("\t}")
        out.append("}")
    else:
        for family, table_name, chain, body in chains:
            out.append("add chain %s %s %s\nflush chain %s %s %s" % ((family, table_name, chain) * 2))
            out.extend("add rule %s %s %s %s" % (family, table_name, chain, line) for line in body)
        bases = [options.jump_input] + ([options.jump_output] if options.jump_output else [])
        for (family, table_name, base), (_f, _t, chain, _b) in zip(bases, chains):
            # insert = first rule of the base chain: our accepts run before the user's drops.
            out.append('insert rule %s %s %s jump %s comment "%s"' % (family, table_name, base, chain, JUMP_COMMENT))
    return "\n".join(out) + "\n"


def _ruleset_objects(text):
    if not text.strip():
        return []
    try:
        return json.loads(text).get("nftables", [])
    except ValueError as exc:
        raise SesInputError(["could not read 'nft -j list ruleset' on the host (%s)" % exc])


def defeating_chains(objects, options):
    """Warnings for base chains outside ours that may drop what our rules accept."""
    exempt = {options.jump_input, options.jump_output}
    found = nft_dropping_base_chains(objects, ["input"] + (["output"] if options.filter_outbound else []),
                                     lambda key: key in exempt or key[:2] == ("inet", options.table))
    warnings = []
    for key, chain, reasons in found:
        what = "%s %s %s" % key
        warnings.append(
            "base chain '%s' (hook %s, priority %s) has %s: an accept in our rules does not override it, so "
            "SES traffic may still be dropped there. Either run with linux_firewall_nftables_mode: integrate and "
            "linux_firewall_nftables_jump_from: '%s', or accept the SES ports in that chain yourself."
            % (what, chain.get("hook"), chain.get("prio"), " and ".join(reasons), what))
    return warnings


def _other_backend(objects):
    """A warning when the iptables backend's chains are still loaded (through iptables-nft)."""
    left = sorted("%s %s %s" % (c["family"], c["table"], c["name"]) for c in
                  (item["chain"] for item in objects if "chain" in item)
                  if c["name"] in ("SES_IN", "SES_OUT") and c["table"] == "filter")
    if not left:
        return []
    return ["the iptables backend's chains are still loaded (%s) and still filter next to this table: remove "
            "them with 'iptables -D INPUT -m comment --comment ses_evolution_jump -j SES_IN; iptables -F SES_IN; "
            "iptables -X SES_IN' (and the same for SES_OUT and ip6tables)" % ", ".join(left)]


def nftables_plan(probe_output, desired, mode="standalone", table="ses_evolution", jump_from=None,
                  jump_from_output=None, filter_outbound=False):
    """What to do on a host, from its probe output and the desired script.

    The probe prints ``nft -j list ruleset``, the fingerprint of our live
    objects, the stored copy of the last applied script and the legacy iptables
    filter tables (IPv4, IPv6; empty when not loaded), separated by
    PROBE_MARKER lines. The stored copy is the desired script plus the live
    fingerprint after that apply, so one comparison catches both a new rule set
    and a live table changed behind our back.
    """
    options = NftOptions(mode, table, jump_from, jump_from_output, filter_outbound)
    sections = split_sections(probe_output, PROBE_MARKER) + ["", "", "", ""]
    objects = _ruleset_objects(sections[0])
    fingerprint, stored, legacy = sections[1], sections[2], sections[3:5]

    problems = []
    chains = dict(((c["family"], c["table"], c["name"]), c) for c in
                  (item["chain"] for item in objects if "chain" in item))
    for base, variable in ((options.jump_input, "linux_firewall_nftables_jump_from"),
                           (options.jump_output, "linux_firewall_nftables_jump_from_output")):
        if base and "hook" not in chains.get(base, {}):
            problems.append("%s: the host has no base chain '%s' (nft list chains shows them); create it in "
                            "/etc/nftables.conf or use linux_firewall_nftables_mode: standalone"
                            % (variable, " ".join(base)))
    if problems:
        raise SesInputError(problems)

    # Remove what an earlier run left in another place (another mode, another jump_from):
    # old jumps by handle, our chains where they no longer belong, our table in integrate mode.
    cleanup = []
    wanted = set(options.our_chains())
    for item in objects:
        rule = item.get("rule")
        if rule and rule.get("comment") == JUMP_COMMENT:
            cleanup.append("delete rule %s %s %s handle %d" % (rule["family"], rule["table"], rule["chain"],
                                                               rule["handle"]))
    for key in sorted(chains):
        if key[2] in (options.table + "_input", options.table + "_output") and key not in wanted \
                and key[1] != options.table:
            cleanup.append("delete chain %s %s %s" % key)
    if options.mode == "integrate":
        cleanup.append("table inet %s\ndelete table inet %s" % (options.table, options.table))

    plan = stored_state(stored, desired, fingerprint)
    plan.update({
        "apply": desired.replace(HEADER, HEADER + "".join(line + "\n" for line in cleanup), 1),
        "warnings": defeating_chains(objects, options) + _other_backend(objects)
        + legacy_iptables_warnings(legacy, ["INPUT"] + (["OUTPUT"] if options.filter_outbound else [])),
    })
    return plan
