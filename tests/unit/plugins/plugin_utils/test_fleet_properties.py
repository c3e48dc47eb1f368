# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Properties of the fleet-wide settings, the command-line version, the phase and the INI error."""

from __future__ import annotations

import copy

from hypothesis import given, settings, strategies as st

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.cleanup_gate import backoffice_verdict
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.fleet_settings import (
    FLEET_VARIABLES, phase_conflict, setting_conflicts)
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.matrix import compute_matrix
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.versions import describe_bad_version

__metaclass__ = type

HOSTS = ["bo1", "ah1", "ah2", "con1", "con2"]
VALUES = st.sampled_from(["2.7.1", "2.6.3", True, {"console": "x"}, None])


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(FLEET_VARIABLES), VALUES, st.dictionaries(st.sampled_from(HOSTS), VALUES, max_size=5))
def test_a_host_value_is_refused_exactly_when_it_differs_from_the_fleet(variable, fleet, hosts):
    problems = setting_conflicts({variable: fleet}, {host: {variable: value} for host, value in hosts.items()})
    differing = sorted(host for host, value in hosts.items() if value != fleet)
    if not differing:
        assert problems == []
    else:
        assert len(problems) == 1
        assert "%s is a fleet-wide setting, but host '%s'" % (variable, differing[0]) in problems[0]
        assert all(host in problems[0] for host in differing)


PHASES_GIVEN = st.one_of(st.none(), st.text(max_size=10), st.sampled_from(["migrate", "cleanup", " Cleanup "]))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["migrate", "cleanup"]), PHASES_GIVEN)
def test_a_command_line_phase_is_refused_exactly_when_it_contradicts(playbook, given_phase):
    command_line = {} if given_phase is None else {"ses_phase": given_phase}
    problem = phase_conflict(playbook, command_line)
    agrees = given_phase is None or given_phase.strip().lower() == playbook
    assert (problem is None) is agrees
    if problem:
        assert "contradicts this playbook's phase, %s" % playbook in problem and "remove -e ses_phase" in problem


GROUPS = {"ses_backends": ["bo1"], "ses_agent_handlers": ["bo1", "ah1"], "ses_consoles": ["con1"]}
HOSTVARS = {"bo1": {"ses_address": "10.0.0.1", "ses_version": "2.7.1"},
            "ah1": {"ses_address": "10.0.0.2", "ses_version": "2.7.1"},
            "con1": {"ses_address": "10.0.0.3", "ses_version": "2.7.1"}}
MATRIX = compute_matrix(GROUPS, HOSTVARS, phase="cleanup")


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["bo1", "ah1", "con1"]), st.sampled_from(["2.7.1", "2.6.3"])),
       st.booleans(), st.booleans())
def test_a_command_line_version_opens_the_gate_only_with_its_acknowledgement(registry, from_command_line, accepted):
    """Hosts whose registry speaks decide by it; the others by the command line's version, only if accepted."""
    matrix = copy.deepcopy(MATRIX)
    matrix["version_source"] = "command line" if from_command_line else "inventory"
    detections = {name: {"reachable": True} for name in ("bo1", "ah1", "con1")}
    for name, version in registry.items():
        detections[name] = {"reachable": True, "versions": version, "source": "registry"}
    verdict = backoffice_verdict(matrix, detections, accept_command_line_version=accepted)
    registry_ok = all(version == "2.7.1" for version in registry.values())
    relies_on_command_line = from_command_line and len(registry) < 3
    assert verdict["ready"] is (registry_ok and (accepted or not relies_on_command_line))


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(["hosts", "hosts.ini", "inv/prod.cfg"]),
       st.sampled_from(["hosts.yml", "hosts.yaml", "inv/x.json"]))
def test_the_version_error_fits_the_file(value, ini, yaml_file):
    in_ini = describe_bad_version(value, "host 'bo1'", "ses_version", ini)
    assert "INI inventory %s" % ini in in_ini and "ses_version='\"2.10\"'" in in_ini and "host_vars/bo1.yml" in in_ini
    in_yaml = describe_bad_version(value, "host 'bo1'", "ses_version", yaml_file)
    assert "quote it" in in_yaml and "INI" not in in_yaml
