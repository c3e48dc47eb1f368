# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX jobs of the runbook, run as AWX runs them, against a real namespace lab.

Each job is a private data directory (the project extensions/awx/project, the
inventory, env/extravars, env/envvars) run by ansible-runner's Python API
(tests/system/awx_job.py); the cleanup jobs take their extra variables from the
survey file extensions/awx/surveys/cleanup.json. The lab is the bundled example
fleet (tests/lab/lab.py, one network namespace per host, prefix aw-XXXX- unique
per process): migrate, then verify, the scheduled drift check and the cleanup
dry runs. What AWX reads back is checked: status, rc, the job events, the
set_stats data in the stats event; and what landed: each namespace's nftables
ruleset.

The expected rules come from the vendor's table (configure_firewall_2.7.1): bo1 is
a backend with a co-located agent handler, so during the migration the console and
the separate agent handler ah2 reach it on TCP 443 (2.6) and TCP 8443 (2.7.1);
agents reach every agent handler on TCP 17000 (before 2.7.1) and TCP 443 (2.7.1).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from awx_job import ROOT, private_data_dir, run_job, runner_available, survey_extravars

__metaclass__ = type

# Unique per run (lab.py allows 10 characters): a CI run and a developer's run may overlap.
PREFIX = "aw-%04x-" % (os.getpid() % 0x10000)
LAB = os.path.join(ROOT, "tests", "lab", "lab.py")
MIGRATING = os.path.join(ROOT, "examples", "lab", "inventory.yml")  # ah2 and con1 still on 2.6.3
UPGRADED = os.path.join(ROOT, "tests", "lab", "inventories", "cleanup.yml")  # the backoffice on 2.7.1
HOSTS = ("bo1", "ah2", "con1", "sql1", "log1", "agent-old", "agent-new")
# A job template's extra variables: one wave (the waves are the Windows simulation test's subject)
# and outbound filtering, so that verify proves both ends of every flow.
MIGRATE_VARS = {"ses_serial": "100%", "linux_firewall_filter_outbound": True}
FORKS = 10  # the job template's "Forks"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("nft") or not shutil.which("ansible-playbook") or not runner_available(),
    reason="needs root, nftables, ansible-playbook and ansible-runner (SES_TOOLS_BIN, requirements-tools.txt)")


def rulesets():
    """Every lab host's whole nftables ruleset, as text."""
    return {host: subprocess.run(["ip", "netns", "exec", PREFIX + host, "nft", "list", "ruleset"], text=True,
                                 check=True, stdout=subprocess.PIPE).stdout for host in HOSTS}


def ses_rules(ruleset):
    """The collection's rule names in a ruleset (the base rules, named ses_*, set aside)."""
    return [name for name in re.findall(r'comment "([^"]+)"', ruleset) if not name.startswith("ses_")]


@pytest.fixture(scope="module")
def jobs(tmp_path_factory):
    """The runbook's jobs on one lab: migrate, then verify, drift and two cleanup dry runs (their
    inventory says the backoffice was upgraded). {name: Job}, with the rulesets between them."""
    scratch = tmp_path_factory.mktemp("awx_lab")
    env = dict(os.environ, SES_LAB_STATE_ROOT=str(scratch / "state"))
    subprocess.run([sys.executable, LAB, "up", MIGRATING, PREFIX], env=env, check=True, stdout=subprocess.PIPE)
    try:
        overlay = scratch / "state" / PREFIX / "inventory.yml"
        done = {}
        done["migrate"] = run_job(private_data_dir(scratch / "migrate", [MIGRATING, overlay], MIGRATE_VARS),
                                  "ses_migrate.yml", forks=FORKS)
        done["migrated"] = rulesets()
        # Then five jobs side by side (each reads the rulesets, none writes them; each job has its own
        # hand-off directory): verify, the scheduled drift check, and the cleanup dry runs of the upgraded
        # backoffice: the survey's default answer (no), and the job type "Check" with the answer yes
        # (AWX adds --check, and --diff with "Show changes"); and that Check job while ah2 and con1
        # still run 2.6.3, which the gate must refuse.
        audit = {"ses_audit_dir": str(scratch / "audit")}
        verify = private_data_dir(scratch / "verify", [MIGRATING, overlay],
                                  {"ses_verify_report_dir": str(scratch / "verify_report")})
        dry = private_data_dir(scratch / "dry", [UPGRADED, overlay], dict(survey_extravars("cleanup"), **audit))
        check = private_data_dir(scratch / "check", [UPGRADED, overlay],
                                 dict(survey_extravars("cleanup", {"ses_cleanup_confirm": "yes"}), **audit))
        refused = private_data_dir(scratch / "refused", [MIGRATING, overlay],
                                   dict(survey_extravars("cleanup", {"ses_cleanup_confirm": "yes"}), **audit))
        drift = private_data_dir(scratch / "drift", [MIGRATING, overlay],
                                 {"ses_drift_report_dir": str(scratch / "drift_report")})
        with ThreadPoolExecutor(max_workers=5) as pool:
            verify_job = pool.submit(run_job, verify, "ses_verify.yml", forks=FORKS)
            drift_job = pool.submit(run_job, drift, "ses_drift.yml", forks=FORKS)
            dry_job = pool.submit(run_job, dry, "ses_cleanup.yml", forks=FORKS)
            check_job = pool.submit(run_job, check, "ses_cleanup.yml", forks=FORKS, cmdline="--check --diff")
            done["verify"], done["cleanup_dry_run"] = verify_job.result(), dry_job.result()
            refused_job = pool.submit(run_job, refused, "ses_cleanup.yml", forks=FORKS, cmdline="--check --diff")
            done["cleanup_check"], done["drift"] = check_job.result(), drift_job.result()
            done["cleanup_check_refused"] = refused_job.result()
        done["verify_report"] = json.loads((scratch / "verify_report" / "verify_report.json").read_text())
        done["after_cleanup"] = rulesets()
        done["audit_written"] = (scratch / "audit").exists()
        yield done
    finally:
        subprocess.run([sys.executable, LAB, "down", PREFIX], env=env, check=False, stdout=subprocess.PIPE)


