# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cleanup playbook on the namespace lab: the gates refuse and change nothing, or pass and remove.

One lab of the bundled example fleet (prefix cl-XXXX-), migrated once; then every
refusal is tried and each must leave every host's nftables ruleset byte for byte
as it was; then the real cleanup, proven with real traffic by the verify
playbook; then the agents' gate. The expectations come from the vendor's table:
backend bo1 shares its machine with an agent handler, so the console con1 and
the agent handler ah2 reached it on TCP 443 in 2.6 (legacy) and on TCP 8443 from
2.7.1 (new); agents older than 2.7.1 use TCP 17000 (legacy_agent).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from cleanup_helpers import (
    ROOT, agent_export, patched_inventory, playbook, playbooks_at_once, unreachable_overlay)

__metaclass__ = type

# Unique per run (lab.py allows 10 characters): a CI run and a developer's run may overlap.
PREFIX = "cl-%04x-" % (os.getpid() % 0x10000)
LAB = os.path.join(ROOT, "tests", "lab", "lab.py")
MIGRATING = os.path.join(ROOT, "examples", "lab", "inventory.yml")  # ah2 and con1 still on 2.6.3
UPGRADED = os.path.join(ROOT, "tests", "lab", "inventories", "cleanup.yml")  # every backoffice host on 2.7.1
HOSTS = ("bo1", "ah2", "con1", "sql1", "log1", "agent-old", "agent-new")
# Fast and serial-free: the waves are exercised by the Windows simulation test.
COMMON = ("-e", "linux_firewall_filter_outbound=true", "-e", "ses_serial=100%", "--forks", "10")

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("nft") or not shutil.which("ansible-playbook"),
    reason="needs root, nftables and ansible-playbook")


def rulesets():
    """Every lab host's whole nftables ruleset, as text."""
    return {host: subprocess.run(["ip", "netns", "exec", PREFIX + host, "nft", "list", "ruleset"], text=True,
                                 check=True, stdout=subprocess.PIPE).stdout for host in HOSTS}


def connects(source, address, port):
    """A real TCP connection from the source host's namespace (2 s timeout)."""
    code = ("import socket,sys\ns=socket.socket()\ns.settimeout(2)\n"
            "sys.exit(0 if s.connect_ex((%r,%d))==0 else 1)" % (address, port))
    return subprocess.run(["ip", "netns", "exec", PREFIX + source, sys.executable, "-c", code],
                          check=False).returncode == 0


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """The migrated lab: (overlay inventory, scratch directory)."""
    scratch = tmp_path_factory.mktemp("cleanup_lab")
    env = dict(os.environ, SES_LAB_STATE_ROOT=str(scratch / "state"))
    subprocess.run([sys.executable, LAB, "up", MIGRATING, PREFIX], env=env, check=True, stdout=subprocess.PIPE)
    try:
        overlay = scratch / "state" / PREFIX / "inventory.yml"
        migrated = playbook("migrate", [MIGRATING, overlay], *COMMON)
        assert "failed=0" in migrated.out and "unreachable=0" in migrated.out, migrated
        yield overlay, scratch
    finally:
        subprocess.run([sys.executable, LAB, "down", PREFIX], env=env, check=False, stdout=subprocess.PIPE)


BAD_EXPORTS = {
    "missing": (None, "does not exist; export the agent list as CSV from the administration console"),
    "no_version_column": (b"Name;Status\r\nPC-1;Connected\r\n",
                          "no header with an agent name column and an agent version column"),
    "bad_version": (b"Name,Version\r\nPC-1,2.7.1\r\nPC-2,two\r\n", "line 3: agent 'PC-2' has the version 'two'"),
}


