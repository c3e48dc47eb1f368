# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""render_windows: win_firewall_rule parameters, the plan, host state; checked against the REAL module's spec.

The spec comes from the installed community.windows (``ansible-doc --json``),
never from the test simulator, and the profile names from the real module's
PowerShell. Expected values come from the vendor's table for the bundled
example fleet (examples/lab/inventory.yml), not from the code's output.
"""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest
import yaml

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import render_windows as rw
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import SesInputError
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.matrix import compute_matrix
from ansible_collections.ses_evolution.firewall.tests.unit.plugins.plugin_utils.inventory_yaml import load_inventory

__metaclass__ = type

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
LAB = os.path.join(ROOT, "examples", "lab", "inventory.yml")
ROLE = os.path.join(ROOT, "roles", "windows_firewall")
SIMULATOR = os.path.join(ROOT, "tests", "windows_sim")


def _real_collections_path():
    """Collection paths without the test simulator, so ansible-doc reads the real module."""
    paths = os.environ.get("ANSIBLE_COLLECTIONS_PATH", "~/.ansible/collections:/usr/share/ansible/collections")
    return ":".join(path for path in paths.split(":") if path and not path.startswith(SIMULATOR)
                    and "winsim" not in path)


@pytest.fixture(scope="module")
def real_module():
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=_real_collections_path())
    out = subprocess.run(["ansible-doc", "-t", "module", "community.windows.win_firewall_rule", "--json"],
                         env=env, capture_output=True, text=True, check=True).stdout
    doc = json.loads(out)["community.windows.win_firewall_rule"]["doc"]
    assert SIMULATOR not in doc["filename"], "ansible-doc read the simulator, not the real module"
    ps1 = os.path.splitext(doc["filename"])[0] + ".ps1"
    with open(ps1, encoding="utf-8") as handle:
        source = handle.read()
    profile_block = re.search(r"function ConvertTo-Profile.*?\n}\n", source, re.DOTALL).group(0)
    profiles = set(re.findall(r'"(\w+)" \{ return \d \}', profile_block))
    return doc["options"], profiles


@pytest.fixture(scope="module")
def lab_matrix():
    groups, hostvars, fleet_vars = load_inventory(LAB)
    return compute_matrix(groups, hostvars, phase="migrate", target_version="2.7.1")


def _validate(params, options, profile_names):
    """Every option name, type and choice against the real module's documented spec."""
    names = {}
    for name, option in options.items():
        names[name] = option
        for alias in option.get("aliases") or []:
            names[alias] = option
    for key, value in params.items():
        assert key in names, "%r is not an option of win_firewall_rule" % key
        option = names[key]
        kind = option.get("type", "str")
        if kind == "str":
            assert isinstance(value, str), (key, value)
        elif kind == "bool":
            assert isinstance(value, bool), (key, value)
        elif kind == "list":
            assert isinstance(value, list) and all(isinstance(item, str) for item in value), (key, value)
        else:
            pytest.fail("unexpected option type %s for %s" % (kind, key))
        if option.get("choices"):
            assert value in option["choices"], (key, value, option["choices"])
        if key in ("profiles", "profile"):
            assert set(value) <= profile_names, value


def test_spec_is_the_real_one(real_module):
    options, profiles = real_module
    assert {"name", "group", "direction", "remoteip", "localport", "profiles"} <= set(options)
    assert profiles == {"domain", "private", "public"}
    # A test that can fail: a misspelt option is refused.
    with pytest.raises(AssertionError):
        _validate({"name": "x", "remote_ip": "any"}, options, profiles)
    with pytest.raises(AssertionError):
        _validate({"name": "x", "direction": "inbound"}, options, profiles)
    with pytest.raises(AssertionError):
        _validate({"name": "x", "enabled": "yes"}, options, profiles)