def test_the_artifacts_are_what_awx_reads(jobs):
    """Per job: the API's answer agrees with the artifacts; the events are one ordered stream from
    playbook_on_start to playbook_on_stats, as AWX stores them."""
    for name in ("migrate", "verify", "drift", "cleanup_dry_run", "cleanup_check", "cleanup_check_refused"):
        job = jobs[name]
        assert (job.api["status"], job.api["rc"]) == (job.status, job.rc), (name, job)
        assert [event["counter"] for event in job.events] == list(range(1, len(job.events) + 1)), name
        assert job.events[0]["event"] == "playbook_on_start" and job.events[-1]["event"] == "playbook_on_stats", name
        assert job.api["stats"]["failures"] == job.stats["failures"], name


def test_migrate_job_opens_old_and_new_flows_on_every_host(jobs):
    job, rules = jobs["migrate"], jobs["migrated"]
    assert (job.status, job.rc) == ("successful", 0), job
    assert set(job.stats["changed"]) == set(HOSTS) and not job.stats["failures"] and not job.stats["dark"], job.stats
    assert not [event for event in job.events if event["event"] in ("runner_on_failed", "runner_on_unreachable")]
    # set_stats: in the stats event (what AWX shows and hands to the next workflow node) and in the
    # event of the task that set it; the count agrees with what the rulesets hold.
    counts = job.stats["artifact_data"]["ses_migrate_stats"]
    published = job.by_task("runner_on_ok", "Publish the counts for AWX")["localhost"]["res"]["ansible_stats"]
    assert published["data"]["ses_migrate_stats"] == counts
    assert int(counts["hosts"]) == len(HOSTS) and int(counts["removed"]) == 0 and int(counts["failed"]) == 0
    assert int(counts["added"]) == sum(len(ses_rules(rules[host])) for host in HOSTS)
    # bo1, from the vendor's table: inbound the console and the agent handler (443 legacy, 8443 new),
    # the public API 10443, agents 443 (2.7.1) and 17000 (before 2.7.1); outbound the update server
    # 443, SQL TCP 1433/1434 and UDP 1434, syslog TCP 1468, UDP 514, TCP 5614.
    assert sorted(ses_rules(rules["bo1"])) == sorted([
        "in_console_to_backend_tcp443_legacy", "in_console_to_backend_tcp8443_new",
        "in_agent_handler_to_backend_tcp443_legacy", "in_agent_handler_to_backend_tcp8443_new",
        "in_public_api_to_backend_tcp10443_permanent",
        "in_agent_to_agent_handler_tcp443_new", "in_agent_to_agent_handler_tcp17000_legacy_agent",
        "out_backend_to_update_server_tcp443_permanent", "out_backend_to_sql_server_tcp1433_permanent",
        "out_backend_to_sql_server_tcp1434_permanent", "out_backend_to_sql_server_udp1434_permanent",
        "out_agent_handler_to_syslog_tcp1468_permanent", "out_agent_handler_to_syslog_udp514_permanent",
        "out_agent_handler_to_syslog_tcp5614_permanent"])
    assert sorted(ses_rules(rules["con1"])) == ["out_console_to_backend_tcp443_legacy",
                                                "out_console_to_backend_tcp8443_new"]
    # Scoped to the inventory's peers: the console's address on bo1's 443 and 8443.
    assert re.search(r"ip saddr 10\.77\.0\.21(/32)? tcp dport 8443 .*in_console_to_backend_tcp8443_new", rules["bo1"])