@pytest.fixture(scope="module")
def refusals(lab, tmp_path_factory):
    """Every run that must be refused, side by side; each must leave every ruleset as it was."""
    overlay, scratch = lab
    work = tmp_path_factory.mktemp("refusals")
    confirm = ("-e", "ses_cleanup_confirm=yes")
    audit = ("-e", "ses_audit_dir=%s" % (scratch / "audit"))
    console_on_2_6 = patched_inventory(UPGRADED, work / "console26.yml", versions={"con1": "2.6.3"})
    bad_version = patched_inventory(UPGRADED, work / "badversion.yml", versions={"ah2": "2.7.x"})
    agents_new = patched_inventory(UPGRADED, work / "agentsnew.yml", versions={"agent-old": "2.7.1"})
    old_export = agent_export(work / "old.csv", [("PC-0001", "2.7.1.1204"), ("PC-0002", "2.6.3.877")])
    # Ordinary mistakes that once got through (issue 9): each must be refused before any host is touched.
    target_on_bo1 = patched_inventory(MIGRATING, work / "target_bo1.yml", host_vars={"bo1": {"ses_target_version": "2.6.3"}})
    console_typo = work / "console_typo.yml"
    console_typo.write_text(console_on_2_6.read_text().replace("ses_consoles:", "ses_console:"))
    agent_network = patched_inventory(UPGRADED, work / "agentnet.yml", versions={"agent-old": "2.7.1"},
                                      host_vars={"ah2": {"ses_agent_networks": ["10.77.1.0/24"]}})
    one_line = agent_export(work / "one_line.csv", [("PC-0001", "2.7.1")])
    runs = {
        "console_on_2_6": ([console_on_2_6, overlay], confirm),
        "unreachable": ([UPGRADED, overlay, unreachable_overlay(work / "unreachable.yml", "ah2")], confirm),
        "limit": ([MIGRATING, overlay], confirm + ("--limit", "bo1,sql1,log1,agent-new")),
        "no_confirmation": ([UPGRADED, overlay], ()),
        "unknown_version": ([bad_version, overlay], confirm),
        "old_agent_in_export": ([agents_new, overlay], confirm + (
            "-e", "ses_cleanup_agents=true", "-e", "ses_agent_export_csv=%s" % old_export)),
    }
    runs.update({
        "target_downgrade": ([MIGRATING, overlay], confirm + ("-e", "ses_target_version=2.6.3")),
        "target_on_first_host": ([target_on_bo1, overlay], confirm),
        "groups_missing": ([console_on_2_6, overlay], confirm + ("-e", json.dumps({"ses_groups": {"console": "ses_console"}}))),
        "group_typo": ([console_typo, overlay], confirm),
        "command_line_version": ([MIGRATING, overlay], confirm + ("-e", "ses_version=2.7.1")),
        "one_line_export": ([agent_network, overlay], confirm + (
            "-e", "ses_cleanup_agents=true", "-e", "ses_agent_export_csv=%s" % one_line)),
        "cleanup_phase_migrate": ([UPGRADED, overlay], confirm + ("-e", "ses_phase=migrate")),
    })
    for key, (content, _message) in BAD_EXPORTS.items():
        path = work / ("%s.csv" % key)
        if content is not None:
            path.write_bytes(content)
        runs["export_" + key] = ([UPGRADED, overlay], confirm + (
            "-e", "ses_cleanup_agents=true", "-e", "ses_agent_export_csv=%s" % path))
    before = rulesets()
    playbooks = {key: ("cleanup", inventories, COMMON + audit + extra, None) for key, (inventories, extra) in runs.items()}
    playbooks["migrate_phase_cleanup"] = ("migrate", [MIGRATING, overlay], COMMON + ("-e", "ses_phase=cleanup"), None)
    results = playbooks_at_once(playbooks)
    return before, rulesets(), results, work


def test_refusals_change_no_ruleset_and_write_no_audit(refusals, lab):
    before, after, results = refusals[:3]
    assert after == before, "a refused cleanup changed a ruleset"
    assert "in_console_to_backend_tcp443_legacy" in before["bo1"]  # the migrate rules were there to lose
    assert not (lab[1] / "audit").exists()
    for key, run in results.items():
        assert run.rc != 0, (key, run)
        assert "Record what was removed on this host" not in run.out, key


def test_refuses_while_one_console_is_on_2_6(refusals):
    run = refusals[2]["console_on_2_6"]
    assert "BLOCKS: console: runs 2.6.3 (inventory), older than 2.7.1" in run.out
    assert "Cleanup refused: con1 cannot be shown to run 2.7.1" in run.out
    assert "Nothing was changed." in run.out


