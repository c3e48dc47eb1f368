# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Windows host's SES version from its uninstall entries: strict where a wrong answer opens the cleanup gate.

The cases come from the review of the role (issue 11, finding 5): with the
inventory saying 2.7.1, a 2.6 console whose entry reads "2.6.3 (build 1204)"
lost its legacy rules, because the entry was skipped and the inventory used.
"""

from __future__ import annotations

import copy

from hypothesis import given, settings, strategies as st

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import render_windows as rw
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.cleanup_gate import (
    backoffice_hosts, backoffice_verdict, detections_from_probes)
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.matrix import compute_matrix

__metaclass__ = type

GROUPS = {"ses_backends": ["bo1"], "ses_agent_handlers": ["bo1", "ah2"], "ses_consoles": ["con1"]}
HOSTVARS = {
    "bo1": {"ses_address": "10.0.0.11", "ses_version": "2.7.1"},
    "ah2": {"ses_address": "10.0.0.12", "ses_version": "2.7.1"},
    "con1": {"ses_address": "10.0.0.21", "ses_version": "2.7.1"},
}
CONSOLE = "Stormshield Endpoint Security Evolution Administration Console"
BACKEND = "Stormshield Endpoint Security Evolution Backend"


def entry(name, version, publisher="Stormshield", **extra):
    return dict({"DisplayName": name, "DisplayVersion": version, "Publisher": publisher,
                 "HasUninstallString": True}, **extra)


MATRIX = compute_matrix(GROUPS, copy.deepcopy(HOSTVARS), phase="cleanup", target_version="2.7.1")


def gate(products, host="con1"):
    """The cleanup gate's verdict when ``host``'s version probe returns ``products`` (the inventory says 2.7.1)."""
    matrix = copy.deepcopy(MATRIX)
    detections = {name: {"reachable": True} for name in backoffice_hosts(matrix)}
    detections.update(detections_from_probes([{"item": host, "ansible_loop_var": "item",
                                               "result": {"products": products}}]))
    return backoffice_verdict(matrix, detections)


def test_unparseable_version_blocks_the_gate_quoting_the_string():
    verdict = gate([entry(CONSOLE, "2.6.3 (build 1204)")])
    assert verdict["ready"] is False and verdict["blocking_hosts"] == ["con1"]
    reasons = " ".join(next(row for row in verdict["hosts"] if row["host"] == "con1")["reasons"])
    assert "2.6.3 (build 1204)" in reasons
    assert any("2.6.3 (build 1204)" in line and "BLOCKS" in line for line in verdict["table"])


def test_unparseable_version_is_not_replaced_by_the_inventory_in_the_role():
    state = rw.host_state({"products": [entry(CONSOLE, "2.6.3 (build 1204)")]}, inventory_version="2.7.1",
                          target_version="2.7.1")
    assert state["migrated"] is False and state["version"] is None
    assert "2.6.3 (build 1204)" in state["version_error"]


def test_one_unparseable_entry_blocks_even_beside_a_good_one():
    verdict = gate([entry(BACKEND, "2.7.1"), entry(CONSOLE, "2.6.3 (build 1204)")])
    assert verdict["blocking_hosts"] == ["con1"]


def test_publisher_must_be_stormshield():
    # A look-alike entry from another publisher says nothing about SES: the registry
    # gives no version, and the note says why the entry was ignored.
    state = rw.host_state({"products": [entry(CONSOLE, "2.7.1", publisher="Acme Repack Ltd")]},
                          inventory_version="2.6.3", target_version="2.7.1")
    assert (state["version"], state["version_source"]) == ("2.6.3", "inventory")
    assert any("Acme Repack Ltd" in note for note in state["version_notes"])
    assert state["migrated"] is False


def test_system_component_update_and_leftover_entries_are_skipped_and_said():
    products = [entry(CONSOLE, "2.7.1"),
                entry(CONSOLE, "2.5.0", SystemComponent=1),
                entry(CONSOLE + " Hotfix", "2.5.1", ParentKeyName="{SES-CONSOLE}"),
                entry(CONSOLE, "2.4.0", HasUninstallString=False)]
    state = rw.host_state({"products": products}, inventory_version="2.6.3", target_version="2.7.1")
    assert (state["version"], state["version_source"], state["migrated"]) == ("2.7.1", "registry", True)
    notes = " ".join(state["version_notes"])
    assert "SystemComponent" in notes and "update" in notes and "leftover" in notes


def test_unrecognised_stormshield_entry_is_reported():
    products = [entry(CONSOLE, "2.7.1"), entry("Stormshield Data Security Enterprise", "10.1.2")]
    state = rw.host_state({"products": products}, target_version="2.7.1")
    assert state["version"] == "2.7.1"
    assert any("Stormshield Data Security Enterprise" in note and "not recognised" in note
               for note in state["version_notes"])
    verdict = gate(products)
    row = next(row for row in verdict["hosts"] if row["host"] == "con1")
    assert "Stormshield Data Security Enterprise" in row.get("note", "")


def test_agent_entry_is_left_out_whatever_its_version():
    products = [entry(CONSOLE, "2.7.1"), entry("Stormshield Endpoint Security Evolution Agent", "2.5 beta")]
    assert gate(products)["ready"] is True


_GARBAGE = st.text(min_size=1, max_size=20).filter(
    lambda text: rw.parse_version(text.strip()) is None and text.strip() != "")


@settings(max_examples=60, deadline=None)
@given(prefix=st.sampled_from(["2.6.3", "2.7.1", "3.0", ""]), garbage=_GARBAGE)
def test_any_unparseable_backoffice_version_fails_closed(prefix, garbage):
    text = (prefix + " " + garbage).strip()
    if rw.parse_version(text) is not None:
        return
    verdict = gate([entry(CONSOLE, text)])
    assert verdict["blocking_hosts"] == ["con1"]
    state = rw.host_state({"products": [entry(CONSOLE, text)]}, inventory_version="2.7.1", target_version="2.7.1")
    assert state["migrated"] is False and repr(text) in state["version_error"]