def test_every_rendered_rule_matches_the_real_spec(real_module, lab_matrix):
    options, profiles = real_module
    count = 0
    for host, entry in lab_matrix["hosts"].items():
        for params in rw.render_rules(entry["rules"]):
            _validate(params, options, profiles)
            count += 1
        result = rw.plan(entry["rules"], _installer_rules_2_7_1(co_located=entry["co_located"]))
        for params in result["present"]:
            _validate(params, options, profiles)
        for name in result["absent"]:
            _validate({"name": name, "state": "absent"}, options, profiles)
    assert count > 20


def test_role_task_options_match_the_real_spec(real_module):
    options, _profiles = real_module
    with open(os.path.join(ROLE, "tasks", "main.yml"), encoding="utf-8") as handle:
        tasks = yaml.safe_load(handle)
    used = []
    for task in tasks:
        for inner in [task] + task.get("block", []):
            if "community.windows.win_firewall_rule" in inner:
                used.append(set(inner["community.windows.win_firewall_rule"]))
    assert len(used) == 2
    for keys in used:
        assert keys <= set(options), keys - set(options)
    # the create/update task passes every option the renderer sets
    assert set(rw.render_rule(_rule("in", 443))) <= used[0]


def _rule(direction, port, peers=("10.0.0.5/32",), protocol="tcp", flow="console_to_backend", lifecycle="new"):
    return {"name": "%s_%s_%s%d_%s" % (direction, flow, protocol, port, lifecycle), "direction": direction,
            "protocol": protocol, "port": port, "peers": list(peers), "purpose": "Purpose text",
            "lifecycle": lifecycle, "flow": flow, "component": "backend", "peer_component": "console"}


def test_inbound_and_outbound_fields():
    inbound = rw.render_rule(_rule("in", 8443, peers=["10.77.0.12/32", "10.77.0.21/32"]))
    assert inbound["name"] == "SES Evolution - in_console_to_backend_tcp8443_new"
    assert inbound["group"] == "SES Evolution (managed)"
    assert (inbound["direction"], inbound["action"], inbound["protocol"]) == ("in", "allow", "tcp")
    assert (inbound["localport"], inbound["remoteport"]) == ("8443", "any")
    assert inbound["remoteip"] == "10.77.0.12/32,10.77.0.21/32"
    assert inbound["enabled"] is True and inbound["state"] == "present"
    assert inbound["profiles"] == ["domain", "private", "public"]
    assert "Purpose text" in inbound["description"] and "new" in inbound["description"]
    outbound = rw.render_rule(_rule("out", 1434, protocol="udp", peers=["any"], lifecycle="permanent"))
    assert (outbound["localport"], outbound["remoteport"], outbound["remoteip"]) == ("any", "1434", "any")
    assert outbound["protocol"] == "udp"


def test_lab_backend_rules_follow_the_vendor_table(lab_matrix):
    # bo1 is co-located: consoles and agent handlers reach it on TCP 443 (2.6) and TCP 8443 (2.7.1);
    # con1 is 10.77.0.21, ah2 10.77.0.12; the public API client is 10.77.0.60.
    rendered = {p["name"]: p for p in rw.render_rules(lab_matrix["hosts"]["bo1"]["rules"])}
    assert rendered["SES Evolution - in_console_to_backend_tcp8443_new"]["remoteip"] == "10.77.0.21/32"
    assert rendered["SES Evolution - in_console_to_backend_tcp443_legacy"]["localport"] == "443"
    assert rendered["SES Evolution - in_agent_handler_to_backend_tcp8443_new"]["remoteip"] == "10.77.0.12/32"
    assert rendered["SES Evolution - in_public_api_to_backend_tcp10443_permanent"]["remoteip"] == "10.77.0.60/32"
    # agents as hosts: 10.77.0.101 and 10.77.0.102 collapse to one /31? No: .101/.102 are not aligned.
    assert rendered["SES Evolution - in_agent_to_agent_handler_tcp17000_legacy_agent"]["remoteip"] == \
        "10.77.0.101/32,10.77.0.102/32"
    console = {p["name"]: p for p in rw.render_rules(lab_matrix["hosts"]["con1"]["rules"])}
    assert set(console) == {"SES Evolution - out_console_to_backend_tcp443_legacy",
                            "SES Evolution - out_console_to_backend_tcp8443_new"}
    assert console["SES Evolution - out_console_to_backend_tcp8443_new"]["remoteport"] == "8443"
    assert rw.render_rules(lab_matrix["hosts"]["con1"]["rules"], filter_outbound=False) == []


