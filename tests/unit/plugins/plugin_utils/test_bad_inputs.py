# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bad-input corpus: each inventory must be refused with a message naming what is wrong and the fix."""

from __future__ import annotations

import os

import pytest
import yaml

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import SesInputError
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.matrix import compute_matrix
from ansible_collections.ses_evolution.firewall.tests.unit.plugins.plugin_utils.inventory_yaml import (
    load_inventory_data)
from ansible_collections.ses_evolution.firewall.tests.unit.plugins.plugin_utils.test_matrix_golden import (
    ansible_inventory)

__metaclass__ = type

CORPUS = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "bad_inputs")
CASES = sorted(name[:-4] for name in os.listdir(CORPUS) if name.endswith(".yml"))


def _case(name):
    with open(os.path.join(CORPUS, name + ".yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _run(case):
    groups, hostvars, fleet_vars = load_inventory_data(case["inventory"])
    return compute_matrix(groups, hostvars, phase=fleet_vars.get("ses_phase", "migrate"),
                          target_version=fleet_vars.get("ses_target_version", "2.7.1"),
                          group_names=fleet_vars.get("ses_groups"),
                          unrelated_groups=fleet_vars.get("ses_unrelated_groups"),
                          allow_any_network=fleet_vars.get("ses_allow_any_network", False))


def test_the_corpus_covers_the_issue():
    assert len(CASES) >= 20, CASES


@pytest.mark.parametrize("name", CASES)
def test_bad_input_is_refused_with_a_clear_message(name):
    case = _case(name)
    assert case["expected_error"], "a case without expected substrings proves nothing"
    with pytest.raises(SesInputError) as caught:
        _run(case)
    message = str(caught.value)
    missing = [text for text in case["expected_error"] if text not in message]
    assert not missing, "%s: %r not in:\n%s" % (name, missing, message)
    if "expected_problems" in case:
        assert len(caught.value.problems) == case["expected_problems"], message
    else:
        assert len(caught.value.problems) == 1, message


@pytest.mark.parametrize("name", CASES)
def test_each_problem_names_a_fix(name):
    """Every problem line tells the user what to do, not only what is wrong."""
    with pytest.raises(SesInputError) as caught:
        _run(_case(name))
    fix_words = ("use ", "set ", "quote", "write it", "drop it", "did you mean", "remove", "give ", "add ", "must be")
    for problem in caught.value.problems:
        assert any(word in problem for word in fix_words), problem


@pytest.mark.parametrize("name", CASES)
def test_ansible_read_inventory_gives_the_same_message(name, tmp_path):
    """Through Ansible's own inventory reader (tagged strings, YAML floats) the message is the same."""
    case = _case(name)
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(case["inventory"]), encoding="utf-8")
    groups, hostvars = ansible_inventory(str(path))
    fleet_vars = (case["inventory"]["all"] or {}).get("vars") or {}
    with pytest.raises(SesInputError) as from_ansible:
        compute_matrix(groups, hostvars, phase=fleet_vars.get("ses_phase", "migrate"),
                       target_version=fleet_vars.get("ses_target_version", "2.7.1"),
                       group_names=fleet_vars.get("ses_groups"),
                       unrelated_groups=fleet_vars.get("ses_unrelated_groups"),
                       allow_any_network=fleet_vars.get("ses_allow_any_network", False))
    with pytest.raises(SesInputError) as from_loader:
        _run(case)
    assert str(from_ansible.value) == str(from_loader.value)
