# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Audit file names unique per host, port errors that name the variable, file modes of the records."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.addresses import parse_ports
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.audit import (
    file_mode, host_entry, read_host_entries, safe_name, write_host_entry, write_record, build_record)
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import ProblemCollector

__metaclass__ = type


def test_hosts_differing_in_accents_or_punctuation_get_their_own_audit_file(tmp_path):
    """bo1é, bo1. and .bo1 all became bo1.json, each overwriting the other."""
    names = ["bo1", "bo1é", "bo1.", ".bo1", "bo1_"]
    for name in names:
        write_host_entry(str(tmp_path), "run", host_entry(name, "linux", [], [], "t0", "t1"))
    assert sorted(entry["host"] for entry in read_host_entries(str(tmp_path), "run")) == sorted(names)
    assert safe_name("bo1") == "bo1" and safe_name("agent-new") == "agent-new"  # plain names stay readable


@settings(max_examples=300, deadline=None)
@given(st.sets(st.text(min_size=1, max_size=12), min_size=2, max_size=6))
def test_distinct_hosts_never_share_a_file_name(names):
    files = [safe_name(name) for name in names]
    assert len(set(files)) == len(names)
    assert all(file and "/" not in file and file not in (".", "..") and len(file) < 200 for file in files)


@pytest.mark.parametrize("item", ["tcp/²", "tcp/١٢", "udp/⁵", "tcp/1_0", "tcp/ 1 0"])
def test_a_port_that_is_not_ascii_digits_is_a_clear_error(item):
    problems = ProblemCollector()
    assert parse_ports([item], "host 'sql1'", "ses_sql_ports", problems) == []
    assert problems.problems and "host 'sql1': ses_sql_ports holds %r" % item in problems.problems[0]
    assert "from 1 to 65535" in problems.problems[0]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=12), st.integers(), st.none()), min_size=1, max_size=4))
def test_parse_ports_never_raises(items):
    problems = ProblemCollector()
    pairs = parse_ports(items, "host 'h'", "ses_syslog_ports", problems)
    assert all(protocol in ("tcp", "udp") and 1 <= port <= 65535 for protocol, port in pairs)
    assert len(pairs) + len(problems.problems) >= 1


@pytest.mark.parametrize("value, expected", [(None, 0o600), ("0640", 0o640), ("640", 0o640), (0o644, 0o644),
                                             ("0o600", 0o600)])
def test_file_mode(value, expected):
    assert file_mode(value, "ses_audit_mode") == expected


@pytest.mark.parametrize("value", ["rw-r--r--", "0999", "07777", True, 1.5])
def test_a_bad_file_mode_names_the_variable(value):
    with pytest.raises(ValueError) as caught:
        file_mode(value, "ses_audit_mode")
    assert "ses_audit_mode" in str(caught.value) and "0600" in str(caught.value)


def test_audit_files_are_0600_unless_the_user_says_otherwise(tmp_path):
    os.umask(0o022)
    path = write_host_entry(str(tmp_path / "a"), "run", host_entry("bo1", "linux", [], [], "t0", "t1"))
    assert os.stat(path).st_mode & 0o777 == 0o600
    record = build_record({"run_id": "run"}, [])
    paths = write_record(str(tmp_path / "a"), record, mode=0o640)
    assert [os.stat(p).st_mode & 0o777 for p in paths] == [0o640, 0o640]
