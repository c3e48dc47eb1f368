# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The linux_firewall role under hostile or mistaken input, on real nftables and real TCP connections.

One regression test per finding of the security review (issue 8): shell
injection through host names and nft names, command-line booleans, raw
statements that escape their chain, the controller's address outside the
management sources, two runs at once, filtering outside our table, a full
state disk. Each was seen to fail on the role before the fix.
"""

from __future__ import annotations

import json
import os
import shutil
import time

import pytest

from role_lab import RoleLab, netns_available, sh

__metaclass__ = type

pytestmark = pytest.mark.skipif(not netns_available() or not shutil.which("ansible-playbook"),
                                reason="needs root, iproute2 ('ip netns'), nftables, iptables and ansible-playbook")

SUBNET = "10.214.0"
CLIENT = SUBNET + ".2/32"
RULES_A = [{"name": "in_console_to_backend_tcp8443_new", "direction": "in", "protocol": "tcp", "port": 8443,
            "peers": [CLIENT], "purpose": "test", "lifecycle": "new"}]
RULES_B = [{"name": "in_test_tcp9000_new", "direction": "in", "protocol": "tcp", "port": 9000,
            "peers": [CLIENT], "purpose": "test", "lifecycle": "new"}]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    lab = RoleLab(tmp_path_factory.mktemp("lf_security"), "lf-s", SUBNET).up()
    yield lab
    lab.down()


@pytest.fixture
def host(lab):
    """One host 'h' running rule set A, with no table or legacy rule of another test left."""
    lab.on_host("nft", "flush", "ruleset")
    lab.on_host("iptables-legacy", "-P", "INPUT", "ACCEPT")
    code, output = lab.play({"h": lab.host_vars("h")}, {"linux_firewall_rules": RULES_A})
    assert code == 0, output
    assert lab.connects(8443) and not lab.connects(9000)
    return lab


def hostile_names(sentinel):
    return ['bo1"; touch %s; "' % sentinel, "x$(touch${IFS}%s)" % sentinel, "y`touch %s`" % sentinel,
            "z'; touch %s; '" % sentinel, "w\ntouch %s\n" % sentinel]


def test_hostile_host_names_never_reach_a_shell(lab):
    lab.on_host("nft", "flush", "ruleset")
    sentinel = lab.base / "pwned-by-host-name"
    hosts = {}
    for index, name in enumerate(hostile_names(sentinel)):
        hosts[name] = lab.host_vars("hostile%d" % index, linux_firewall_nftables_table="ses_h%d" % index,
                                    linux_firewall_rules=RULES_A)
    # Check mode (read-only probes), a load nft rejects (the error path), then a real apply.
    code, output = lab.play(hosts, args=["--check"])
    assert code == 0, output
    assert not sentinel.exists()
    code, output = lab.play(hosts, {"linux_firewall_extra_input": ["tcp dport 99999 accept"]})
    assert code != 0 and "nft -c rejected" in output
    assert not sentinel.exists()
    code, output = lab.play(hosts)
    assert code == 0, output
    assert not sentinel.exists()
    tables = lab.on_host("nft", "list", "tables").stdout
    assert all("table inet ses_h%d" % index in tables for index in range(len(hosts)))


def test_migrate_over_an_inventory_of_hostile_host_names(lab):
    """The whole migrate playbook, --check then for real: the names reach no shell on any host."""
    lab.on_host("nft", "flush", "ruleset")
    sentinel = lab.base / "pwned-by-migrate"
    names = hostile_names(sentinel)
    hosts = {}
    for index, name in enumerate(names):
        hosts[name] = lab.host_vars("migrate%d" % index, linux_firewall_nftables_table="ses_m%d" % index,
                                    ses_address="%s.%d" % (SUBNET, 11 + index), ses_version="2.6.3")
    inventory = {"all": {"vars": {"ses_target_version": "2.7.1", "ses_public_api_clients": [],
                                  "ses_update_server": [], "ses_agent_networks": [SUBNET + ".128/25"]},
                         "children": {"ses_backends": {"hosts": {names[0]: hosts[names[0]]}},
                                      "ses_agent_handlers": {"hosts": {names[0]: {}, names[1]: hosts[names[1]]}},
                                      "ses_consoles": {"hosts": {name: hosts[name] for name in names[2:]}}}}}
    (lab.base / "hostile-fleet.json").write_text(json.dumps(inventory))
    for args in (["--check"], []):
        result = sh("ansible-playbook", "ses_evolution.firewall.migrate", "-i", str(lab.base / "hostile-fleet.json"),
                    "-e", "ses_serial=100%", *args, check=False,
                    env=dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0"))
        assert result.returncode == 0, result.stdout + result.stderr
        assert "hosts: %d" % len(names) in result.stdout
        assert not sentinel.exists()
    tables = lab.on_host("nft", "list", "tables").stdout
    assert all("table inet ses_m%d" % index in tables for index in range(len(names))), tables


def test_hostile_nft_names_are_refused_before_the_host_is_touched(host):
    sentinel = host.base / "pwned-by-chain-name"
    before = host.ruleset()
    for variables in ({"linux_firewall_nftables_mode": "integrate",
                       "linux_firewall_nftables_jump_from": "inet filter x$(touch %s)" % sentinel},
                      {"linux_firewall_nftables_mode": "integrate",
                       "linux_firewall_nftables_jump_from": "inet filter input; flush ruleset"},
                      {"linux_firewall_nftables_table": "ses$(touch %s)" % sentinel},
                      {"linux_firewall_state_dir": "/tmp/x $(touch %s)" % sentinel}):
        for args in (["--check"], []):
            code, output = host.play({"h": host.host_vars("h")}, dict(variables, linux_firewall_rules=RULES_A),
                                     args=args)
            assert code != 0, output
            assert any(name in output for name in variables if name.startswith("linux_firewall_")), output
            assert not sentinel.exists()
            assert host.ruleset() == before


def test_booleans_typed_on_the_command_line(host):
    """-e NAME=VALUE gives strings: 'false', 'off', 'no' must mean false, 'maybe' must be refused."""
    rules = {"linux_firewall_rules": RULES_A}
    code, output = host.play({"h": host.host_vars("h")}, rules, args=[
        "-e", "linux_firewall_filter_outbound=false", "-e", "linux_firewall_allow_icmp=off"])
    assert code == 0, output
    table = host.on_host("nft", "list", "table", "inet", "ses_evolution").stdout
    assert "chain output" not in table, table
    assert "echo-request" not in table, table
    assert host.connects(8443)
    code, output = host.play({"h": host.host_vars("h")}, rules, args=[
        "-e", "linux_firewall_filter_outbound=no", "-e", "linux_firewall_allow_icmp=YES"])
    assert code == 0, output
    table = host.on_host("nft", "list", "table", "inet", "ses_evolution").stdout
    assert "chain output" not in table and "icmp type echo-request" in table
    before = host.ruleset()
    code, output = host.play({"h": host.host_vars("h")}, rules, args=["-e", "linux_firewall_allow_icmp=maybe"])
    assert code != 0 and "linux_firewall_allow_icmp" in output and "maybe" in output, output
    assert host.ruleset() == before


def test_raw_statements_cannot_leave_their_chain(host):
    host.on_host("nft", "-f", "-", input="table inet lf_other {\n chain c {\n }\n}\n")
    before = host.ruleset()
    escape = ("tcp dport 1 accept\n}\n}\nflush ruleset\ntable inet ses_evolution {\nchain input {\n"
              "type filter hook input priority filter; policy accept;")
    for statement in (escape, "tcp dport 1 accept; flush ruleset", "tcp dport 1 accept } } flush ruleset"):
        code, output = host.play({"h": host.host_vars("h")},
                                 {"linux_firewall_rules": RULES_A, "linux_firewall_extra_input": [statement]})
        assert code != 0 and "linux_firewall_extra_input[0]" in output, output
        assert host.ruleset() == before
    assert "table inet lf_other" in host.ruleset()
    # iptables: a rule specification cannot carry a second command or another table.
    for statement in ("-p tcp --dport 1 -j ACCEPT\nCOMMIT\n*nat", "-p tcp -j ACCEPT -A INPUT", "-t nat -j ACCEPT"):
        code, output = host.play({"h": host.host_vars("h")},
                                 {"linux_firewall_rules": RULES_A, "linux_firewall_backend": "iptables",
                                  "linux_firewall_extra_input": [statement]})
        assert code != 0 and "linux_firewall_extra_input[0]" in output, output
        assert host.ruleset() == before


def test_controller_address_outside_the_management_sources_is_refused(host):
    before = host.ruleset()
    ssh = {"SSH_CONNECTION": "%s 50022 %s 22" % (SUBNET + ".2", host.host_ip)}
    code, output = host.play({"h": host.host_vars("h", linux_firewall_connection_remote=True)},
                             {"linux_firewall_rules": RULES_B, "linux_firewall_management_sources": ["192.0.2.10"]},
                             env=ssh)
    assert code != 0
    assert "does not admit %s.2" % SUBNET in output, output
    assert host.ruleset() == before
    # The controller's network admitted: the change goes through, with the management rule for it.
    code, output = host.play({"h": host.host_vars("h", linux_firewall_connection_remote=True)},
                             {"linux_firewall_rules": RULES_B, "linux_firewall_management_sources": [SUBNET + ".0/24"]},
                             env=ssh)
    assert code == 0, output
    assert "ip saddr %s.0/24 tcp dport 22 accept" % SUBNET in host.ruleset()


def cmdline(pid):
    try:
        with open("/proc/%s/cmdline" % pid, "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def boot_table(lab, folder):
    """What a reboot loads: the host's nftables.conf in a fresh network namespace."""
    conf = lab.base / folder / "etc" / "nftables.conf"
    return sh("unshare", "--net", "sh", "-c", 'nft -f "$1" && nft list table inet ses_evolution', "boot",
              str(conf), check=False).stdout


