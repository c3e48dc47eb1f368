# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The drift report: counts, unread hosts fail closed, the one-screen summary, the files."""

from __future__ import annotations

import json
import os

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import drift_report

__metaclass__ = type

WIDENED = {"category": "changed", "rule": "in_x_tcp443", "where": "nft inet ses_evolution input", "widened": True,
           "detail": "WIDENED: live tcp/443 from any, matrix tcp/443 from 10.77.0.21/32"}
EXPOSED = {"category": "exposure", "rule": None, "where": "nft inet admin input", "widened": True,
           "detail": "accepts tcp/17000 from any; the matrix allows 10.77.0.101/32"}


def test_counts_and_a_host_never_read_is_not_clean():
    report = drift_report.build({"bo1": {"platform": "linux", "findings": [EXPOSED, WIDENED]},
                                 "con1": {"platform": "linux", "findings": []},
                                 "ah2": {"platform": "windows", "findings": None, "error": None}}, "migrate")
    assert report["totals"] == {"missing": 0, "extra": 0, "changed": 1, "exposure": 1, "widened": 1,
                                "unreadable": 1, "hosts": 3, "hosts_with_findings": 2}
    assert not report["clean"] and report["hosts"]["con1"]["clean"]
    assert report["lines"] == [
        "drift (phase migrate): 3 host(s), 2 with findings: 0 missing, 0 extra, 1 changed (1 widened), 1 exposure, "
        "1 unread",
        "ah2: UNREAD: not read (unreachable, or failed before the read)",
        "bo1: 1 changed, 1 exposure, 1 widened"]
    # Findings are sorted by category: changed before exposure.
    assert [f["category"] for f in report["hosts"]["bo1"]["findings"]] == ["changed", "exposure"]


def test_the_summary_fits_one_screen():
    hosts = dict(("agent%03d" % n, {"findings": [EXPOSED]}) for n in range(100))
    lines = drift_report.build(hosts, "cleanup")["lines"]
    assert len(lines) == drift_report.SCREEN_HOSTS + 2 and lines[-1].startswith("... and 85 more host(s)")


def test_files_per_host_and_fleet_with_hostile_host_names(tmp_path):
    report = drift_report.build({"../etc/passwd": {"findings": [EXPOSED]}, "bo1": {"findings": []}}, "migrate")
    files = drift_report.write(report, str(tmp_path / "out"), 0o600)
    for path in files:
        assert os.path.realpath(path).startswith(str(tmp_path / "out") + os.sep)
        assert os.stat(path).st_mode & 0o777 == 0o600
    assert json.loads((tmp_path / "out" / "drift.json").read_text())["totals"]["exposure"] == 1
    text = (tmp_path / "out" / "hosts" / "bo1.md").read_text()
    assert "Nothing to report" in text
    assert "| exposure |" in (tmp_path / "out" / "drift.md").read_text() or "1 exposure" in \
        (tmp_path / "out" / "drift.md").read_text()