def test_profiles_are_checked():
    assert rw.render_rule(_rule("in", 1), profiles=["domain"])["profiles"] == ["domain"]
    assert rw.check_profiles("public,domain") == ["domain", "public"]
    with pytest.raises(SesInputError, match="windows_firewall_profiles holds 'work'"):
        rw.render_rules([_rule("in", 1)], profiles=["domain", "work"])


# --- the plan ---------------------------------------------------------------------------------

def _com(name, port, group="", direction=1, protocol=6, remote="*", enabled=True):
    return {"Name": name, "Grouping": group, "Direction": direction, "Protocol": protocol,
            "LocalPorts": str(port) if direction == 1 else "*", "RemotePorts": str(port) if direction == 2 else "*",
            "RemoteAddresses": remote, "Enabled": enabled, "Profiles": 2147483647}


def _installer_rules_2_7_1(co_located=True, spaced=False):
    glue = " " if spaced else ""
    base = "Stormshield Endpoint Security Evolution"
    return [_com(base + " Agent Handler (TCP-In)", 17000, base), _com(base + glue + "Agent Handler (TCP-In)", 443, base),
            _com(base + glue + "Backend (TCP-In)", 8443 if co_located else 443, base),
            _com(base + glue + "Public API (TCP-In)", 10443, base)]


def _managed(rule_name, port, direction=1):
    return _com("SES Evolution - " + rule_name, port, "SES Evolution (managed)", direction)


def test_plan_creates_and_removes_only_managed_rules():
    rules = [_rule("in", 8443)]
    existing = [_managed("in_console_to_backend_tcp443_legacy", 443), _managed("in_console_to_backend_tcp8443_new", 8443),
                _com("SES Evolution - by hand", 4443, "Operators"), _com("Remote Desktop", 3389, "RDP")]
    result = rw.plan(rules, existing)
    assert [p["name"] for p in result["present"]] == ["SES Evolution - in_console_to_backend_tcp8443_new"]
    assert result["absent"] == ["SES Evolution - in_console_to_backend_tcp443_legacy"]
    assert result["errors"] == []
    assert result["expected_counts"] == {"SES Evolution - in_console_to_backend_tcp8443_new": 1,
                                         "SES Evolution - in_console_to_backend_tcp443_legacy": 1}


def test_plan_refuses_duplicate_managed_names():
    existing = [_managed("in_console_to_backend_tcp8443_new", 8443), _managed("in_console_to_backend_tcp8443_new", 9)]
    result = rw.plan([_rule("in", 8443)], existing)
    assert len(result["errors"]) == 1 and "2 firewall rules are named" in result["errors"][0]
    # also for a managed rule that is about to be removed
    existing = [_managed("old", 1), _managed("OLD", 2)]
    assert rw.plan([], existing)["errors"]


def test_plan_refuses_to_take_over_a_foreign_rule_with_our_name():
    existing = [_com("SES Evolution - in_console_to_backend_tcp8443_new", 8443, "Operators")]
    result = rw.plan([_rule("in", 8443)], existing)
    assert "will not take it over" in result["errors"][0]
    assert result["absent"] == []