def test_refuses_when_a_backoffice_host_is_unreachable(refusals):
    run = refusals[2]["unreachable"]
    assert "BLOCKS: unreachable:" in run.out and "Cleanup refused: ah2 " in run.out


def test_limit_to_the_upgraded_hosts_does_not_bypass_the_gate(refusals):
    assert "Cleanup refused: ah2, con1 " in refusals[2]["limit"].out


def test_without_confirmation_it_shows_what_it_would_remove_and_stops(refusals):
    run = refusals[2]["no_confirmation"]
    assert "con1: would remove 1 rule(s), keep 1" in run.out
    assert "out_console_to_backend_tcp443_legacy (out tcp/443, peers 10.77.0.11/32, legacy)" in run.out
    assert "run again with -e ses_cleanup_confirm=yes" in run.out


def test_unknown_version_string_is_a_clear_error(refusals):
    assert "host 'ah2': ses_version is '2.7.x', which is not a version" in refusals[2]["unknown_version"].out


def test_agents_gate_refuses_with_one_old_agent_in_the_export(refusals):
    run = refusals[2]["old_agent_in_export"]
    assert "PC-0002  2.6.3.877  (%s line 3; runs 2.6.3.877, older than 2.7.1)" % (refusals[3] / "old.csv") in run.out
    assert "The agents' gate refused" in run.out


MISTAKES = {
    "target_downgrade": "ses_target_version is '2.6.3', not newer than the 2.6 baseline",
    "target_on_first_host": "ses_target_version is a fleet-wide setting, but host 'bo1' sets it to '2.6.3'",
    "groups_missing": "ses_groups.console names the group 'ses_console', which is not in the inventory",
    "group_typo": "inventory group 'ses_console' looks like the SES group 'ses_consoles'",
    "command_line_version": "-e ses_cleanup_accept_command_line_version=yes to rely on it",
    "one_line_export": "has no IP address column",
    "cleanup_phase_migrate": "-e ses_phase=migrate contradicts this playbook's phase, cleanup",
    "migrate_phase_cleanup": "-e ses_phase=cleanup contradicts this playbook's phase, migrate",
}


@pytest.mark.parametrize("key", sorted(MISTAKES))
def test_ordinary_mistakes_are_refused_with_the_fix(refusals, key):
    """Issue 9: each got through before; the ruleset check above covers them too."""
    run = refusals[2][key]
    assert run.rc != 0 and MISTAKES[key] in " ".join(run.out.split()), (key, run)


@pytest.mark.parametrize("key", sorted(BAD_EXPORTS))
def test_bad_agent_export_is_a_clear_error(refusals, key):
    run = refusals[2]["export_" + key]
    assert BAD_EXPORTS[key][1] in run.out and str(refusals[3] / ("%s.csv" % key)) in run.out


def test_a_failed_host_stops_the_later_waves_and_is_recorded(lab, tmp_path):
    """Only the hosts with legacy rules to remove enter the removal play, one a wave (ah2 | bo1 | con1);
    ah2's role fails (a bad backend setting), so the second and third waves never start."""
    overlay, scratch = lab
    broken = tmp_path / "broken.yml"
    broken.write_text("all:\n  hosts:\n    ah2:\n      linux_firewall_backend: pf\n")
    audit_dir = scratch / "audit-failed"
    before = rulesets()
    run = playbook("cleanup", [UPGRADED, overlay, broken], "-e", "linux_firewall_filter_outbound=true",
                   "-e", "ses_serial=1", "-e", "ses_cleanup_confirm=yes", "-e", "ses_audit_dir=%s" % audit_dir)
    assert run.rc != 0, run
    assert "Cleanup failed on ah2 (the previous rules stay there); no later wave was started." in run.out
    assert rulesets() == before  # ah2 kept its rules; bo1, con1, log1 and sql1 were never touched
    parts = {path.stem: json.loads(path.read_text()) for path in audit_dir.glob("*.hosts/*.json")}
    assert sorted(parts) == ["ah2"]  # the first wave, finished and recorded
    assert parts["ah2"]["status"] == "failed" and parts["ah2"]["rules_removed"] == []
    assert "linux_firewall_backend" in parts["ah2"]["details"]["error"]
    assert "Failed: ah2." in next(audit_dir.glob("*.md")).read_text()


