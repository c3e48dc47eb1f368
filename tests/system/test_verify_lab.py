# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The verify playbook on a namespace lab, with hand-written nftables rules: it must catch what is wrong.

Needs root, iproute2, nftables and ansible-playbook with the collection installed
(scripts/bootstrap.sh links the checkout).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAB = os.path.join(ROOT, "tests", "lab", "lab.py")
PREFIX = "lab-sv-"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not all(shutil.which(tool) for tool in ("ip", "nft", "ansible-playbook")),
    reason="needs root, iproute2, nftables and ansible-playbook")

INVENTORY = """
all:
  vars:
    ses_public_api_clients: []
    ses_update_server: []
  children:
    ses_backends:
      hosts:
        bo1: {ses_address: 10.79.0.11, ses_version: "2.7.1"}
    ses_agent_handlers:
      hosts:
        bo1:
    ses_consoles:
      hosts:
        con1: {ses_address: 10.79.0.21, ses_version: "2.7.1"}
    ses_syslog_servers:
      hosts:
        log1: {ses_address: 10.79.0.41}
"""

# Inbound rules by hand (vendor's table): the console reaches the co-located backend on TCP 443
# (2.6) and 8443 (2.7.1); the agent handler on bo1 sends syslog to log1 on TCP 1468, UDP 514, TCP 5614.
BASE = """table inet handmade {
  chain input {
    type filter hook input priority 0; policy drop;
    ct state established,related accept
    iifname "lo" accept
%s
  }
}
"""
RULES = {
    "bo1": ["ip saddr 10.79.0.21 tcp dport { 443, 8443 } accept"],
    "log1": ["ip saddr 10.79.0.11 tcp dport { 1468, 5614 } accept", "ip saddr 10.79.0.11 udp dport 514 accept"],
    "con1": [],
}


def load_rules(rules):
    for host, lines in rules.items():
        namespace = PREFIX + host
        subprocess.run(["ip", "netns", "exec", namespace, "nft", "delete", "table", "inet", "handmade"],
                       check=False, stderr=subprocess.DEVNULL)
        subprocess.run(["ip", "netns", "exec", namespace, "nft", "-f", "-"], check=True, text=True,
                       input=BASE % "\n".join("    " + line for line in lines))


def verify(tmp_path, env):
    state = os.path.join(env["SES_LAB_STATE_ROOT"], PREFIX)
    report_dir = tmp_path / "report"
    result = subprocess.run(
        ["ansible-playbook", "ses_evolution.firewall.verify", "-i", str(tmp_path / "inventory.yml"),
         "-i", os.path.join(state, "inventory.yml"), "-e", "ses_verify_report_dir=%s" % report_dir,
         "-e", "ses_verify_timeout=1"],
        text=True, check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    report = json.loads((report_dir / "verify_report.json").read_text())
    rows = {(r["source"], r["destination"], r["protocol"], r["port"]): r for r in report["rows"]}
    return result, report, rows


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("verify-lab")
    env = dict(os.environ, SES_LAB_STATE_ROOT=str(tmp_path / "state"), ANSIBLE_FORCE_COLOR="0")
    (tmp_path / "inventory.yml").write_text(INVENTORY)
    subprocess.run([sys.executable, LAB, "up", str(tmp_path / "inventory.yml"), PREFIX], env=env, check=True)
    yield tmp_path, env
    subprocess.run([sys.executable, LAB, "down", PREFIX], env=env, check=False)


def test_without_a_firewall_the_flows_pass_and_the_blocked_checks_fail(lab):
    tmp_path, env = lab
    result, report, rows = verify(tmp_path, env)
    assert result.returncode != 0
    assert rows[("con1", "bo1", "tcp", 8443)]["verdict"] == "PASS"
    assert rows[("bo1", "log1", "udp", 514)]["verdict"] == "PASS"  # the datagram's token reached log1
    outside = [r for r in report["rows"] if r["check"] == "outside_matrix"]
    assert outside and all(r["result"] == "open" and r["verdict"] == "FAIL" for r in outside)


def test_the_right_rules_pass(lab):
    tmp_path, env = lab
    load_rules(RULES)
    result, report, _rows = verify(tmp_path, env)
    assert result.returncode == 0, result.stdout[-3000:]
    assert report["failed"] == 0 and report["passed"] == report["total"] > 10


def test_a_missing_tcp_or_udp_rule_fails_its_row_only(lab):
    tmp_path, env = lab
    rules = dict(RULES, bo1=["ip saddr 10.79.0.21 tcp dport 443 accept"],
                 log1=["ip saddr 10.79.0.11 tcp dport { 1468, 5614 } accept"])
    load_rules(rules)
    result, report, rows = verify(tmp_path, env)
    assert result.returncode != 0
    failed = {key for key, row in rows.items() if row["verdict"] == "FAIL"}
    assert failed == {("con1", "bo1", "tcp", 8443), ("bo1", "log1", "udp", 514)}
    assert rows[("con1", "bo1", "tcp", 8443)]["result"] == "blocked"
    assert "not received" in rows[("bo1", "log1", "udp", 514)]["detail"]
    assert "8443" in result.stdout and "FAIL" in result.stdout
    assert report["failed"] == 2
