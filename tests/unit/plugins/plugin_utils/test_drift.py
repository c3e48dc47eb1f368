# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The drift engine on hand-written live states (nft JSON, iptables-save, Windows rules).

The matrix rules are written from the vendor's table (configure_firewall_2.7.1): a backend
co-located with an agent handler is reached by the console on TCP 8443 (2.7.1) and TCP 443
(2.6, legacy); agents reach the agent handler on TCP 443 (2.7.1) and TCP 17000 (older agents).
"""

from __future__ import annotations

import ipaddress
import json

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import drift
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import SesInputError
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.linux_rules import PROBE_MARKER

__metaclass__ = type

CONSOLE, AH, AGENTS = "10.77.0.21/32", "10.77.0.12/32", ["10.77.0.101/32", "10.77.0.102/32"]
RULES = [
    {"name": "in_console_to_backend_tcp8443_new", "direction": "in", "protocol": "tcp", "port": 8443,
     "peers": [CONSOLE]},
    {"name": "in_console_to_backend_tcp443_legacy", "direction": "in", "protocol": "tcp", "port": 443,
     "peers": [CONSOLE]},
    {"name": "in_agent_to_agent_handler_tcp443_new", "direction": "in", "protocol": "tcp", "port": 443,
     "peers": AGENTS},
    {"name": "in_agent_to_agent_handler_tcp17000_legacy_agent", "direction": "in", "protocol": "tcp",
     "port": 17000, "peers": AGENTS},
    {"name": "out_backend_to_sql_tcp1433_permanent", "direction": "out", "protocol": "tcp", "port": 1433,
     "peers": ["10.77.0.31/32"]},
]
PORTS = [["tcp", 443], ["tcp", 8443], ["tcp", 10443], ["tcp", 17000], ["tcp", 1433], ["udp", 514]]
NFT = {"backend": "nftables", "nftables_mode": "standalone", "nftables_table": "ses_evolution",
       "filter_outbound": False}


# ------------------------------------------------------------------ nft JSON, as `nft -j list ruleset` writes it
def chain(table, name, hook=None, family="inet", policy="accept"):
    found = {"family": family, "table": table, "name": name, "handle": 1}
    if hook:
        found.update(type="filter", hook=hook, prio=0, policy=policy)
    return {"chain": found}


def rule(table, chain_name, *expr, comment=None, family="inet", verdict="accept"):
    body = {"family": family, "table": table, "chain": chain_name, "handle": 9, "expr": list(expr) + [{verdict: None}]}
    if comment:
        body["comment"] = comment
    return {"rule": body}


def dport(port, protocol="tcp"):
    return {"match": {"op": "==", "left": {"payload": {"protocol": protocol, "field": "dport"}}, "right": port}}


def saddr(*cidrs, family="ip"):
    items = []
    for cidr in cidrs:
        net = ipaddress.ip_network(cidr)
        items.append(str(net.network_address) if net.prefixlen == net.max_prefixlen
                     else {"prefix": {"addr": str(net.network_address), "len": net.prefixlen}})
    right = items[0] if len(items) == 1 else {"set": items}
    return {"match": {"op": "==" if len(items) == 1 else "in",
                      "left": {"payload": {"protocol": family, "field": "saddr"}}, "right": right}}


def agents_range():
    """nft prints the agents' two adjacent addresses as one range."""
    return {"match": {"op": "in", "left": {"payload": {"protocol": "ip", "field": "saddr"}},
                      "right": {"set": [{"range": ["10.77.0.101", "10.77.0.102"]}]}}}


def ours(skip=(), **override):
    """Our table as the role renders it for RULES (in rules only), with ``override`` {name: [exprs]}."""
    objects = [{"table": {"family": "inet", "name": "ses_evolution"}}, chain("ses_evolution", "input", "input", policy="drop"),
               rule("ses_evolution", "input", {"match": {"op": "in", "left": {"ct": {"key": "state"}},
                                                         "right": ["established", "related"]}},
                    comment="ses_established"),
               rule("ses_evolution", "input", {"match": {"op": "==", "left": {"meta": {"key": "iifname"}},
                                                         "right": "lo"}}, comment="ses_loopback"),
               rule("ses_evolution", "input", saddr("10.77.0.5/32"), dport(22), comment="ses_management")]
    wanted = {
        "in_console_to_backend_tcp8443_new": [saddr(CONSOLE), dport(8443)],
        "in_console_to_backend_tcp443_legacy": [saddr(CONSOLE), dport(443)],
        "in_agent_to_agent_handler_tcp443_new": [agents_range(), dport(443)],
        "in_agent_to_agent_handler_tcp17000_legacy_agent": [agents_range(), dport(17000)],
    }
    wanted.update(override)
    for name, exprs in wanted.items():
        if name not in skip:
            objects.append(rule("ses_evolution", "input", *exprs, comment=name))
    return objects