def test_plan_adopts_installer_rules_by_flow_and_port():
    rules = [_rule("in", 8443, peers=["10.0.0.21/32"]),
             _rule("in", 8443, peers=["10.0.0.12/32"], flow="agent_handler_to_backend"),
             _rule("in", 443, peers=["10.0.0.21/32"], lifecycle="legacy"),
             _rule("in", 443, peers=["10.9.0.0/16"], flow="agent_to_agent_handler"),
             _rule("in", 17000, peers=["10.9.0.0/16"], flow="agent_to_agent_handler", lifecycle="legacy_agent"),
             _rule("in", 10443, peers=["10.0.0.60/32"], flow="public_api_to_backend", lifecycle="permanent")]
    earlier = _managed("in_agent_to_agent_handler_tcp443_new", 443)
    result = rw.plan(rules, _installer_rules_2_7_1(co_located=True) + [earlier])
    adopted = {p["name"]: p for p in result["present"] if p["name"] in result["adopted"]}
    assert adopted["Stormshield Endpoint Security EvolutionBackend (TCP-In)"]["remoteip"] == "10.0.0.12/32,10.0.0.21/32"
    assert adopted["Stormshield Endpoint Security EvolutionAgent Handler (TCP-In)"]["remoteip"] == "10.9.0.0/16"
    assert adopted["Stormshield Endpoint Security EvolutionPublic API (TCP-In)"]["remoteip"] == "10.0.0.60/32"
    for params in adopted.values():
        assert "group" not in params and "localport" not in params and params["enabled"] is True
    # the console's legacy TCP 443 is no installer rule's flow: ours is created
    created = [p["name"] for p in result["present"] if p["name"] not in result["adopted"]]
    assert created == ["SES Evolution - in_console_to_backend_tcp443_legacy"]
    # our earlier agent rule is now served by the installer's: removed
    assert result["absent"] == ["SES Evolution - in_agent_to_agent_handler_tcp443_new"]
    assert result["errors"] == []


def test_plan_installer_names_match_whatever_the_spacing():
    rules = [_rule("in", 443, peers=["10.9.0.0/16"], flow="agent_to_agent_handler"),
             _rule("in", 17000, peers=["10.9.0.0/16"], flow="agent_to_agent_handler", lifecycle="legacy_agent")]
    spaced = _installer_rules_2_7_1(spaced=True)[:2]
    assert spaced[0]["Name"] == spaced[1]["Name"]
    result = rw.plan(rules, spaced)
    assert result["errors"] == []
    assert result["adopted"] == ["Stormshield Endpoint Security Evolution Agent Handler (TCP-In)"]
    assert [p["name"] for p in result["present"]] == result["adopted"]
    # Once 17000 leaves the matrix (the agents' gate), the two same-name rules need different
    # settings: each is handled on its own, by name, protocol and port, and the run goes on.
    only_https = rw.plan(rules[:1], spaced)
    assert only_https["errors"] == [] and only_https["present"] == []
    name = spaced[0]["Name"]
    assert only_https["targeted"] == [
        {"name": name, "protocol": "tcp", "localport": "17000", "enabled": False, "state": "present"},
        {"name": name, "protocol": "tcp", "localport": "443", "direction": "in", "action": "allow",
         "remoteip": "10.9.0.0/16", "profiles": ["domain", "private", "public"], "enabled": True, "state": "present"}]
    assert only_https["retired"] == [{"name": name, "protocol": "tcp", "port": "17000"}]
    assert only_https["adopted"] == [name] and only_https["expected_counts"] == only_https["targeted_counts"] == {name: 2}
    # the next run, with 17000 disabled: still one rule at a time, nothing retired again
    spaced[0]["Enabled"] = False
    again = rw.plan(rules[:1], spaced)
    assert again["errors"] == [] and again["retired"] == []
    assert [params["localport"] for params in again["targeted"]] == ["443"]
    # lower case, extra spaces: still the installer's rule
    odd = [_com("  stormshield endpoint security evolution backend  (tcp-in)", 8443)]
    assert rw.plan([_rule("in", 8443)], odd)["adopted"] == [odd[0]["Name"]]


