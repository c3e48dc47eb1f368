# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cleanup's switches: converted once, as typed with -e, and refused when they are not what they claim."""

from __future__ import annotations

from hypothesis import given, strategies as st

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.fleet_settings import cleanup_switches
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.summary import cleanup_summary

__metaclass__ = type

TRUE = ("yes", "Yes", "true", "on", "1", "y", True, 1)
FALSE = ("no", "false", "off", "0", "n", False, 0)


def test_defaults_are_a_dry_run_without_the_agents():
    assert cleanup_switches({}) == ({"confirm": False, "agents": False, "accept_command_line_version": False,
                                     "minimum_agents": 0}, [])


def test_typed_values_convert_by_type():
    for value in TRUE:
        switches, problems = cleanup_switches({"ses_cleanup_confirm": value, "ses_cleanup_agents": value})
        assert not problems and switches["confirm"] is True and switches["agents"] is True, value
    for value in FALSE:
        switches, problems = cleanup_switches({"ses_cleanup_confirm": value})
        assert not problems and switches["confirm"] is False, value
    assert cleanup_switches({"ses_agent_export_min_agents": " 120 "})[0]["minimum_agents"] == 120


@given(st.text())
def test_anything_else_is_refused_naming_the_variable(text):
    switches, problems = cleanup_switches({"ses_cleanup_confirm": text})
    if text.strip().lower() in {"yes", "no", "true", "false", "on", "off", "1", "0", "y", "n", "t", "f"}:
        assert not problems and isinstance(switches["confirm"], bool)
    else:
        # Never read as a confirmation: refused, naming the variable and what it must be.
        assert problems and problems[0].startswith("ses_cleanup_confirm must be yes (remove) or no (dry run)")
        assert switches["confirm"] is None


@given(st.one_of(st.text(), st.integers(), st.floats(allow_nan=False), st.booleans()))
def test_the_export_floor_is_a_whole_number_or_refused(value):
    switches, problems = cleanup_switches({"ses_agent_export_min_agents": value})
    text = str(value).strip()
    if not isinstance(value, bool) and text.isascii() and text.isdigit():
        assert not problems and switches["minimum_agents"] == int(text)
    else:
        assert problems and "ses_agent_export_min_agents must be a whole number" in problems[0]
        assert "minimum_agents" not in switches


GATE = {"rules_to_remove": 3, "agents": {"remove_legacy_agent": False, "minimum_version": "2.7.1"}}
RECORD = {"summary": {"rules_removed": 3, "hosts_with_removals": 2, "hosts": 5, "failed_hosts": ["con1"]},
          "files": ["a.json", "a.md"]}


def test_the_closing_lines_and_counts():
    assert cleanup_summary(GATE, RECORD, False)["stats"] == {
        "check_mode": False, "planned": 3, "removed": 3, "hosts_with_removals": 2, "failed": 1, "agents_removed": False}
    assert cleanup_summary(GATE, RECORD, False)["lines"] == [
        "3 rule(s) removed on 2 of 5 host(s). Audit record: a.json, a.md",
        "TCP 17000 (agents older than 2.7.1) stays; remove it later with -e ses_cleanup_agents=true."]
    assert cleanup_summary(dict(GATE, agents={"remove_legacy_agent": True}), RECORD, True)["lines"] == [
        "Check mode: nothing was changed and no audit record was written; the plan removes 3 rule(s) "
        "(see the diff above).",
        'TCP 17000 removed: make sure "Enable old communication protocol" is off in every agent handler group.']
