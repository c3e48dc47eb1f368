# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The capture document of playbook windows_facts: its schema, and what it refuses before writing a file."""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import given, strategies as st

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import SesInputError
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.windows_capture import FORMAT, KIND, capture

__metaclass__ = type

STATE = {"rules": [{"Name": "Stormshield Endpoint Security EvolutionBackend (TCP-In)", "Protocol": 6,
                    "LocalPorts": "8443", "RemoteAddresses": "*", "Enabled": True}],
         "profiles": [{"Name": "Domain", "AllowLocalFirewallRules": "NotConfigured"}],
         "policy": [{"Name": "Domain", "AllowLocalFirewallRules": "False"}]}
VERSIONS = {"products": [{"DisplayName": "Stormshield Endpoint Security Evolution Backend",
                          "DisplayVersion": "2.7.1", "Publisher": "Stormshield"}]}


def test_document_schema_and_file():
    out = capture(STATE, "bo1", VERSIONS, "captures", group_names=["ses_backends", "windows", "ses_agent_handlers"],
                  captured_at="2026-11-30T16:00:00Z")
    assert out["path"] == os.path.join(os.path.abspath("captures"), "bo1.json")
    document = json.loads(out["content"])
    assert document == out["document"]
    assert document["format"] == FORMAT == 1 and document["kind"] == KIND
    assert document["components"] == ["backend", "agent_handler"]
    assert document["rules"] == STATE["rules"] and document["products"] == VERSIONS["products"]
    assert document["policy"] == STATE["policy"] and document["policy_error"] is None


def test_renamed_groups_give_the_components():
    out = capture(STATE, "con1", VERSIONS, "captures", group_names=["my_consoles"],
                  ses_groups={"console": "my_consoles"})
    assert out["document"]["components"] == ["console"]


def test_policy_not_read_is_recorded_not_fatal():
    state = {key: value for key, value in STATE.items() if key != "policy"}
    state["policy_error"] = "No MSFT_NetFirewallProfile objects found"
    document = capture(state, "bo1", VERSIONS, "captures")["document"]
    assert document["policy"] == [] and document["policy_error"].startswith("No MSFT")


@pytest.mark.parametrize("host", ["../etc/passwd", "a/b", ".hidden", "", "bo1\n", "a b", "bo1;rm"])
def test_host_name_that_is_no_file_name_is_refused(host):
    with pytest.raises(SesInputError, match="cannot be a capture file name"):
        capture(STATE, host, VERSIONS, "captures")


@pytest.mark.parametrize("directory", ["", "   ", None, 3, "a\0b"])
def test_bad_folder_is_refused_naming_the_variable(directory):
    with pytest.raises(SesInputError, match="ses_windows_facts_dir"):
        capture(STATE, "bo1", VERSIONS, directory)


def test_a_read_that_returned_no_list_is_refused():
    with pytest.raises(SesInputError, match="host bo1: the capture's uninstall entries read"):
        capture(STATE, "bo1", {"products": None}, "captures")


@given(st.text(min_size=1, max_size=40))
def test_any_accepted_host_name_stays_in_the_folder(host):
    try:
        out = capture(STATE, host, VERSIONS, "captures")
    except SesInputError:
        return
    assert os.path.dirname(out["path"]) == os.path.abspath("captures")
    assert os.path.basename(out["path"]) == host + ".json" and not host.startswith(".")
