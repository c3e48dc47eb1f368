# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-host hand-off files (plugin_utils/handoff.py)."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import handoff

__metaclass__ = type


def test_each_host_reads_its_own_value_and_equal_values_share_a_file(tmp_path):
    agent_rules = [{"name": "out_agent_to_ah_tcp443", "port": 443, "peers": ["10.0.0.12/32"]}]
    values = {"ah1": [{"name": "in_agent_to_ah_tcp443", "port": 443}], "con1": [],
              "pc1": agent_rules, "pc2": agent_rules, "pc3": json.loads(json.dumps(agent_rules))}
    directory = handoff.handoff_dir(str(tmp_path), "migrate")
    assert handoff.write(directory, values) == 3  # ah1, con1, and one file for the three agents
    with open(os.path.join(directory, handoff.INDEX), encoding="ascii") as handle:
        index = dict(line.split("\t") for line in handle.read().splitlines()[1:])
    assert index['"pc1"'] == index['"pc2"'] == index['"pc3"'] != index['"ah1"']
    assert len(os.listdir(directory)) == 4  # no temporary file left
    for host, value in values.items():
        assert handoff.read(directory, host) == value
    assert handoff.read(directory, "stranger", default=[]) == []
    assert handoff.read(directory, "stranger") is None
    assert oct(os.stat(directory).st_mode & 0o777) == "0o700"


def test_a_second_write_replaces_the_first(tmp_path):
    directory = handoff.handoff_dir(str(tmp_path), "verify")
    handoff.write(directory, {"a": 1, "b": 2})
    first = set(os.listdir(directory))
    handoff.write(directory, {"a": 3})
    assert handoff.read(directory, "a") == 3
    # The first write's value files are untouched (a reader holding its index still reads them).
    assert first - {handoff.INDEX} < set(os.listdir(directory))
    assert handoff.read(directory, "b", default="none") == "none"


def test_host_names_that_look_like_index_lines(tmp_path):
    values = {"a": 1, "a\t0": 2, "x\n\"a\"": 3, "é": 4, "pc1": 5, "pc10": 6, "": 7}
    directory = str(tmp_path / "h")
    handoff.write(directory, values)
    for host, value in values.items():
        assert handoff.read(directory, host) == value
    assert handoff.read(directory, "pc", default="none") == "none"


def test_names_stay_inside_the_directory(tmp_path):
    assert handoff.handoff_dir("/base", "migrate") == "/base/ses_handoff/migrate"
    for name in ("../x", "a/b", "", ".hidden", "x" * 65, None):
        with pytest.raises(handoff.HandoffError, match="hand-off name"):
            handoff.handoff_dir(str(tmp_path), name)


def test_an_index_of_another_shape_is_refused(tmp_path):
    directory = tmp_path / "h"
    directory.mkdir()
    (directory / handoff.INDEX).write_text('["x.json"]\n"pc1"\tone\n')
    with pytest.raises(handoff.HandoffError, match="not one this collection wrote"):
        handoff.read(str(directory), "pc1")


def test_reading_before_writing_says_what_to_do(tmp_path):
    with pytest.raises(handoff.HandoffError, match="must run earlier in the same ansible-playbook run"):
        handoff.read(str(tmp_path / "ses_handoff" / "migrate"), "pc1")


def test_reading_before_writing_points_at_a_limit_without_localhost(tmp_path):
    with pytest.raises(handoff.HandoffError, match=r"with --limit, include localhost"):
        handoff.read(str(tmp_path / "ses_handoff" / "migrate"), "pc1")


def test_the_fleet_value_is_read_back_whole(tmp_path):
    directory = handoff.handoff_dir(str(tmp_path), "cleanup_matrix")
    value = {"matrix": {"phase": "cleanup", "hosts": {"bo1": {"rules": [{"port": 443}]}}},
             "fleet_hosts": {"bo1": {"managed": True, "platform": "linux", "remote": True}}}
    handoff.write_fleet(directory, value)
    assert handoff.read_fleet(directory) == value
    assert oct(os.stat(directory).st_mode & 0o777) == "0o700"
    handoff.write_fleet(directory, {"matrix": {}})  # a second write replaces the first
    assert handoff.read_fleet(directory) == {"matrix": {}}


def test_reading_the_fleet_value_before_writing_says_what_to_do(tmp_path):
    with pytest.raises(handoff.HandoffError, match="matrix_handoff"):
        handoff.read_fleet(handoff.handoff_dir(str(tmp_path), "cleanup_matrix"))