def nft_probe(objects, legacy4="", legacy6=""):
    ruleset = json.dumps({"nftables": [{"metainfo": {"version": "1.0.6"}}] + objects})
    return ("\n%s\n" % PROBE_MARKER).join([ruleset, "fingerprint", "stored", legacy4, legacy6])


def findings(objects, rules=None, **kwargs):
    return drift.linux_drift(nft_probe(objects, **kwargs), RULES if rules is None else rules, NFT, PORTS)


def summary(found):
    return sorted((f["category"], f["rule"], f.get("port"), f["widened"]) for f in found)


def test_a_host_carrying_exactly_its_matrix_reports_nothing():
    assert findings(ours()) == []


def test_a_deleted_rule_is_missing():
    assert summary(findings(ours(skip=["in_console_to_backend_tcp8443_new"]))) == [
        ("missing", "in_console_to_backend_tcp8443_new", None, False)]


def test_a_rule_opened_to_any_address_is_changed_and_widened():
    found = findings(ours(in_agent_to_agent_handler_tcp17000_legacy_agent=[dport(17000)]))
    assert summary(found) == [("changed", "in_agent_to_agent_handler_tcp17000_legacy_agent", None, True)]
    assert "WIDENED" in found[0]["detail"] and "from any" in found[0]["detail"]


def test_a_narrower_rule_is_changed_but_not_widened():
    found = findings(ours(in_agent_to_agent_handler_tcp443_new=[saddr("10.77.0.101/32"), dport(443)]))
    assert summary(found) == [("changed", "in_agent_to_agent_handler_tcp443_new", None, False)]


def test_another_port_under_our_name_is_changed_and_widened():
    found = findings(ours(in_console_to_backend_tcp8443_new=[saddr(CONSOLE), dport(8444)]))
    assert summary(found) == [("changed", "in_console_to_backend_tcp8443_new", None, True)]


def test_a_rule_the_matrix_no_longer_has_is_extra():
    found = findings(ours(in_console_to_backend_tcp443_old=[saddr(CONSOLE), dport(443)]))
    assert summary(found) == [("extra", "in_console_to_backend_tcp443_old", None, False)]


def test_cleanup_phase_a_legacy_rule_left_in_place_is_extra():
    cleanup = [r for r in RULES if not r["name"].endswith(("_legacy", "_legacy_agent"))]
    assert summary(findings(ours(), rules=cleanup)) == [
        ("extra", "in_agent_to_agent_handler_tcp17000_legacy_agent", None, False),
        ("extra", "in_console_to_backend_tcp443_legacy", None, False)]


def test_another_table_opening_17000_to_any_is_exposure():
    admin = [{"table": {"family": "inet", "name": "admin"}}, chain("admin", "input", "input"),
             rule("admin", "input", dport(17000))]
    found = findings(ours() + admin)
    assert summary(found) == [("exposure", None, 17000, True)]
    assert found[0]["where"] == "nft inet admin input" and "from any" in found[0]["detail"]


def test_a_foreign_rule_within_the_matrix_peers_is_no_exposure():
    admin = [chain("admin", "input", "input"), rule("admin", "input", saddr(CONSOLE), dport(8443))]
    assert findings(ours() + admin) == []


def test_a_foreign_accept_of_every_port_exposes_each_ses_port():
    admin = [chain("admin", "input", "input"), rule("admin", "input", saddr("10.0.0.0/8"))]
    # UDP 514 too: the rule has no protocol match (the syslog port is UDP in the vendor's table).
    assert sorted((f["protocol"], f["port"]) for f in findings(ours() + admin)) == [
        ("tcp", 443), ("tcp", 1433), ("tcp", 8443), ("tcp", 10443), ("tcp", 17000), ("udp", 514)]


