# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The playbooks run the way AWX / Automation Platform runs them: through ansible-runner.

AWX writes a private data directory (inventory/, env/extravars, env/envvars,
project/ with the project's playbooks) and runs `ansible-runner run` in it; the
job's status, return code and set_stats data come from the artifacts runner
writes. This does the same with extensions/awx/project on the example fleet,
on the controller only (report, and cleanup refusing a bad survey answer): no
managed host is touched.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
import yaml

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUNNER = os.path.join(os.environ.get("SES_TOOLS_BIN", ""), "ansible-runner")
EXAMPLE = os.path.join(ROOT, "examples", "lab", "inventory.yml")

pytestmark = pytest.mark.skipif(not os.access(RUNNER, os.X_OK) or not shutil.which("ansible-playbook"),
                                reason="needs ansible-runner from requirements-tools.txt (SES_TOOLS_BIN)")


def run_job(tmp_path, playbook, extravars):
    """A private data directory as AWX writes it, run by ansible-runner: (status, rc, stats event data, stdout)."""
    private = tmp_path / "private"
    shutil.copytree(os.path.join(ROOT, "extensions", "awx", "project"), private / "project")
    (private / "inventory").mkdir(parents=True)
    shutil.copy2(EXAMPLE, private / "inventory" / "hosts.yml")
    (private / "env").mkdir()
    (private / "env" / "extravars").write_text(yaml.safe_dump(extravars))
    (private / "env" / "envvars").write_text(yaml.safe_dump({
        "ANSIBLE_COLLECTIONS_PATH": os.environ.get("ANSIBLE_COLLECTIONS_PATH", ""), "ANSIBLE_NOCOLOR": "1"}))
    done = subprocess.run([RUNNER, "run", str(private), "-p", playbook, "--ident", "job1"],
                          capture_output=True, text=True, check=False)
    artifacts = private / "artifacts" / "job1"
    status = (artifacts / "status").read_text().strip()
    rc = int((artifacts / "rc").read_text().strip())
    assert rc == done.returncode, done.stdout
    stats = None
    for name in sorted(os.listdir(artifacts / "job_events")):
        with open(artifacts / "job_events" / name, encoding="utf-8") as handle:
            event = json.load(handle)
        if event.get("event") == "playbook_on_stats":
            stats = event["event_data"]
    return status, rc, stats, (artifacts / "stdout").read_text()


def test_report_job(tmp_path):
    report_dir = tmp_path / "report"
    status, rc, stats, stdout = run_job(tmp_path, "ses_report.yml",
                                        {"ses_phase": "migrate", "ses_report_dir": str(report_dir)})
    assert (status, rc) == ("successful", 0), stdout
    counts = stats["artifact_data"]["ses_report_stats"]
    with open(report_dir / "port_matrix.json", encoding="utf-8") as handle:
        report = json.load(handle)
    # The example fleet: bo1, ah2, con1, sql1, log1, agent-old, agent-new; ah2 and con1 on 2.6.3.
    assert int(counts["hosts"]) == 7
    assert counts["phase"] == "migrate"
    assert str(counts["backoffice_ready"]) == "False"
    assert int(counts["rules"]) > 0
    assert list(stats["ok"]) == ["localhost"] and not stats["failures"]
    assert report["phase"] == "migrate"


def test_cleanup_job_with_a_bad_survey_answer_fails_closed(tmp_path):
    # A survey answer as AWX passes it (a string) that is neither yes nor no: the job fails before any host.
    status, rc, stats, stdout = run_job(tmp_path, "ses_cleanup.yml",
                                        {"ses_cleanup_confirm": "maybe", "ses_audit_dir": str(tmp_path / "audit")})
    assert status == "failed" and rc != 0, stdout
    assert "ses_cleanup_confirm must be yes (remove) or no (dry run)" in stdout, stdout
    # The check runs once (an assert, on the controller): one failure, nothing changed, no host contacted.
    assert len(stats["failures"]) == 1 and not stats["changed"] and not stats["dark"], stats
