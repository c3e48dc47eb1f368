# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The drift playbook on the namespace lab: after migrate, four hand-made changes, each found in its category.

One lab of the bundled example fleet (prefix dr-XXXX-), migrated once with nftables. Then, as an
administrator might: a rule of ours deleted on bo1, a rule of ours re-added open to any address on
log1, a table of their own on ah2 that accepts TCP 17000 from any, and an iptables rule (iptables-nft,
outside our table) on sql1 that accepts TCP 443 from any. The expectations come from the vendor's table:
bo1 is a backend co-located with an agent handler, so the console reaches it on TCP 8443 (2.7.1); ah2 is
an agent handler, which agents reach on TCP 17000 (older agents); sql1 is the SQL server, which nothing
reaches on TCP 443; log1 is the syslog server, which the agent handlers reach on TCP 5614.
Two runs side by side: the whole fleet under --check with ses_drift_report_only (reports, exit 0,
changes nothing), and --limit on sql1 and the untouched con1 (fails on sql1's exposure).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from cleanup_helpers import ROOT, playbook, playbooks_at_once

__metaclass__ = type

# Unique per run (lab.py allows 10 characters): another run of the suite may overlap.
PREFIX = "dr-%04x-" % (os.getpid() % 0x10000)
LAB = os.path.join(ROOT, "tests", "lab", "lab.py")
INVENTORY = os.path.join(ROOT, "examples", "lab", "inventory.yml")
HOSTS = ("bo1", "ah2", "con1", "sql1", "log1", "agent-old", "agent-new")

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("nft") or not shutil.which("iptables")
    or not shutil.which("ansible-playbook"), reason="needs root, nftables, iptables and ansible-playbook")


def on(host, *argv, data=None):
    return subprocess.run(["ip", "netns", "exec", PREFIX + host] + list(argv), input=data, text=True, check=True,
                          stdout=subprocess.PIPE).stdout


def rulesets():
    return {host: on(host, "nft", "list", "ruleset") for host in HOSTS}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """The migrated lab, then changed by hand: (overlay inventory, scratch directory)."""
    scratch = tmp_path_factory.mktemp("drift_lab")
    env = dict(os.environ, SES_LAB_STATE_ROOT=str(scratch / "state"))
    subprocess.run([sys.executable, LAB, "up", INVENTORY, PREFIX], env=env, check=True, stdout=subprocess.PIPE)
    try:
        overlay = scratch / "state" / PREFIX / "inventory.yml"
        migrated = playbook("migrate", [INVENTORY, overlay], "-e", "ses_serial=100%", "--forks", "10")
        assert "failed=0" in migrated.out and "unreachable=0" in migrated.out, migrated
        # 1. a rule of ours deleted (bo1: the console's TCP 8443)
        listing = on("bo1", "nft", "-a", "list", "chain", "inet", "ses_evolution", "input")
        handle = [line.rsplit("handle ", 1)[1] for line in listing.splitlines()
                  if '"in_console_to_backend_tcp8443_new"' in line]
        assert len(handle) == 1, listing
        on("bo1", "nft", "delete", "rule", "inet", "ses_evolution", "input", "handle", handle[0])
        # 2. a rule of ours widened: the same name, open to any address (log1: TCP 5614)
        on("log1", "nft", "add", "rule", "inet", "ses_evolution", "input", "tcp", "dport", "5614", "accept",
           "comment", '"in_agent_handler_to_syslog_tcp5614_permanent"')
        # 3. another nft table opening TCP 17000 to any (ah2)
        on("ah2", "nft", "-f", "-", data="table inet admin {\n chain input {\n  type filter hook input priority 10; "
                                         "policy accept;\n  tcp dport 17000 accept\n }\n}\n")
        # 4. an iptables rule outside our chains (sql1: TCP 443 from any)
        on("sql1", "iptables", "-A", "INPUT", "-p", "tcp", "--dport", "443", "-j", "ACCEPT")
        yield overlay, scratch
    finally:
        subprocess.run([sys.executable, LAB, "down", PREFIX], env=env, check=False, stdout=subprocess.PIPE)


@pytest.fixture(scope="module")
def runs(lab):
    overlay, scratch = lab
    before = rulesets()
    inventories = [INVENTORY, overlay]
    results = playbooks_at_once({
        # The whole fleet, under --check, reporting without failing.
        "fleet": ("drift", inventories, ("--check", "--forks", "10", "-e", "ses_drift_report_only=true",
                                         "-e", "ses_drift_report_dir=%s" % (scratch / "r1")), None),
        # Two hosts, one with an exposure: the run fails.
        "limit": ("drift", inventories, ("--limit", "sql1,con1,localhost",
                                         "-e", "ses_drift_report_dir=%s" % (scratch / "r2")), None),
    }, width=2)
    return results, before, rulesets(), scratch


def report(scratch, name):
    return json.loads((scratch / name / "drift.json").read_text())


def categories(data, host):
    return sorted((f["category"], f["rule"], f.get("port"), f["widened"]) for f in data["hosts"][host]["findings"])


def test_each_change_is_found_in_its_category(runs):
    results, _before, _after, scratch = runs
    assert results["fleet"].rc == 0 and "findings reported (report only)" in results["fleet"].out, results["fleet"]
    data = report(scratch, "r1")
    assert categories(data, "bo1") == [("missing", "in_console_to_backend_tcp8443_new", None, False)]
    assert categories(data, "log1") == [("changed", "in_agent_handler_to_syslog_tcp5614_permanent", None, True)]
    assert categories(data, "ah2") == [("exposure", None, 17000, True)]
    assert data["hosts"]["ah2"]["findings"][0]["where"] == "nft inet admin input"
    assert categories(data, "sql1") == [("exposure", None, 443, True)]
    for host in ("con1", "agent-old", "agent-new"):
        assert data["hosts"][host]["clean"], data["hosts"][host]
    assert data["totals"]["hosts"] == 7 and data["totals"]["unreadable"] == 0
    # The one-screen summary and the files of each host.
    assert "drift (phase migrate): 7 host(s), 4 with findings: 1 missing, 0 extra, 1 changed (1 widened), " \
           "2 exposure, 0 unread" in results["fleet"].out
    assert (scratch / "r1" / "hosts" / "sql1.md").read_text().count("| exposure |") == 1
    assert "[bo1](hosts/bo1.md): 1 missing" in (scratch / "r1" / "drift.md").read_text()


def test_the_audit_changes_nothing(runs):
    _results, before, after, _scratch = runs
    assert before == after


def test_limit_audits_only_the_limited_hosts_and_fails_on_findings(runs):
    results, _before, _after, scratch = runs
    assert results["limit"].rc != 0 and "drift or exposure on 1 host(s)" in results["limit"].out, results["limit"]
    data = report(scratch, "r2")
    assert sorted(data["hosts"]) == ["con1", "sql1"] and data["hosts"]["con1"]["clean"]
    assert categories(data, "sql1") == [("exposure", None, 443, True)]