def test_established_loopback_forward_and_drops_are_no_exposure():
    others = [chain("filter", "input", "input"), chain("filter", "forward", "forward"),
              rule("filter", "input", {"match": {"op": "in", "left": {"ct": {"key": "state"}},
                                                 "right": ["established", "related"]}}),
              rule("filter", "input", {"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "lo"}}),
              rule("filter", "input", dport(443), verdict="drop"),
              rule("filter", "forward", dport(443))]
    assert findings(ours() + others) == []


def test_an_unknown_match_is_taken_as_matching_everything():
    # An xt match (iptables-nft with a module nft cannot translate) cannot narrow the rule.
    others = [chain("filter", "INPUT", "input", family="ip"),
              rule("filter", "INPUT", {"match": {"op": "==", "left": {"xt": {"name": "recent"}}, "right": 1}},
                   dport(17000), family="ip")]
    assert summary(findings(ours() + others)) == [("exposure", None, 17000, True)]


def test_a_named_set_of_ports_or_addresses_is_taken_as_everything():
    others = [chain("filter", "input", "input"),
              rule("filter", "input", dport("@admin_ports"),
                   {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}},
                              "right": "@admin_hosts"}})]
    # No protocol match either: the syslog UDP 514 too.
    assert [f["port"] for f in findings(ours() + others)] == [443, 1433, 8443, 10443, 17000, 514]


def test_an_iptables_nft_rule_outside_our_chains_is_exposure():
    # iptables -A INPUT -p tcp --dport 443 -j ACCEPT, as iptables-nft 1.8.9 stores it.
    others = [{"table": {"family": "ip", "name": "filter"}}, chain("filter", "INPUT", "input", family="ip"),
              rule("filter", "INPUT", dport(443), {"counter": {"packets": 0, "bytes": 0}}, family="ip")]
    found = findings(ours() + others)
    assert summary(found) == [("exposure", None, 443, True)]
    assert "nobody" not in found[0]["detail"]  # the matrix allows the console and the agents on 443


def test_legacy_iptables_rules_are_read_too():
    legacy = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp -m tcp --dport 8443 -j ACCEPT\nCOMMIT\n"
    found = findings(ours(), legacy4=legacy)
    assert summary(found) == [("exposure", None, 8443, True)]
    assert found[0]["where"] == "iptables-legacy filter INPUT"


def test_an_extra_statement_in_our_chain_is_judged_like_a_foreign_rule():
    objects = ours() + [rule("ses_evolution", "input", dport(10443))]
    assert summary(findings(objects)) == [("exposure", None, 10443, True)]


def test_outbound_rules_are_compared_only_when_filtered():
    options = dict(NFT, filter_outbound=True)
    objects = ours() + [chain("ses_evolution", "output", "output", policy="drop")]
    found = drift.linux_drift(nft_probe(objects), RULES, options, PORTS)
    assert summary(found) == [("missing", "out_backend_to_sql_tcp1433_permanent", None, False)]
    objects.append(rule("ses_evolution", "output",
                        {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}},
                                   "right": "10.77.0.31"}}, dport(1433), comment="out_backend_to_sql_tcp1433_permanent"))
    assert drift.linux_drift(nft_probe(objects), RULES, options, PORTS) == []


def test_integrate_mode_reads_our_chains_in_the_users_table():
    options = dict(NFT, nftables_mode="integrate", nftables_jump_from="inet filter input")
    objects = [chain("filter", "input", "input", policy="drop"), chain("filter", "ses_evolution_input")]
    objects.append(rule("filter", "input", {"jump": {"target": "ses_evolution_input"}}, comment="ses_evolution_jump",
                        verdict="continue"))
    for item in ours()[5:]:
        body = dict(item["rule"], table="filter", chain="ses_evolution_input")
        objects.append({"rule": body})
    assert drift.linux_drift(nft_probe(objects), RULES, options, PORTS) == []


# ------------------------------------------------------------------ iptables backend
IPT_V4 = """*filter
:INPUT ACCEPT [0:0]
:SES_IN - [0:0]
-A INPUT -m comment --comment ses_evolution_jump -j SES_IN
-A INPUT -p tcp -m multiport --dports 443,8443 -j ACCEPT
-A SES_IN -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment ses_established -j ACCEPT
-A SES_IN -i lo -m comment --comment ses_loopback -j ACCEPT
-A SES_IN -s 10.77.0.21/32 -p tcp -m tcp --dport 8443 -m comment --comment in_console_to_backend_tcp8443_new -j ACCEPT
-A SES_IN -s 10.77.0.21/32 -p tcp -m tcp --dport 443 -m comment --comment in_console_to_backend_tcp443_legacy -j ACCEPT
-A SES_IN -s 10.77.0.101/32 -p tcp -m tcp --dport 443 -m comment --comment in_agent_to_agent_handler_tcp443_new -j ACCEPT
-A SES_IN -s 10.77.0.102/32 -p tcp -m tcp --dport 443 -m comment --comment in_agent_to_agent_handler_tcp443_new -j ACCEPT
-A SES_IN -p tcp -m tcp --dport 17000 -m comment --comment in_agent_to_agent_handler_tcp17000_legacy_agent -j ACCEPT
-A SES_IN -m comment --comment ses_final_drop -j DROP
COMMIT
"""


