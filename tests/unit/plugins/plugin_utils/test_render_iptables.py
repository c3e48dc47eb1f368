# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The iptables renderer, its restore plan and the netfilter-persistent merge.

Same fleet as test_render_nftables (bo1 co-located backend: con1 reaches it on
TCP 443 legacy and TCP 8443 new; agents reach agent handlers on TCP 443 and
TCP 17000). Restore files are checked by iptables-restore / ip6tables-restore
themselves (``--test``) inside a throwaway network namespace.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import SesInputError
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.matrix import compute_matrix
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.render_iptables import (
    PROBE_MARKER, iptables_plan, merge_rules_file, render_iptables)
from ansible_collections.ses_evolution.firewall.tests.unit.plugins.plugin_utils.example_fleet import (
    GROUPS, HOSTVARS_DUAL_STACK as HOSTVARS, dual_stack_rules_of as rules_of)

__metaclass__ = type

CAN_CHECK = os.geteuid() == 0 and shutil.which("iptables-restore") and shutil.which("unshare")
needs_iptables = pytest.mark.skipif(not CAN_CHECK, reason="iptables-restore --test needs root and unshare")


def in_netns(command, stdin=""):
    return subprocess.run(["unshare", "--net", "sh", "-c", command], input=stdin, text=True,
                          capture_output=True, check=False)


def probe(live_v4="", live_v6="", fingerprint="f1", stored="", file_v4="", file_v6=""):
    return ("\n%s\n" % PROBE_MARKER).join([live_v4, live_v6, fingerprint, stored, file_v4, file_v6])


@needs_iptables
@pytest.mark.parametrize("family,tool", [("ipv4", "iptables-restore"), ("ipv6", "ip6tables-restore")])
def test_restore_files_pass_iptables_restore_test(family, tool):
    desired = render_iptables(rules_of("bo1"), family, filter_outbound=True, management_sources=["any"])
    plan = iptables_plan(probe(), desired if family == "ipv4" else "", desired if family == "ipv6" else "")
    text = plan["apply_v4"] if family == "ipv4" else plan["apply_v6"]
    result = in_netns("%s --test --noflush" % tool, text)
    assert result.returncode == 0, result.stderr
    # A wrong line is refused: the check is real.
    broken = text.replace("COMMIT", "-A SES_IN -p tcp --dport 99999 -j ACCEPT\nCOMMIT")
    assert in_netns("%s --test --noflush" % tool, broken).returncode != 0


def test_console_reaches_the_co_located_backend_on_443_and_8443():
    v4 = render_iptables(rules_of("bo1"))
    assert ("-A SES_IN -s 10.77.0.21/32 -p tcp -m tcp --dport 8443 -m comment --comment "
            "in_console_to_backend_tcp8443_new -j ACCEPT") in v4
    assert "-s 10.77.0.21/32 -p tcp -m tcp --dport 443 -m comment --comment in_console_to_backend_tcp443_legacy" in v4


def test_every_rule_appears_with_each_peer_and_its_port():
    rules = rules_of("bo1")
    both = render_iptables(rules, "ipv4", filter_outbound=True) + render_iptables(rules, "ipv6", filter_outbound=True)
    for rule in rules:
        for peer in rule["peers"]:
            option = "-s" if rule["direction"] == "in" else "-d"
            assert "%s %s -p %s -m %s --dport %d -m comment --comment %s -j ACCEPT" % (
                option, peer, rule["protocol"], rule["protocol"], rule["port"], rule["name"]) in both


def test_ipv6_peers_go_to_ip6tables_only():
    rules = rules_of("ah2")
    v4, v6 = render_iptables(rules, "ipv4"), render_iptables(rules, "ipv6")
    assert "-s 10.77.0.101/32 -p tcp -m tcp --dport 17000" in v4 and "10.77.0.101" not in v6
    assert "-s 2001:db8:77::102/128 -p tcp -m tcp --dport 17000" in v6 and "2001:db8" not in v4
    assert "--icmpv6-type 135" in v6 and "icmpv6" not in v4


