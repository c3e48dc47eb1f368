# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The summary the apply playbooks print: one line a host, totals, failures."""

from __future__ import annotations

from ansible_collections.ses_evolution.firewall.plugins.filter.apply_summary import apply_summary as summary_filter
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.summary import NOT_APPLIED, apply_summary

__metaclass__ = type


def test_lines_totals_and_failures():
    result = apply_summary({
        "bo1": {"result": {"changed": True, "added_count": 12, "removed_count": 0, "warnings": []}, "error": None},
        "ah2": {"result": None, "error": "Apply:  nft -c rejected\n the rules"},
        "con1": {"result": {"changed": False, "check_mode": True, "added_count": 0, "removed_count": 0,
                            "warnings": ["base chain 'inet filter input' has policy drop"]}, "error": None},
        "agent1": {"result": None, "error": None}})
    assert result["lines"] == [
        "hosts: 4, rules added: 12, removed: 0, failed: 1",
        "agent1: %s (+0 -0 rules)" % NOT_APPLIED,
        "ah2: FAILED: Apply: nft -c rejected the rules (+0 -0 rules)",
        "bo1: changed (+12 -0 rules)",
        "con1: check mode: would not change (+0 -0 rules) WARNING: base chain 'inet filter input' has policy drop"]
    assert result["failed"] == ["ah2"] and result["added"] == 12


def test_the_filter_reads_each_hosts_result_and_error():
    hostvars = {"bo1": {"ses_firewall_result": {"changed": "True", "added_count": "3", "removed_count": "1"}},
                "con1": {"ses_cleanup_error": "unreachable"}}
    result = summary_filter(["bo1", "con1", "sql1"], hostvars, error_variable="ses_cleanup_error")
    assert result["lines"][1:] == ["bo1: changed (+3 -1 rules)", "con1: FAILED: unreachable (+0 -0 rules)",
                                   "sql1: %s (+0 -0 rules)" % NOT_APPLIED]