def ipt_probe(v4, flavor="nf_tables", nft_objects=()):
    nft = json.dumps({"nftables": list(nft_objects)}) if nft_objects else ""
    return ("\n%s\n" % PROBE_MARKER).join([v4, "*filter\nCOMMIT", "fp", "stored", "", "", "", flavor, nft, "", ""])


def test_iptables_widened_rule_and_multiport_exposure():
    found = drift.linux_drift(ipt_probe(IPT_V4), RULES, {"backend": "iptables"}, PORTS)
    assert summary(found) == [("changed", "in_agent_to_agent_handler_tcp17000_legacy_agent", None, True),
                              ("exposure", None, 443, True), ("exposure", None, 8443, True)]


def test_iptables_nft_tables_are_not_read_twice():
    # With iptables-nft, the same filter table shows in the nft ruleset: it is read from iptables-save only.
    twin = [chain("filter", "INPUT", "input", family="ip"), rule("filter", "INPUT", dport(10443), family="ip")]
    clean = IPT_V4.replace("-A INPUT -p tcp -m multiport --dports 443,8443 -j ACCEPT\n", "").replace(
        "-A SES_IN -p tcp -m tcp --dport 17000", "-A SES_IN -s 10.77.0.101/30 -p tcp -m tcp --dport 17000")
    found = drift.linux_drift(ipt_probe(clean, nft_objects=twin), RULES, {"backend": "iptables"}, PORTS)
    # 10.77.0.101/30 is 10.77.0.100-103: wider than the two agents.
    assert summary(found) == [("changed", "in_agent_to_agent_handler_tcp17000_legacy_agent", None, True)]


# ------------------------------------------------------------------ Windows
PREFIX, GROUP = "SES Evolution - ", "SES Evolution (managed)"


def win(name, port, remote, group="", enabled=True, protocol=6, program=None):
    return {"Name": name, "Grouping": group, "Direction": 1, "Action": 1, "Protocol": protocol,
            "LocalPorts": str(port) if protocol in (6, 17) else None, "RemoteAddresses": remote,
            "Enabled": enabled, "Profiles": 0x7FFFFFFF, "ApplicationName": program, "ServiceName": None}


def managed(name, port, remote, **kwargs):
    return win(PREFIX + name, port, remote, group=GROUP, **kwargs)


def win_live(rules, profiles=None):
    return {"rules": rules, "prefix": PREFIX, "group": GROUP,
            "profiles": profiles if profiles is not None else [
                {"Name": name, "Enabled": "True", "AllowLocalFirewallRules": "NotConfigured"}
                for name in ("Domain", "Private", "Public")]}


AGENTS_WIN = "10.77.0.101/255.255.255.255,10.77.0.102/255.255.255.255"
WIN_CLEAN = [managed("in_console_to_backend_tcp8443_new", 8443, "10.77.0.21/255.255.255.255"),
             managed("in_console_to_backend_tcp443_legacy", 443, "10.77.0.21/255.255.255.255"),
             managed("in_agent_to_agent_handler_tcp443_new", 443, AGENTS_WIN),
             # served by the installer rule the role adopted (scoped to the agents)
             win("Stormshield Endpoint Security Evolution Agent Handler (TCP-In)", 17000, AGENTS_WIN,
                 group="Stormshield Endpoint Security Evolution"),
             win("Remote Desktop - User Mode (TCP-In)", 3389, "*")]


def test_windows_host_with_its_matrix_reports_nothing():
    assert drift.windows_drift(win_live(WIN_CLEAN), RULES, PORTS) == []