def test_any_peers_produce_no_source_match_in_both_families():
    hostvars = dict(HOSTVARS, bo1={"ses_address": "10.77.0.11", "ses_version": "2.7.1"})
    rules = compute_matrix(GROUPS, hostvars, "migrate")["hosts"]["bo1"]["rules"]
    api = [rule for rule in rules if rule["port"] == 10443][0]
    assert api["peers"] == ["any"]
    for family in ("ipv4", "ipv6"):
        line = [line for line in render_iptables(rules, family).splitlines() if api["name"] in line]
        assert line == ["-A SES_IN -p tcp -m tcp --dport 10443 -m comment --comment %s -j ACCEPT" % api["name"]]


def test_final_drop_ends_the_chain_and_can_be_turned_off():
    lines = render_iptables(rules_of("sql1")).splitlines()
    assert lines[-2] == "-A SES_IN -m comment --comment ses_final_drop -j DROP"
    assert "DROP" not in render_iptables(rules_of("sql1"), final_drop=False)


def test_management_rule_comes_before_the_matrix_rules():
    lines = render_iptables(rules_of("sql1"), management_sources=["192.0.2.0/24"]).splitlines()
    management = lines.index("-A SES_IN -s 192.0.2.0/24 -p tcp -m tcp --dport 22 -m comment --comment "
                             "ses_management -j ACCEPT")
    assert management < min(i for i, line in enumerate(lines) if "in_backend_to_sql_server" in line)


def test_bad_peer_is_an_error_naming_the_rule():
    with pytest.raises(SesInputError, match=r"linux_firewall_rules\[0\] \(in_x\): peer 'nowhere'"):
        render_iptables([{"name": "in_x", "direction": "in", "protocol": "tcp", "port": 1, "peers": ["nowhere"]}])


LIVE_V4 = """*filter
:INPUT DROP [10:100]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:SES_IN - [0:0]
:SES_OUT - [0:0]
:DOCKER - [0:0]
-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT
-A INPUT -m comment --comment ses_evolution_jump -j SES_IN
-A OUTPUT -m comment --comment ses_evolution_jump -j SES_OUT
-A SES_IN -j ACCEPT
COMMIT
"""


def test_plan_moves_the_jump_first_and_drops_a_chain_no_longer_wanted():
    desired = render_iptables(rules_of("sql1"))  # no outbound filtering: SES_OUT must go
    apply = iptables_plan(probe(LIVE_V4), desired, "")["apply_v4"].splitlines()
    assert "-D INPUT -m comment --comment ses_evolution_jump -j SES_IN" in apply
    assert "-D OUTPUT -m comment --comment ses_evolution_jump -j SES_OUT" in apply
    assert "-I INPUT 1 -m comment --comment ses_evolution_jump -j SES_IN" in apply
    assert apply.index("-D INPUT -m comment --comment ses_evolution_jump -j SES_IN") < apply.index(
        "-I INPUT 1 -m comment --comment ses_evolution_jump -j SES_IN")
    assert ":SES_OUT - [0:0]" in apply and apply[-2] == "-X SES_OUT"
    assert not any("DOCKER" in line or "--dport 80" in line for line in apply)


@needs_iptables
def test_plan_applies_on_a_live_table_leaving_other_rules():
    desired = render_iptables(rules_of("sql1"))
    restore = iptables_plan(probe(LIVE_V4), desired, "")["apply_v4"]
    script = "iptables-restore <<'EOF'\n%sEOF\niptables-restore --noflush && iptables-save -t filter" % LIVE_V4
    result = in_netns(script, restore)
    assert result.returncode == 0, result.stderr
    saved = [line for line in result.stdout.splitlines() if line.startswith(("-A", ":"))]
    assert saved.index("-A INPUT -m comment --comment ses_evolution_jump -j SES_IN") < saved.index(
        "-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT")
    assert sum(1 for line in saved if line.endswith("-j SES_IN")) == 1
    assert not any(line.startswith(":SES_OUT") for line in saved) and ":DOCKER - [0:0]" in saved
    assert "-A SES_IN -j ACCEPT" not in saved


def test_merge_keeps_other_tables_and_rules_and_replaces_ours():
    existing = ("*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp --dport 8080 -j REDIRECT --to-ports 80\nCOMMIT\n"
                + LIVE_V4)
    desired = render_iptables(rules_of("sql1"))
    merged = merge_rules_file(existing, desired)
    assert "-A PREROUTING -p tcp --dport 8080 -j REDIRECT --to-ports 80" in merged
    assert "-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT" in merged and ":DOCKER - [0:0]" in merged
    assert "-A SES_IN -j ACCEPT" not in merged and ":SES_OUT" not in merged
    filter_part = merged.split("*filter\n")[1]
    assert filter_part.index("-A INPUT -m comment --comment ses_evolution_jump -j SES_IN") < filter_part.index(
        "-A INPUT -p tcp -m tcp --dport 80")
    assert merge_rules_file(merged, desired) == merged  # idempotent