def test_check_mode_shows_the_diff_and_changes_nothing(lab):
    overlay, scratch = lab
    before = rulesets()
    run = playbook("cleanup", [UPGRADED, overlay], *COMMON, "-e", "ses_cleanup_confirm=yes",
                   "-e", "ses_audit_dir=%s" % (scratch / "audit-check"), "--check", "--diff")
    assert run.rc == 0, run
    assert rulesets() == before
    assert not (scratch / "audit-check").exists()
    assert '-\t\tip saddr 10.77.0.21/32 tcp dport 443 accept comment "in_console_to_backend_tcp443_legacy"' in run.out
    assert "Check mode: nothing was changed and no audit record was written; the plan removes 4 rule(s)" in run.out


def test_cleanup_blocks_legacy_flows_and_keeps_new_ones(lab):
    overlay, scratch = lab
    audit_dir = scratch / "audit-pass"
    run = playbook("cleanup", [UPGRADED, overlay], *COMMON, "-e", "ses_cleanup_confirm=yes",
                   "-e", "ses_audit_dir=%s" % audit_dir)
    assert run.rc == 0, run
    # Only the three hosts with legacy rules (ah2, bo1, con1) enter the removal play and the record.
    assert "4 rule(s) removed on 3 of 3 host(s). Audit record: " in run.out
    # Real traffic: the verify playbook connects every flow of the cleanup matrix and checks
    # that the retired 2.6 flows are now blocked.
    verify = playbook("verify", [UPGRADED, overlay], "-e", "ses_phase=cleanup")
    assert verify.rc == 0, verify
    # The same, first hand: con1 -> bo1 on 443 (2.6) is blocked, on 8443 (2.7.1) open.
    assert not connects("con1", "10.77.0.11", 443)
    assert connects("con1", "10.77.0.11", 8443)
    assert connects("agent-old", "10.77.0.12", 17000)  # TCP 17000 stays without the agents' gate
    # The audit record names what went where.
    records = sorted(audit_dir.glob("*.json"))
    assert len(records) == 1
    record = json.loads(records[0].read_text())
    removed = {entry["host"]: sorted(rule["name"] for rule in entry["rules_removed"]) for entry in record["hosts"]}
    assert removed == {
        "bo1": ["in_agent_handler_to_backend_tcp443_legacy", "in_console_to_backend_tcp443_legacy"],
        "ah2": ["out_agent_handler_to_backend_tcp443_legacy"],
        "con1": ["out_console_to_backend_tcp443_legacy"]}  # hosts with nothing to remove do not enter
    assert all(entry["started"] and entry["finished"] for entry in record["hosts"])
    assert record["run"]["playbook"] == "ses_evolution.firewall.cleanup"
    assert "| in_console_to_backend_tcp443_legacy | in | tcp/443 | 10.77.0.21/32 | legacy |" in \
        records[0].with_suffix(".md").read_text()


def test_agents_gate_passes_when_every_agent_is_new_and_removes_17000(lab, tmp_path):
    overlay, scratch = lab
    inventory = patched_inventory(UPGRADED, tmp_path / "inv.yml", versions={"agent-old": "2.7.1"})
    # Complete: the export lists every ses_agents host (and nothing the rules do not cover).
    csv = agent_export(tmp_path / "agents.csv", [("agent-old", "2.7.1.1204"), ("agent-new", "2.7.2")], encoding="utf-8")
    run = playbook("cleanup", [inventory, overlay], *COMMON, "-e", "ses_cleanup_confirm=yes",
                   "-e", "ses_cleanup_agents=true", "-e", "ses_agent_export_csv=%s" % csv,
                   "-e", "ses_audit_dir=%s" % (scratch / "audit-agents"))
    assert run.rc == 0, run
    assert "Enable old communication protocol" in run.out
    assert "17000" not in rulesets()["ah2"] and "17000" not in rulesets()["bo1"]
    assert not connects("agent-old", "10.77.0.12", 17000)
    assert connects("agent-old", "10.77.0.12", 443)
    assert connects("agent-new", "10.77.0.11", 443)
