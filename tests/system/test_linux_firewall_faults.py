# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fault tests of the linux_firewall role, on real nftables/iptables and real TCP connections.

Two network namespaces of our own: ``lf-fh`` (the managed host, with listeners on
TCP 8443 and 9000) and ``lf-fc`` (a client), joined by one veth pair on
10.213.0.0/24, with no default route: no packet leaves them. Ansible reaches the
host through ``ansible_connection: local`` and an interpreter wrapper that runs
``ip netns exec lf-fh python3``.

Rule set A accepts TCP 8443 from the client, rule set B accepts TCP 9000 instead,
so a connection attempt tells which rule set is live.
"""

from __future__ import annotations

import re
import shutil
import time

import pytest

from role_lab import RoleLab, netns_available, sh

__metaclass__ = type

SUBNET = "10.213.0"
CLIENT_IP = SUBNET + ".2"
CLOSED_PORT = 9  # nothing listens there on the controller's loopback: the confirmation cannot succeed
ROLLBACK_SECONDS = 8

pytestmark = pytest.mark.skipif(not netns_available() or not shutil.which("ansible-playbook"),
                                reason="needs root, iproute2 ('ip netns'), nftables, iptables and ansible-playbook")

RULES_A = [{"name": "in_console_to_backend_tcp8443_new", "direction": "in", "protocol": "tcp", "port": 8443,
            "peers": [CLIENT_IP + "/32"], "purpose": "test", "lifecycle": "new"}]
RULES_B = [{"name": "in_test_tcp9000_new", "direction": "in", "protocol": "tcp", "port": 9000,
            "peers": [CLIENT_IP + "/32"], "purpose": "test", "lifecycle": "new"}]
LAB = {}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    LAB["lab"] = RoleLab(tmp_path_factory.mktemp("lf_faults"), "lf-f", SUBNET).up()
    yield LAB["lab"].base / "fh"
    LAB["lab"].down()


def play(_base, **variables):
    """ansible-playbook of the role on the host with ``variables``; (returncode, output)."""
    lab = LAB["lab"]
    return lab.play({"fh": lab.host_vars("fh")}, variables)


def connects(port):
    return LAB["lab"].connects(port)


def live_table():
    return LAB["lab"].on_host("nft", "list", "table", "inet", "ses_evolution").stdout


APPLIED_A = {}


@pytest.fixture
def rules_a(lab):
    """The host runs rule set A (8443 open, 9000 closed) before each test; gives the host's folder.

    The role runs only when the live table is not the one it left with rule set A
    (a test changed it), which keeps the file's runtime down.
    """
    LAB["lab"].on_host("nft", "delete", "table", "inet", "lf_admin")
    if not APPLIED_A or live_table() != APPLIED_A["table"]:
        code, output = play(lab, linux_firewall_rules=RULES_A)
        assert code == 0, output
        APPLIED_A["table"] = live_table()
    assert connects(8443) and not connects(9000)
    return lab


def test_invalid_rule_leaves_the_old_rules_active(rules_a):
    before = live_table()
    code, output = play(rules_a, linux_firewall_rules=RULES_B, linux_firewall_extra_input=["tcp dport 99999 accept"])
    assert code != 0
    assert "nft -c rejected the new rule set" in output
    assert live_table() == before
    assert connects(8443) and not connects(9000)


def test_invalid_rule_leaves_the_old_iptables_rules_active(rules_a):
    code, output = play(rules_a, linux_firewall_backend="iptables", linux_firewall_rules=RULES_A)
    assert code == 0, output
    LAB["lab"].on_host("nft", "delete", "table", "inet", "ses_evolution")
    assert connects(8443) and not connects(9000)  # now through SES_IN alone
    # What a reboot loads (netfilter-persistent's rules.v4) gives the same chains as the live ones.
    ours = re.compile(r"^(:SES_|-A SES_|-A INPUT .*-j SES_IN$)")
    live = [line for line in LAB["lab"].on_host("iptables-save", "-t", "filter").stdout.splitlines()
            if ours.match(line)]
    rebooted = sh("unshare", "--net", "sh", "-c", "iptables-restore < %s && iptables-save -t filter"
                  % (rules_a / "etc" / "rules.v4")).stdout.splitlines()
    assert live and [line for line in rebooted if ours.match(line)] == live
    code, output = play(rules_a, linux_firewall_backend="iptables", linux_firewall_rules=RULES_B,
                        linux_firewall_extra_input=["-p tcp --dport 99999 -j ACCEPT"])
    assert code != 0 and "iptables-restore --test rejected" in output
    assert connects(8443) and not connects(9000)
    LAB["lab"].on_host("iptables", "-F", "INPUT")
    LAB["lab"].on_host("iptables", "-F", "SES_IN")


def test_rule_set_without_management_is_refused_on_a_remote_connection(rules_a):
    before = live_table()
    code, output = play(rules_a, linux_firewall_rules=RULES_B, linux_firewall_connection_remote=True,
                        linux_firewall_management_sources=[])
    assert code != 0
    assert "would lock Ansible out, so nothing was changed" in output
    assert live_table() == before and connects(8443) and not connects(9000)
    # With the controller's address allowed, the same rule set goes through.
    code, output = play(rules_a, linux_firewall_rules=RULES_B, linux_firewall_connection_remote=True,
                        linux_firewall_management_sources=["192.0.2.10"],
                        linux_firewall_confirm_port=None)
    assert code == 0, output
    assert 'ip saddr 192.0.2.10 tcp dport 22 accept comment "ses_management"' in live_table()
    assert connects(9000) and not connects(8443)


def test_failed_confirmation_rolls_back_by_itself(rules_a):
    before = live_table()
    persisted = (rules_a / "etc" / "ses.nft").read_text()
    started = time.monotonic()
    code, output = play(rules_a, linux_firewall_rules=RULES_B, linux_firewall_confirm_host="127.0.0.1",
                        linux_firewall_confirm_port=CLOSED_PORT, linux_firewall_confirm_timeout=2,
                        linux_firewall_rollback_timeout=ROLLBACK_SECONDS)
    assert code != 0
    assert "the previous rules come back by themselves" in output
    # Rule set B went live, unconfirmed; the timer puts A back without any further Ansible run.
    deadline = started + ROLLBACK_SECONDS + 20
    while not (rules_a / "state" / "rollback.done").exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert (rules_a / "state" / "rollback.done").exists(), "the rollback timer did not fire"
    assert live_table() == before
    assert connects(8443) and not connects(9000)
    # Never confirmed, so never persisted: a reboot would load rule set A too.
    assert (rules_a / "etc" / "ses.nft").read_text() == persisted
    # The stored copy was not updated either: a run with rule set A finds nothing to do.
    code, output = play(rules_a, linux_firewall_rules=RULES_A)
    assert code == 0 and "changed=0" in output


def test_another_table_with_a_drop_policy_is_reported(rules_a):
    admin = "table inet lf_admin {\n chain input {\n  type filter hook input priority 10; policy drop;\n }\n}\n"
    LAB["lab"].on_host("nft", "-f", "-", input=admin)
    # Our accept is defeated by the other base chain: the packet is dropped there.
    assert not connects(8443)
    code, output = play(rules_a, linux_firewall_rules=RULES_A)
    assert code == 0, output
    assert "base chain 'inet lf_admin input' (hook input, priority 10) has policy drop" in output
    assert "linux_firewall_nftables_jump_from: 'inet lf_admin input'" in output
    code, output = play(rules_a, linux_firewall_rules=RULES_A, linux_firewall_conflict_action="fail")
    assert code != 0 and "nothing was changed" in output
    # What the warning recommends works: integrate mode, jumping from that chain.
    code, output = play(rules_a, linux_firewall_rules=RULES_A, linux_firewall_nftables_mode="integrate",
                        linux_firewall_nftables_jump_from="inet lf_admin input")
    assert code == 0, output
    assert connects(8443) and not connects(9000)
    assert "table inet ses_evolution" not in LAB["lab"].on_host("nft", "list", "tables").stdout
    LAB["lab"].on_host("nft", "delete", "table", "inet", "lf_admin")


def test_persisted_nftables_configuration_reloads_the_live_table(rules_a):
    # What the boot loads (/etc/nftables.conf, which includes our file), in a fresh namespace.
    conf = rules_a / "etc" / "nftables.conf"
    assert 'include "%s"' % (rules_a / "etc" / "ses.nft") in conf.read_text()
    rebooted = sh("unshare", "--net", "sh", "-c", "nft -f %s && nft list table inet ses_evolution" % conf)
    assert rebooted.stdout == live_table() != ""