def test_two_runs_at_once_end_on_one_rule_set(host):
    timers = {"linux_firewall_rollback_timeout": 8, "linux_firewall_confirm_timeout": 3}
    runs = [host.start({"h": host.host_vars("h")}, dict(timers, linux_firewall_rules=rules), "run%d.json" % index)
            for index, rules in enumerate((RULES_B, RULES_A + RULES_B))]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    codes = [run.returncode for run in runs]
    # No rollback timer outlives the runs: each run disarms its own, and only its own.
    state = str(host.base / "h" / "state")
    assert not [pid for pid in os.listdir("/proc") if pid.isdigit() and "ses-rollback" in cmdline(pid)
                and state in cmdline(pid)]
    assert 0 in codes, outputs
    for code, output in zip(codes, outputs):
        assert code == 0 or "another run of the linux_firewall role" in output, output
    time.sleep(8 + 4)  # past any rollback timer either run armed
    live = host.on_host("nft", "list", "table", "inet", "ses_evolution").stdout
    assert live == boot_table(host, "h") != ""
    winner = [rules for code, rules in zip(codes, (RULES_B, RULES_A + RULES_B)) if code == 0][-1]
    assert host.connects(9000) and host.connects(8443) == (winner != RULES_B)


def test_filtering_outside_our_table_is_reported(host):
    if not shutil.which("iptables-legacy"):
        pytest.skip("iptables-legacy is not installed")
    host.on_host("iptables-legacy", "-P", "INPUT", "DROP", check=True)
    try:
        code, output = host.play({"h": host.host_vars("h")}, {"linux_firewall_rules": RULES_A})
        assert code == 0, output
        assert "legacy iptables-legacy filter chain INPUT has policy DROP" in output, output
        before = host.ruleset()
        variables = {"linux_firewall_rules": RULES_B, "linux_firewall_conflict_action": "fail"}
        code, output = host.play({"h": host.host_vars("h")}, variables)
        assert code != 0 and "nothing was changed" in output
        assert host.ruleset() == before
    finally:
        host.on_host("iptables-legacy", "-P", "INPUT", "ACCEPT")


def test_a_full_state_disk_leaves_the_rules_and_no_marker(host):
    full = host.base / "full-state"
    full.mkdir(exist_ok=True)
    sh("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(full))
    try:
        code, output = host.play({"f": host.host_vars("h", linux_firewall_state_dir=str(full / "state"))},
                                 {"linux_firewall_rules": RULES_B})
        assert code == 0, output  # room enough: it works, and leaves its state there
        before = host.ruleset()
        # No page left: files rewritten in place still fit, a new file (a marker) does not.
        stat = os.statvfs(full)
        filler = full / "filler"
        filler.write_bytes(b"x" * (stat.f_bavail * stat.f_frsize))
        code, output = host.play({"f": host.host_vars("h", linux_firewall_state_dir=str(full / "state"))},
                                 {"linux_firewall_rules": RULES_A + RULES_B})
        assert code != 0, output
        assert host.ruleset() == before
        assert not (full / "state" / "rollback.armed").exists()
        assert not (full / "state" / "lease").exists()
        filler.unlink()
    finally:
        sh("umount", str(full), check=False)