def test_plan_leave_mode_skips_ours_and_warns_about_exposure():
    rules = [_rule("in", 10443, peers=["10.0.0.60/32"], flow="public_api_to_backend", lifecycle="permanent")]
    result = rw.plan(rules, _installer_rules_2_7_1(), installer_mode="leave")
    assert result["present"] == [] and result["adopted"] == []
    assert "opens TCP 10443 to any address" in " ".join(result["warnings"])
    # a disabled installer rule opens nothing: ours is created
    disabled = [_com("Stormshield Endpoint Security EvolutionPublic API (TCP-In)", 10443, enabled=False)]
    result = rw.plan(rules, disabled, installer_mode="leave")
    assert [p["name"] for p in result["present"]] == ["SES Evolution - in_public_api_to_backend_tcp10443_permanent"]
    with pytest.raises(SesInputError, match="adopt or leave"):
        rw.plan(rules, [], installer_mode="take")


def test_plan_disables_a_retired_installer_rule_and_never_deletes_it():
    # cleanup on a co-located backend whose installer still has the backend on 443
    name = "Stormshield Endpoint Security EvolutionBackend (TCP-In)"
    installer = [_com(name, 443)]
    result = rw.plan([_rule("in", 8443)], installer)
    assert result["absent"] == [] and result["adopted"] == [] and result["errors"] == []
    assert result["targeted"] == [{"name": name, "protocol": "tcp", "localport": "443", "enabled": False,
                                   "state": "present"}]
    assert result["retired"] == [{"name": name, "protocol": "tcp", "port": "443"}]
    assert result["left_open"] == []
    # once disabled, nothing more to do
    installer[0]["Enabled"] = False
    assert rw.plan([_rule("in", 8443)], installer)["targeted"] == []


def test_plan_keeps_a_retired_installer_rule_on_request_and_lists_it_as_open():
    name = "Stormshield Endpoint Security EvolutionBackend (TCP-In)"
    result = rw.plan([_rule("in", 8443)], [_com(name, 443)], retired_mode="keep")
    assert result["targeted"] == [] and result["retired"] == []
    assert result["left_open"] == [{"name": name, "protocol": "tcp", "port": "443", "scope": "*",
                                    "reason": "no rule of this host's matrix needs this port "
                                              "(windows_firewall_installer_retired: keep)"}]
    assert "stays open" in result["warnings"][0]
    with pytest.raises(SesInputError, match="windows_firewall_installer_retired"):
        rw.plan([], [], retired_mode="delete")


def test_plan_leave_mode_lists_what_it_leaves_open():
    rules = [_rule("in", 10443, peers=["10.0.0.60/32"], flow="public_api_to_backend", lifecycle="permanent")]
    result = rw.plan(rules, _installer_rules_2_7_1()[3:], installer_mode="leave")
    assert [entry["port"] for entry in result["left_open"]] == ["10443"]
    assert "10.0.0.60/32" in result["left_open"][0]["reason"]


def test_plan_outbound_rules_follow_filtering():
    rules = [_rule("out", 8443), _rule("in", 17000, flow="agent_to_agent_handler")]
    existing = [_managed("out_console_to_backend_tcp8443_new", 8443, direction=2)]
    result = rw.plan(rules, existing, filter_outbound=False)
    assert [p["name"] for p in result["present"]] == ["SES Evolution - in_agent_to_agent_handler_tcp17000_new"]
    assert result["absent"] == ["SES Evolution - out_console_to_backend_tcp8443_new"]
    assert result["skipped"][0]["reason"].startswith("outbound rule")


# --- host state -------------------------------------------------------------------------------

def _profiles(domain="Allow", private="Allow", public="Allow", enabled="True"):
    return [{"Name": name, "Enabled": enabled, "DefaultOutboundAction": action}
            for name, action in (("Domain", domain), ("Private", private), ("Public", public))]


def test_outbound_detection():
    assert rw.outbound_filtered(_profiles()) is False
    assert rw.outbound_filtered(_profiles(private="Block")) is True
    assert rw.outbound_filtered(_profiles(private="Block"), profiles=["domain"]) is False
    assert rw.outbound_filtered(_profiles(domain="Block", enabled="False")) is False
    assert rw.host_state({"profiles": _profiles(public="Block")})["filter_outbound"] is True
    assert rw.host_state({"profiles": _profiles(public="Block")}, filter_outbound="false")["filter_outbound"] is False
    with pytest.raises(SesInputError, match="windows_firewall_filter_outbound"):
        rw.host_state({}, filter_outbound="sometimes")