@needs_iptables
def test_merged_file_loads_with_iptables_restore():
    merged = merge_rules_file("", render_iptables(rules_of("bo1"), filter_outbound=True))
    result = in_netns("iptables-restore --test", merged)
    assert result.returncode == 0, result.stderr


def test_plan_is_unchanged_only_when_stored_copy_and_fingerprint_match():
    v4, v6 = render_iptables(rules_of("sql1")), render_iptables(rules_of("sql1"), "ipv6")
    first = iptables_plan(probe(), v4, v6)
    assert first["changed"]
    stored = first["desired"] + "# live fingerprint: f1\n"
    assert not iptables_plan(probe(stored=stored), v4, v6)["changed"]
    assert iptables_plan(probe(fingerprint="f2", stored=stored), v4, v6)["drift"]


def test_plan_warns_about_the_nftables_backends_table():
    v4, v6 = render_iptables(rules_of("sql1")), render_iptables(rules_of("sql1"), "ipv6")
    assert iptables_plan(probe(), v4, v6)["warnings"] == []
    warnings = iptables_plan(probe() + "\n%s\nses_evolution\n" % PROBE_MARKER, v4, v6)["warnings"]
    assert len(warnings) == 1 and "nft delete table inet ses_evolution" in warnings[0]


LEGACY_DROP = "*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n"
LEGACY_REJECT = ("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
                 "-A OUTPUT -p tcp -j REJECT --reject-with tcp-reset\nCOMMIT\n")
NFT_DROP = json.dumps({"nftables": [
    {"chain": {"family": "inet", "table": "filter", "name": "input", "handle": 1, "type": "filter", "hook": "input",
               "prio": 0, "policy": "drop"}},
    {"chain": {"family": "ip", "table": "filter", "name": "INPUT", "handle": 1, "type": "filter", "hook": "input",
               "prio": 0, "policy": "drop"}}]})


def foreign_probe(flavour="nf_tables", nft_ruleset="", legacy_v4="", legacy_v6=""):
    """The probe with the sections after the nftables table name: flavour, nft ruleset, legacy saves."""
    return ("\n%s\n" % PROBE_MARKER).join([probe(), "", flavour, nft_ruleset, legacy_v4, legacy_v6])


def test_plan_reports_legacy_tables_that_drop_next_to_iptables_nft():
    v4, v6 = render_iptables(rules_of("sql1")), render_iptables(rules_of("sql1"), "ipv6")
    warnings = iptables_plan(foreign_probe(legacy_v4=LEGACY_DROP), v4, v6)["warnings"]
    assert len(warnings) == 1 and "iptables-legacy filter chain INPUT has policy DROP" in warnings[0]
    # OUTPUT matters only with outbound filtering.
    assert iptables_plan(foreign_probe(legacy_v6=LEGACY_REJECT), v4, v6)["warnings"] == []
    warnings = iptables_plan(foreign_probe(legacy_v6=LEGACY_REJECT), v4, v6, filter_outbound=True)["warnings"]
    assert len(warnings) == 1 and "ip6tables-legacy filter chain OUTPUT has DROP/REJECT rules" in warnings[0]
    # With the legacy flavour, the legacy tables are ours: nothing to report there.
    assert iptables_plan(foreign_probe("legacy", legacy_v4=LEGACY_DROP), v4, v6)["warnings"] == []


def test_plan_reports_other_nftables_base_chains_that_drop():
    v4, v6 = render_iptables(rules_of("sql1")), render_iptables(rules_of("sql1"), "ipv6")
    warnings = iptables_plan(foreign_probe(nft_ruleset=NFT_DROP), v4, v6)["warnings"]
    # inet filter input drops besides us; ip filter INPUT is iptables-nft's own table, where our jump is first.
    assert len(warnings) == 1 and "'inet filter input'" in warnings[0] and "policy drop" in warnings[0]
    # The legacy flavour shares no table with nftables: both chains are foreign.
    assert len(iptables_plan(foreign_probe("legacy", nft_ruleset=NFT_DROP), v4, v6)["warnings"]) == 2
