# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nftables renderer and plan.

Rules come from the bundled example's shape through the real matrix: bo1 is a
co-located backend, so from 2.7.1 the console con1 (10.77.0.21) reaches it on
TCP 8443 (vendor's table, lifecycle "new") and on TCP 443 while 2.6 remains
(lifecycle "legacy"); agents reach the agent handler on TCP 443 and TCP 17000.

The scripts are checked by nft itself (``nft -c -f``) inside a throwaway network
namespace (``unshare --net``), so they are real nftables, not text that looks right.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import SesInputError
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.matrix import compute_matrix
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.render_nftables import (
    PROBE_MARKER, nftables_plan, render_nftables)
from ansible_collections.ses_evolution.firewall.tests.unit.plugins.plugin_utils.example_fleet import (
    GROUPS, HOSTVARS_DUAL_STACK as HOSTVARS, dual_stack_rules_of as rules_of)

__metaclass__ = type

CAN_CHECK = os.geteuid() == 0 and shutil.which("nft") and shutil.which("unshare")
needs_nft = pytest.mark.skipif(not CAN_CHECK, reason="nft -c needs root, nft and unshare (a throwaway netns)")


def nft_check(script, setup=""):
    """nft -c -f on ``script`` in a new, empty network namespace (after ``setup`` commands there)."""
    command = "%s\nnft -c -f -" % setup
    return subprocess.run(["unshare", "--net", "sh", "-c", command], input=script, text=True,
                          capture_output=True, check=False)


def nft_json_after(script, setup=""):
    """``nft -j list ruleset`` after loading ``setup`` and ``script`` for real in a throwaway namespace."""
    command = "%s\nnft -f - && nft -j list ruleset" % setup
    result = subprocess.run(["unshare", "--net", "sh", "-c", command], input=script, text=True,
                            capture_output=True, check=True)
    return result.stdout


@needs_nft
def test_standalone_script_is_valid_nftables():
    script = render_nftables(rules_of("bo1"), filter_outbound=True, management_sources=["192.0.2.5"])
    result = nft_check(script)
    assert result.returncode == 0, result.stderr


@needs_nft
def test_integrate_script_is_valid_in_the_users_table():
    script = render_nftables(rules_of("bo1"), mode="integrate", jump_from="inet filter input")
    setup = "nft 'add table inet filter; add chain inet filter input { type filter hook input priority 0; policy drop; }'"
    result = nft_check(script, setup)
    assert result.returncode == 0, result.stderr
    # Without the user's table the same script is refused: the check is real.
    assert nft_check(script).returncode != 0


@needs_nft
def test_invalid_extra_statement_is_rejected_by_nft():
    script = render_nftables(rules_of("bo1"), extra_input=["tcp dport 99999 accept"])
    assert nft_check(script).returncode != 0


def test_console_reaches_the_co_located_backend_on_443_and_8443():
    script = render_nftables(rules_of("bo1"))
    assert 'ip saddr 10.77.0.21/32 tcp dport 8443 accept comment "in_console_to_backend_tcp8443_new"' in script
    assert 'ip saddr 10.77.0.21/32 tcp dport 443 accept comment "in_console_to_backend_tcp443_legacy"' in script


def test_every_rule_appears_with_its_peers_and_port():
    rules = rules_of("bo1")
    script = render_nftables(rules, filter_outbound=True)
    for rule in rules:
        lines = [line for line in script.splitlines() if '"%s"' % rule["name"] in line]
        assert lines, rule["name"]
        for line in lines:
            assert "%s dport %d accept" % (rule["protocol"], rule["port"]) in line
        text = " ".join(lines)
        for peer in rule["peers"]:
            assert peer in text, (rule["name"], peer)


def test_ipv6_peers_use_ip6_and_ipv4_peers_use_ip():
    # agent-new has an IPv6 address, agent-old an IPv4 one: the agent rules split by family.
    script = render_nftables(rules_of("ah2"))
    assert 'ip saddr 10.77.0.101/32 tcp dport 17000 accept' in script
    assert 'ip6 saddr 2001:db8:77::102/128 tcp dport 17000 accept' in script
    assert "ip saddr 2001:db8" not in script and "ip6 saddr 10." not in script
    assert "table inet ses_evolution {" in script


def test_any_peers_produce_no_address_match():
    # No update server and no API clients given: the vendor's "any" for those ends.
    hostvars = dict(HOSTVARS, bo1={"ses_address": "10.77.0.11", "ses_version": "2.7.1"})
    rules = compute_matrix(GROUPS, hostvars, "migrate")["hosts"]["bo1"]["rules"]
    api = [rule for rule in rules if rule["port"] == 10443]
    assert api and api[0]["peers"] == ["any"]
    script = render_nftables(rules)
    line = [line for line in script.splitlines() if api[0]["name"] in line]
    assert line == ['\t\ttcp dport 10443 accept comment "%s"' % api[0]["name"]]


def test_integrate_for_an_ip_family_table_leaves_out_ipv6_peers():
    script = render_nftables(rules_of("ah2"), mode="integrate", jump_from="ip filter input")
    assert "ip6 saddr" not in script and "icmpv6" not in script
    assert "add rule ip filter ses_evolution_input ip saddr 10.77.0.101/32 tcp dport 17000 accept" in script
    assert script.rstrip().endswith('insert rule ip filter input jump ses_evolution_input comment "ses_evolution_jump"')


def test_outbound_rules_only_with_outbound_filtering():
    rules = rules_of("con1")
    assert "chain output" not in render_nftables(rules)
    script = render_nftables(rules, filter_outbound=True)
    assert "chain output" in script
    assert 'ip daddr 10.77.0.11/32 tcp dport 8443 accept comment "out_console_to_backend_tcp8443_new"' in script


def test_management_rule_from_the_ssh_connection_and_always_first():
    script = render_nftables(rules_of("sql1"), connection_client="192.0.2.9 50122 10.77.0.31 22",
                             management_port=2222)
    lines = [line.strip() for line in script.splitlines()]
    management = lines.index('ip saddr 192.0.2.9/32 tcp dport 2222 accept comment "ses_management"')
    first_matrix = min(i for i, line in enumerate(lines) if "in_backend_to_sql_server" in line)
    assert management < first_matrix
    assert "ses_management" not in render_nftables(rules_of("sql1"))  # local connection: none needed


def test_bad_rules_are_errors_naming_the_rule():
    bad = [{"name": "in_x", "direction": "in", "protocol": "icmp", "port": 70000, "peers": ["10.1.2.3/16"]}]
    with pytest.raises(SesInputError) as error:
        render_nftables(bad)
    text = str(error.value)
    assert "linux_firewall_rules[0] (in_x)" in text
    assert "protocol must be 'tcp' or 'udp'" in text and "port must be one integer" in text
    assert "10.1.2.3/16" in text


def test_integrate_needs_a_chain_to_jump_from():
    with pytest.raises(SesInputError, match="linux_firewall_nftables_jump_from must name a base chain"):
        render_nftables(rules_of("bo1"), mode="integrate")


def probe(ruleset_json, fingerprint="f1", stored=""):
    return "\n".join([ruleset_json, PROBE_MARKER, fingerprint, PROBE_MARKER, stored])


def test_plan_changes_nothing_when_the_stored_copy_and_the_live_fingerprint_match():
    desired = render_nftables(rules_of("bo1"))
    first = nftables_plan(probe(""), desired)
    assert first["changed"] and "in_console_to_backend_tcp8443_new" in first["added"]
    stored = desired + "# live fingerprint: f1\n"
    assert not nftables_plan(probe("", "f1", stored), desired)["changed"]
    drifted = nftables_plan(probe("", "f2", stored), desired)
    assert drifted["changed"] and drifted["drift"] and not drifted["added"]


def test_plan_counts_cleanup_as_removed_legacy_rules():
    previous = render_nftables(rules_of("bo1", "migrate"))
    desired = render_nftables(rules_of("bo1", "cleanup"))
    plan = nftables_plan(probe("", "f1", previous + "# live fingerprint: f1\n"), desired)
    assert plan["removed"] == ["in_agent_handler_to_backend_tcp443_legacy", "in_console_to_backend_tcp443_legacy"]
    assert plan["added"] == []


@needs_nft
def test_plan_reports_another_table_with_a_drop_policy():
    other = ("table inet filter {\n chain input {\n  type filter hook input priority 0; policy drop;\n }\n}\n"
             "table ip nat {\n chain prerouting {\n  type nat hook prerouting priority -100; policy accept;\n }\n}\n")
    desired = render_nftables(rules_of("bo1"))
    live = nft_json_after(desired, "nft -f - <<'EOF'\n%sEOF" % other)
    plan = nftables_plan(probe(live), desired)
    assert len(plan["warnings"]) == 1
    assert "'inet filter input'" in plan["warnings"][0] and "policy drop" in plan["warnings"][0]
    assert "linux_firewall_nftables_mode: integrate" in plan["warnings"][0]
    # In integrate mode jumping from that very chain, nothing is left to warn about.
    integrate = render_nftables(rules_of("bo1"), mode="integrate", jump_from="inet filter input")
    plan = nftables_plan(probe(live), integrate, mode="integrate", jump_from="inet filter input")
    assert plan["warnings"] == []
    # ... and the plan removes the standalone table an earlier run left.
    assert "delete table inet ses_evolution" in plan["apply"]


@needs_nft
def test_plan_replaces_an_old_jump_by_handle():
    setup = "nft 'add table inet filter; add chain inet filter input { type filter hook input priority 0; }'"
    desired = render_nftables(rules_of("bo1"), mode="integrate", jump_from="inet filter input")
    live = nft_json_after(desired, setup)
    jumps = [item["rule"] for item in json.loads(live)["nftables"]
             if "rule" in item and item["rule"].get("comment") == "ses_evolution_jump"]
    assert len(jumps) == 1
    plan = nftables_plan(probe(live), desired, mode="integrate", jump_from="inet filter input")
    assert "delete rule inet filter input handle %d" % jumps[0]["handle"] in plan["apply"]
    # Loading the plan on that state leaves exactly one jump.
    after = nft_json_after(plan["apply"], "%s\nnft -f - <<'EOF'\n%sEOF" % (setup, desired))
    assert sum(1 for item in json.loads(after)["nftables"]
               if "rule" in item and item["rule"].get("comment") == "ses_evolution_jump") == 1


def test_plan_refuses_a_missing_jump_chain():
    desired = render_nftables(rules_of("bo1"), mode="integrate", jump_from="inet filter input")
    with pytest.raises(SesInputError, match="has no base chain 'inet filter input'"):
        nftables_plan(probe('{"nftables": []}'), desired, mode="integrate", jump_from="inet filter input")


def test_management_source_from_an_ipv4_mapped_client_and_any():
    script = render_nftables(rules_of("sql1"), connection_client="::ffff:192.0.2.9 50122 ::ffff:10.77.0.31 22")
    assert 'ip saddr 192.0.2.9/32 tcp dport 22 accept comment "ses_management"' in script
    script = render_nftables(rules_of("sql1"), management_sources=["any"], connection_client="192.0.2.9 1 2 22")
    assert '\t\ttcp dport 22 accept comment "ses_management"' in script and "192.0.2.9" not in script
    with pytest.raises(SesInputError, match="linux_firewall_management_sources holds 'controller'"):
        render_nftables(rules_of("sql1"), management_sources=["controller"])


@needs_nft
def test_plan_warns_about_chains_the_iptables_backend_left():
    desired = render_nftables(rules_of("bo1"))
    setup = "printf '*filter\\n:SES_IN - [0:0]\\n-A INPUT -j SES_IN\\n-A SES_IN -j DROP\\nCOMMIT\\n' | iptables-restore"
    plan = nftables_plan(probe(nft_json_after(desired, setup)), desired)
    assert any("iptables backend's chains are still loaded (ip filter SES_IN)" in w for w in plan["warnings"])


def test_plan_reports_legacy_iptables_tables_that_drop():
    """Legacy iptables filters besides nftables: its INPUT drop policy defeats our accepts."""
    desired = render_nftables(rules_of("bo1"))
    legacy = "*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT"
    plain = nftables_plan(probe(""), desired)
    assert plain["warnings"] == []
    warnings = nftables_plan(probe("") + "\n%s\n%s\n%s\n" % (PROBE_MARKER, legacy, PROBE_MARKER), desired)["warnings"]
    assert len(warnings) == 1 and "iptables-legacy filter chain INPUT has policy DROP" in warnings[0]
    legacy_v6 = legacy.replace("INPUT DROP", "INPUT ACCEPT") + "\n-A INPUT -j DROP"
    ipv6_only = probe("") + "\n%s\n\n%s\n%s" % (PROBE_MARKER, PROBE_MARKER, legacy_v6)
    warnings = nftables_plan(ipv6_only, desired)["warnings"]
    assert len(warnings) == 1 and "ip6tables-legacy filter chain INPUT has DROP/REJECT rules" in warnings[0]