def test_version_detection_and_migrated():
    products = [{"DisplayName": "Stormshield Endpoint Security Evolution Agent", "DisplayVersion": "2.5.0", "Publisher": "Stormshield"},
                {"DisplayName": "Stormshield Endpoint Security Evolution Agent Handler", "DisplayVersion": "2.7.1.1204", "Publisher": "Stormshield"},
                {"DisplayName": "Stormshield Endpoint Security Evolution Backend", "DisplayVersion": "2.6.3", "Publisher": "Stormshield"},
                {"DisplayName": "Stormshield Network VPN Client", "DisplayVersion": "1.0", "Publisher": "Stormshield"}]
    # the agent is not the backoffice; the oldest component counts
    assert rw.detected_version(products) == "2.6.3"
    state = rw.host_state({"products": products}, inventory_version="2.7.1")
    assert (state["version"], state["version_source"]) == ("2.6.3", "registry")
    assert rw.is_migrated(state["version"], "2.7.1") is False
    state = rw.host_state({"products": []}, inventory_version="2.7.1")
    assert (state["version"], state["version_source"]) == ("2.7.1", "inventory")
    assert rw.is_migrated("2.7.1", "2.7.1") is True
    state = rw.host_state({"products": []}, inventory_version=None)
    assert (state["version"], state["version_source"]) == (None, "unknown")
    assert rw.is_migrated(None, "2.7.1") is False


def test_role_constants_match_the_renderer():
    with open(os.path.join(ROLE, "vars", "main.yml"), encoding="utf-8") as handle:
        role_vars = yaml.safe_load(handle)
    assert role_vars["__windows_firewall_prefix"] == rw.RULE_PREFIX
    assert role_vars["__windows_firewall_group"] == rw.RULE_GROUP
    with open(os.path.join(ROLE, "defaults", "main.yml"), encoding="utf-8") as handle:
        defaults = yaml.safe_load(handle)
    # the installer's rules come from the catalog, through the lookup (never a copy in the role)
    assert defaults["windows_firewall_installer_rule_catalog"] == \
        "{{ query('ses_evolution.firewall.installer_rules') }}"
    assert defaults["windows_firewall_profiles"] == list(rw.PROFILES)


def _gpo_profiles(**allow):
    """Get-NetFirewallProfile -PolicyStore ActiveStore, with AllowLocalFirewallRules per profile."""
    return [{"Name": name, "Enabled": "True", "DefaultOutboundAction": "Allow",
             "AllowLocalFirewallRules": allow.get(name.lower(), "NotConfigured")}
            for name in ("Domain", "Private", "Public")]


def test_group_policy_that_ignores_local_rules_is_detected_per_profile():
    # "Apply local firewall rules: No" in the effective policy: local rules are stored, not enforced.
    state = rw.host_state({"profiles": _gpo_profiles(domain="False")})
    assert state["local_rules_ignored"] == ["domain"]
    assert rw.host_state({"profiles": _gpo_profiles(domain="True")})["local_rules_ignored"] == []
    assert rw.host_state({"profiles": _gpo_profiles()})["local_rules_ignored"] == []
    # only the profiles the rules are for, and only enabled ones, matter
    assert rw.host_state({"profiles": _gpo_profiles(public="False")}, profiles=["domain"])["local_rules_ignored"] == []
    disabled = _gpo_profiles(private="False")
    disabled[1]["Enabled"] = "False"
    assert rw.host_state({"profiles": disabled})["local_rules_ignored"] == []
    assert rw.host_state({"profiles": _gpo_profiles(domain="0", public="false")})["local_rules_ignored"] == [
        "domain", "public"]