def test_verify_job_proves_the_flows_with_real_traffic(jobs):
    job, report = jobs["verify"], jobs["verify_report"]
    assert (job.status, job.rc) == ("successful", 0), job
    counts = job.stats["artifact_data"]["ses_verify_stats"]
    assert counts["phase"] == "migrate" and int(counts["failed"]) == 0 and int(counts["skipped"]) == 0
    assert int(counts["passed"]) == int(counts["total"]) == len(report["rows"]) > 0
    verdicts = {(row["source"], row["destination"], row["protocol"], row["port"]): (row["expected"], row["verdict"])
                for row in report["rows"]}
    # The console reaches the co-located backend on both ports while the migration lasts.
    assert verdicts[("con1", "bo1", "tcp", 443)] == ("open", "PASS")
    assert verdicts[("con1", "bo1", "tcp", 8443)] == ("open", "PASS")
    assert verdicts[("agent-old", "ah2", "tcp", 17000)] == ("open", "PASS")


def test_drift_job_finds_the_migrated_rules_as_the_matrix_says(jobs):
    """The scheduled check (runbook step 6) right after migrate: every host read, nothing missing,
    extra, changed or exposed. Its set_stats data are flat variables (aggregate: false)."""
    job = jobs["drift"]
    assert (job.status, job.rc) == ("successful", 0), job
    counts = job.stats["artifact_data"]
    assert int(counts["ses_drift_hosts"]) == len(HOSTS), counts
    assert [int(counts["ses_drift_" + key]) for key in (
        "hosts_with_findings", "missing", "extra", "changed", "widened", "exposure", "unreadable")] == [0] * 7, counts


WOULD_REMOVE = ("bo1: would remove 2 rule(s), keep 12",
                "in_console_to_backend_tcp443_legacy (in tcp/443, peers 10.77.0.21/32, legacy)",
                "ah2: would remove 1 rule(s), keep 6", "con1: would remove 1 rule(s), keep 1")


def test_cleanup_dry_runs_change_nothing(jobs):
    assert jobs["after_cleanup"] == jobs["migrated"], "a cleanup dry run changed a ruleset"
    assert not jobs["audit_written"]
    assert not jobs["cleanup_dry_run"].stats["changed"], jobs["cleanup_dry_run"].stats
    # Check mode reports what it would change: the three hosts with legacy rules, nothing else.
    assert sorted(jobs["cleanup_check"].stats["changed"]) == ["ah2", "bo1", "con1"], jobs["cleanup_check"].stats


def test_cleanup_survey_default_lists_what_would_go_and_ends_the_job_failed(jobs):
    """The survey's default answer (no) is the command line's dry run: the gate passes, the list
    of what would go is shown, and the job ends failed (rc 2) on purpose, so a workflow cannot go
    on from it by its success path (docs/awx.md)."""
    job = jobs["cleanup_dry_run"]
    assert (job.status, job.rc) == ("failed", 2), job
    assert all(line in job.stdout for line in WOULD_REMOVE), job
    assert "Dry run: the gate passed and the rules above would be removed; nothing was changed." in job.stdout
    assert len(job.stats["failures"]) == 1, job.stats


def test_cleanup_in_check_mode_passes_the_gate_and_shows_the_diff(jobs):
    """Job type "Check" with the answer yes: the workflow's dry-run node succeeds when the gate passes."""
    job = jobs["cleanup_check"]
    assert (job.status, job.rc) == ("successful", 0), job
    assert "Check mode: nothing was changed and no audit record was written; the plan removes 4 rule(s)" in job.stdout
    assert all(line in job.stdout for line in WOULD_REMOVE), job
    assert '-\t\tip saddr 10.77.0.21/32 tcp dport 443 accept comment "in_console_to_backend_tcp443_legacy"' in job.stdout
    # The counts AWX shows: the plan's 4 rules (the same as the line above), nothing removed in check mode.
    counts = job.stats["artifact_data"]["ses_cleanup_stats"]
    assert str(counts["check_mode"]) == "True" and int(counts["planned"]) == 4, counts
    assert int(counts["removed"]) == 0 and int(counts["failed"]) == 0, counts


def test_cleanup_in_check_mode_fails_when_the_gate_refuses(jobs):
    """The same Check job before the upgrade: a workflow stops on it, and nothing changed (see above)."""
    job = jobs["cleanup_check_refused"]
    assert job.status == "failed" and job.rc != 0, job
    assert "Cleanup refused: ah2, con1 " in job.stdout, job
    assert "Check mode: nothing was changed" not in job.stdout and not job.stats["changed"], job.stats