def test_windows_unscoped_installer_rule_handmade_8443_and_disabled_profile():
    rules = [dict(r) for r in WIN_CLEAN]
    rules[3]["RemoteAddresses"] = "*"  # an upgrade rewrote the installer rule open to any
    rules.append(win("Backend 8443", 8443, "*", group="Operators"))
    profiles = [{"Name": "Domain", "Enabled": "True"}, {"Name": "Private", "Enabled": "True"},
                {"Name": "Public", "Enabled": "False"}]
    found = drift.windows_drift(win_live(rules, profiles), RULES, PORTS)
    assert sorted((f["category"], f["where"], f.get("port")) for f in found) == [
        ("exposure", "profile Public", None),
        ("exposure", "rule 'Backend 8443'", 8443),
        ("exposure", "rule 'Stormshield Endpoint Security Evolution Agent Handler (TCP-In)'", 17000)]


def test_windows_group_policy_ignoring_local_rules_is_exposure():
    profiles = [{"Name": "Domain", "Enabled": "True", "AllowLocalFirewallRules": "False"}]
    found = drift.windows_drift(win_live(WIN_CLEAN, profiles), RULES, PORTS)
    assert [(f["category"], f["where"]) for f in found] == [("exposure", "profile Domain")]
    assert "Group Policy" in found[0]["detail"]


def test_windows_missing_disabled_widened_and_extra():
    rules = [managed("in_console_to_backend_tcp8443_new", 8443, "*"),
             managed("in_console_to_backend_tcp443_legacy", 443, "10.77.0.21/255.255.255.255", enabled=False),
             managed("in_old_rule_tcp9999_legacy", 9999, "10.77.0.21/255.255.255.255"),
             win("Updater", 443, "*", program=r"C:\Program Files\Updater\up.exe")]
    found = drift.windows_drift(win_live(rules), RULES, PORTS)
    assert summary(found) == [
        ("changed", "in_console_to_backend_tcp8443_new", None, True),
        ("extra", "in_old_rule_tcp9999_legacy", None, False),
        ("missing", "in_agent_to_agent_handler_tcp17000_legacy_agent", None, False),
        ("missing", "in_agent_to_agent_handler_tcp443_new", None, False),
        ("missing", "in_console_to_backend_tcp443_legacy", None, False)]


# ------------------------------------------------------------------ settings
def test_settings_convert_strictly_and_name_the_variable():
    matrix = {"bo1": {"rules": RULES}}
    result = drift.settings({"ses_drift_report_only": "false", "ses_drift_ports": "tcp/8080, udp/162",
                             "ses_drift_report_dir": "/tmp/r"}, matrix)
    assert result["report_only"] is False
    assert ["tcp", 8080] in result["ports"] and ["udp", 162] in result["ports"] and ["tcp", 1433] in result["ports"]
    with pytest.raises(SesInputError) as error:
        drift.settings({"ses_drift_report_only": "maybe", "ses_drift_ports": ["tcp/80000", "http"],
                        "ses_drift_report_dir": ""}, matrix)
    text = str(error.value)
    assert "ses_drift_report_only" in text and "'tcp/80000'" in text and "'http'" in text \
        and "ses_drift_report_dir" in text


# ------------------------------------------------------------------ a class of inputs
_NETS = st.builds(lambda a, p: ipaddress.ip_network("10.0.0.%d/%d" % (a, p), strict=False),
                  st.integers(0, 255), st.integers(26, 32))


@settings(max_examples=200, deadline=None)
@given(live=st.lists(_NETS, min_size=1, max_size=3), allowed=st.lists(_NETS, min_size=1, max_size=3))
def test_exposure_is_reported_exactly_when_an_address_outside_the_matrix_gets_in(live, allowed):
    rules = [{"name": "in_x_tcp443", "direction": "in", "protocol": "tcp", "port": 443,
              "peers": [str(n) for n in allowed]}]
    foreign = drift.LiveRule("nft inet admin input")
    foreign.protocols, foreign.ports, foreign.verdict = frozenset(["tcp"]), frozenset([443]), "accept"
    foreign.peers = frozenset(live)
    admitted = set(address for net in live for address in net)
    let_in = set(address for net in allowed for address in net)
    expected = bool(admitted - let_in)
    assert bool(drift.exposures(rules, [foreign], [("tcp", 443)])) is expected


def test_adjacent_matrix_networks_together_cover_a_wider_rule():
    # Found by the test above: 10.0.0.0/27 and 10.0.0.32/27 together admit all of 10.0.0.0/26.
    allowed = drift.networks(["10.0.0.0/27", "10.0.0.32/27"])
    assert drift.covered(drift.networks(["10.0.0.0/26"]), allowed)
    assert not drift.covered(drift.networks(["10.0.0.0/25"]), allowed)
