# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Matrix rules as iptables-restore input: our own chains SES_IN / SES_OUT, one jump each.

The rendered text is in iptables-save format (the format of netfilter-persistent's
rules.v4 / rules.v6). The plan turns it into a ``--noflush`` restore file: the
``:SES_IN`` line flushes only our chain, existing jumps are deleted and one is
inserted first in INPUT / OUTPUT, all in one per-table transaction; other
chains and rules are untouched.
"""

from __future__ import annotations

import json
import re

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import SesInputError
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.values import to_bool
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.linux_rules import (
    JUMP_COMMENT,
    PROBE_MARKER,
    check_extra_statements,
    check_rules,
    legacy_iptables_warnings,
    management_rule,
    nft_dropping_base_chains,
    split_sections,
    stored_state,
)

__metaclass__ = type

CHAINS = {"in": ("INPUT", "SES_IN"), "out": ("OUTPUT", "SES_OUT")}
FAMILY_HEADER = "# family: "
_OUR_LINE = re.compile(r"^(:SES_(IN|OUT) |-A SES_(IN|OUT) |-A (INPUT|OUTPUT) .*-j SES_(IN|OUT)$)")
_JUMP_LINE = re.compile(r"^-A (INPUT|OUTPUT) (.* )?-j SES_(IN|OUT)$")
# IPv6 neighbour discovery (router solicit/advert, neighbour solicit/advert): without it IPv6 stops working.
_ND_TYPES = (133, 134, 135, 136)


def _rule_lines(rule, family, chain):
    option = "-s" if rule.direction == "in" else "-d"
    lines = []
    for peer_family, cidrs in rule.peers.families():
        if peer_family not in ("any", family):
            continue
        for cidr in cidrs or [None]:
            match = "%s %s " % (option, cidr) if cidr else ""
            lines.append("-A %s %s-p %s -m %s --dport %d -m comment --comment %s -j ACCEPT"
                         % (chain, match, rule.protocol, rule.protocol, rule.port, rule.name))
    return lines


def _prelude(chain, direction, family, allow_icmp, management):
    interface = "-i" if direction == "in" else "-o"
    lines = ["-A %s -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment ses_established -j ACCEPT" % chain,
             "-A %s %s lo -m comment --comment ses_loopback -j ACCEPT" % (chain, interface)]
    if family == "ipv6":
        lines.extend("-A %s -p ipv6-icmp -m icmp6 --icmpv6-type %d -m comment --comment ses_icmpv6_nd -j ACCEPT"
                     % (chain, icmp_type) for icmp_type in _ND_TYPES)
    if allow_icmp:
        lines.append("-A %s -p icmp -m icmp --icmp-type 8 -m comment --comment ses_icmp_echo -j ACCEPT" % chain
                     if family == "ipv4" else
                     "-A %s -p ipv6-icmp -m icmp6 --icmpv6-type 128 -m comment --comment ses_icmpv6_echo -j ACCEPT"
                     % chain)
    if direction == "in" and management is not None:
        lines.extend(_rule_lines(management, family, chain))
    return lines


def render_iptables(rules, family="ipv4", filter_outbound=False, management_sources=None, management_port=22,
                    connection_client=None, final_drop=True, allow_icmp=True, extra_input=None, extra_output=None):
    """Our chains for ``family`` (ipv4: iptables, ipv6: ip6tables), in iptables-save format.

    ``extra_input`` / ``extra_output`` are raw rule specifications appended to SES_IN / SES_OUT
    (for example ``-p tcp --dport 80 -j ACCEPT``), before the final drop.
    """
    if family not in ("ipv4", "ipv6"):
        raise ValueError("family must be ipv4 or ipv6, got %r" % (family,))
    problems = []
    filter_outbound = to_bool(filter_outbound, "linux_firewall_filter_outbound", problems)
    final_drop = to_bool(final_drop, "linux_firewall_iptables_final_drop", problems)
    allow_icmp = to_bool(allow_icmp, "linux_firewall_allow_icmp", problems)
    for variable, statements in (("linux_firewall_extra_input", extra_input),
                                 ("linux_firewall_extra_output", extra_output)):
        check_extra_statements(list(statements or []), "iptables", variable, problems)
    if problems:
        raise SesInputError(problems)
    checked = check_rules(rules)
    management = management_rule(management_sources, management_port, connection_client)
    directions = ["in"] + (["out"] if filter_outbound else [])
    head, jumps, body = ["*filter"], [], []
    for direction in directions:
        base, chain = CHAINS[direction]
        head.append(":%s - [0:0]" % chain)
        jumps.append("-A %s -m comment --comment %s -j %s" % (base, JUMP_COMMENT, chain))
        body.extend(_prelude(chain, direction, family, allow_icmp, management))
        for rule in checked:
            if rule.direction == direction:
                body.extend(_rule_lines(rule, family, chain))
        extra = extra_input if direction == "in" else extra_output
        body.extend("-A %s %s" % (chain, str(line).strip()) for line in extra or [])
        if final_drop:
            body.append("-A %s -m comment --comment ses_final_drop -j DROP" % chain)
    return "\n".join(head + jumps + body + ["COMMIT"]) + "\n"


def _restore_text(desired, live_save):
    """The --noflush restore file that turns the live filter table into one with ``desired`` chains."""
    lines = desired.splitlines()
    declared = set(line.split()[0][1:] for line in lines if line.startswith(":"))
    out = ["*filter"] + [line for line in lines if line.startswith(":")]
    live_chains = set()
    for line in live_save.splitlines():
        if line.startswith(":SES_"):
            live_chains.add(line.split()[0][1:])
        if _JUMP_LINE.match(line):
            out.append("-D" + line[2:])
    # A chain we no longer want (outbound filtering turned off) is flushed, then removed once unreferenced.
    stale = sorted(live_chains - declared)
    out[1:1] = [":%s - [0:0]" % chain for chain in stale]
    for line in lines:
        if _JUMP_LINE.match(line):
            out.append("-I" + line[2:].replace(" -m", " 1 -m", 1))
        elif line.startswith("-A "):
            out.append(line)
    out.extend("-X %s" % chain for chain in stale)
    return "\n".join(out + ["COMMIT"]) + "\n"


def merge_rules_file(existing, desired):
    """A netfilter-persistent rules file (rules.v4 / rules.v6) with our chains replaced by ``desired``.

    Every other table, chain and rule of ``existing`` is kept as it is; our
    jumps become the first rules of INPUT / OUTPUT, as they are live.
    """
    ours = desired.splitlines()
    declarations = [line for line in ours if line.startswith(":")]
    jumps = [line for line in ours if _JUMP_LINE.match(line)]
    rules = [line for line in ours if line.startswith("-A SES_")]
    lines = (existing or "").splitlines()
    if "*filter" not in lines:
        lines += ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", "COMMIT"]
    out, in_filter, declared, jumped = [], False, False, False
    for line in lines:
        if line.startswith("*"):
            in_filter = line == "*filter"
        elif in_filter:
            if _OUR_LINE.match(line):
                continue
            if line.startswith("-A ") or line == "COMMIT":
                if not declared:
                    out.extend(declarations)
                    declared = True
                if not jumped:
                    out.extend(jumps)
                    jumped = True
            if line == "COMMIT":
                out.extend(rules)
                in_filter = False
        out.append(line)
    return "\n".join(out) + "\n"


def combined(desired_v4, desired_v6):
    """Both families as one text: the stored copy and what --diff shows."""
    return "%sipv4\n%s%sipv6\n%s" % (FAMILY_HEADER, desired_v4, FAMILY_HEADER, desired_v6)


def _foreign_warnings(flavour, nft_ruleset, legacy, filter_outbound):
    """Filtering outside our chains that may drop what they accept: other nft base chains, other flavour."""
    warnings = []
    if flavour != "legacy":
        # iptables-nft keeps INPUT / OUTPUT in tables ip filter / ip6 filter: our jump is their first rule.
        legacy_hooks = ["INPUT"] + (["OUTPUT"] if filter_outbound else [])
        warnings.extend(legacy_iptables_warnings(legacy, legacy_hooks))
    try:
        objects = json.loads(nft_ruleset).get("nftables", []) if nft_ruleset.strip() else []
    except ValueError:
        objects = []
    ours = {("ip", "filter", "INPUT"), ("ip6", "filter", "INPUT"), ("ip", "filter", "OUTPUT"),
            ("ip6", "filter", "OUTPUT")} if flavour != "legacy" else set()
    hooks = ["input"] + (["output"] if filter_outbound else [])
    for key, chain, reasons in nft_dropping_base_chains(objects, hooks, lambda key: key in ours):
        warnings.append("nftables base chain '%s %s %s' (hook %s, priority %s) has %s: an accept in SES_IN / SES_OUT "
                        "does not override it, so SES traffic may still be dropped there. Accept the SES ports in "
                        "that chain too, or use linux_firewall_backend: nftables with "
                        "linux_firewall_nftables_mode: integrate."
                        % (key + (chain.get("hook"), chain.get("prio"), " and ".join(reasons))))
    return warnings


def iptables_plan(probe_output, desired_v4, desired_v6, filter_outbound=False):
    """What to do on a host, from its probe output and the desired chains of both families.

    The probe prints, separated by PROBE_MARKER lines: ``iptables-save -t filter``,
    ``ip6tables-save -t filter``, the fingerprint of our live chains, the stored
    copy of the last apply, the current rules.v4 and rules.v6 files, the name of
    the nftables backend's table when it is loaded, the iptables flavour
    (``nf_tables`` or ``legacy``), ``nft -j list ruleset``, and the legacy
    iptables filter tables (IPv4, IPv6; empty when not loaded).
    """
    sections = split_sections(probe_output, PROBE_MARKER) + [""] * 11
    live_v4, live_v6, fingerprint, stored, file_v4, file_v6, nft_tables = sections[:7]
    flavour, nft_ruleset, legacy = sections[7], sections[8], sections[9:11]
    desired = combined(desired_v4, desired_v6)
    plan = stored_state(stored, desired, fingerprint)
    plan.update({
        "apply_v4": _restore_text(desired_v4, live_v4),
        "apply_v6": _restore_text(desired_v6, live_v6),
        "rules_v4": merge_rules_file(file_v4, desired_v4),
        "rules_v6": merge_rules_file(file_v6, desired_v6),
        "warnings": [
            "the nftables backend's table inet %s is still loaded and still filters next to these chains: "
            "remove it with 'nft delete table inet %s'" % (table, table)
            for table in nft_tables.split() if table]
        + _foreign_warnings(flavour.strip(), nft_ruleset, legacy, to_bool(filter_outbound, "filter_outbound", [])),
    })
    return plan
