# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Windows simulator behaves as community.windows.win_firewall_rule does on Windows.

Each expectation is taken from the real module's PowerShell (community.windows
3.1.0, win_firewall_rule.ps1) and INetFwRule's documented behaviour; the last
tests drive the simulated modules through Ansible, as the role does.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import subprocess
import sys

import pytest

__metaclass__ = type

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SIM = os.path.join(ROOT, "tests", "windows_sim")


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


store = _load("winsim_firewall_store", os.path.join(
    SIM, "ansible_collections", "ses_sim", "windows", "plugins", "module_utils", "firewall_store.py"))
sys.modules.setdefault("ansible_collections.ses_sim.windows.plugins.module_utils.firewall_store", store)
winsim = _load("winsim_cli", os.path.join(SIM, "winsim.py"))

OURS = {"name": "SES Evolution - in_x_tcp8443_new", "group": "SES Evolution (managed)", "description": "d",
        "direction": "in", "action": "allow", "protocol": "tcp", "localport": "8443", "remoteport": "any",
        "localip": "any", "remoteip": "10.0.0.21/32,10.0.0.12/32", "program": "any", "service": "any",
        "profiles": ["domain", "private", "public"], "enabled": True, "state": "present"}


def test_create_uses_com_defaults_and_normalises():
    rules = []
    changed, msg, _diff = store.apply_rule(rules, {"name": "r", "protocol": "tcp", "localport": "443",
                                                   "remoteip": "10.0.0.0/24,fd00::/64,10.0.0.9/32"}, False)
    assert changed and msg == "Firewall rule 'r' created."
    rule = rules[0]
    assert rule["Enabled"] is True  # the module enables; COM alone would not
    assert (rule["Direction"], rule["Action"], rule["Protocol"], rule["Profiles"]) == (1, 1, 6, 0x7FFFFFFF)
    assert rule["RemoteAddresses"] == "10.0.0.0/255.255.255.0,fd00::/64,10.0.0.9/255.255.255.255"
    assert (rule["LocalPorts"], rule["RemotePorts"], rule["LocalAddresses"]) == ("443", "*", "*")


def test_second_run_is_not_a_change_and_address_order_does_not_matter():
    rules = []
    store.apply_rule(rules, OURS, False)
    assert store.apply_rule(rules, OURS, False)[0] is False
    swapped = dict(OURS, remoteip="10.0.0.12/32,10.0.0.21/32")
    assert store.apply_rule(rules, swapped, False)[0] is False


def test_only_passed_options_are_compared():
    rules = []
    store.apply_rule(rules, OURS, False)
    rules[0]["Description"] = "edited by hand"
    rules[0]["Profiles"] = 1
    # a task without description/profiles does not see (nor revert) the edits
    partial = {key: value for key, value in OURS.items() if key not in ("description", "profiles")}
    assert store.apply_rule(rules, partial, False)[0] is False
    assert rules[0]["Description"] == "edited by hand"
    # passing them reverts both
    changed, msg, _diff = store.apply_rule(rules, OURS, False)
    assert changed and "changed 'SES Evolution - in_x_tcp8443_new'" in msg
    assert (rules[0]["Description"], rules[0]["Profiles"]) == ("d", 0x7FFFFFFF)


def test_every_same_name_rule_is_updated_and_removed_case_insensitively():
    rules = []
    store.apply_rule(rules, dict(OURS, localport="443"), False)
    store.apply_rule(rules, dict(OURS, name="other"), False)
    rules.append(dict(copy.deepcopy(rules[0]), LocalPorts="17000", Name=OURS["name"].upper()))
    changed, _msg, _diff = store.apply_rule(rules, {"name": OURS["name"], "remoteip": "192.0.2.1/32"}, False)
    assert changed
    assert [r["RemoteAddresses"] for r in rules if r["Name"].casefold() == OURS["name"].casefold()] == \
        ["192.0.2.1/255.255.255.255"] * 2
    assert [r["LocalPorts"] for r in rules if r["Name"] != "other"] == ["443", "17000"]  # not passed: kept
    changed, msg, _diff = store.apply_rule(rules, {"name": OURS["name"].lower(), "state": "absent"}, False)
    assert changed and [r["Name"] for r in rules] == ["other"]
    assert store.apply_rule(rules, {"name": "gone", "state": "absent"}, False)[:2] == \
        (False, "Firewall rule 'gone' does not exist.")


def test_check_mode_reports_and_writes_nothing():
    rules = []
    assert store.apply_rule(rules, OURS, True)[0] is True and rules == []
    store.apply_rule(rules, OURS, False)
    before = copy.deepcopy(rules)
    assert store.apply_rule(rules, dict(OURS, remoteip="any"), True)[0] is True
    assert store.apply_rule(rules, {"name": OURS["name"], "state": "absent"}, True)[0] is True
    assert rules == before


def test_any_keeps_the_com_default():
    rules = []
    store.apply_rule(rules, dict(OURS, remoteip="any"), False)
    assert rules[0]["RemoteAddresses"] == "*"
    assert store.apply_rule(rules, dict(OURS, remoteip="any"), False)[0] is False


def test_ports_need_tcp_or_udp_as_on_windows():
    # the module sets LocalPorts before Protocol on an existing rule: a rule whose
    # protocol is still "any" cannot take a port in the same task
    rules = []
    store.apply_rule(rules, {"name": "p"}, False)
    with pytest.raises(store.ComError):
        store.apply_rule(rules, {"name": "p", "protocol": "tcp", "localport": "443"}, False)
    with pytest.raises(store.ComError, match="Unknown protocol"):
        store.apply_rule([], {"name": "q", "protocol": "sctp"}, False)
    with pytest.raises(store.ComError):  # (host bits under a mask are accepted, as on Windows: see below)
        store.apply_rule([], {"name": "q", "remoteip": "10.1.2.3/33"}, False)


def test_read_state_returns_managed_prefixed_and_installer_rules():
    data = {"rules": [], "profiles": [{"Name": "Domain"}], "products": [{"DisplayName": "x"}]}
    for name, group in (("SES Evolution - a", "SES Evolution (managed)"), ("ses evolution - b", "Other"),
                        ("c", "SES Evolution (managed)"), ("Stormshield Endpoint Security Evolution Backend (TCP-In)", ""),
                        ("Remote Desktop", "RDP")):
        store.apply_rule(data["rules"], {"name": name, "group": group}, False)
    result = store.read_state(data, "SES Evolution (managed)", "SES Evolution - ",
                              ["Stormshield Endpoint Security EvolutionBackend (TCP-In)"])
    assert [r["Name"] for r in result["rules"]] == ["SES Evolution - a", "ses evolution - b", "c",
                                                    "Stormshield Endpoint Security Evolution Backend (TCP-In)"]
    # Every setting the script reads, NotConfigured where no policy sets it (Get-NetFirewallProfile).
    assert result["profiles"] == [dict({"Name": "Domain"}, **{key: "NotConfigured" for key in store.PROFILE_SETTINGS})]
    assert "products" not in result and "policy" not in result  # read_versions.ps1 reads them; -Capture only


def test_read_state_for_the_capture_adds_keyword_rules_and_the_policy_view():
    data = {"rules": [], "profiles": [{"Name": "Domain", "AllowLocalFirewallRules": "False"}]}
    for name, group, program in (("EsServer (TCP-In)", "Custom", None), ("Remote Desktop", "RDP", None),
                                 ("x", "", r"C:\Program Files\Stormshield\EsServer.exe")):
        store.apply_rule(data["rules"], {"name": name, "group": group, "program": program}, False)
    result = store.read_state(data, "SES Evolution (managed)", "SES Evolution - ", [], ["esserver"], capture=True)
    assert [r["Name"] for r in result["rules"]] == ["EsServer (TCP-In)", "x"]
    assert set(result["rules"][1]) == set(store.RULE_KEYS)
    assert result["policy"][0]["AllowLocalFirewallRules"] == "False"
    assert result["policy"][0]["DefaultInboundAction"] == "NotConfigured"


def test_read_versions_returns_the_entries_naming_stormshield():
    products = [{"DisplayName": "Stormshield Endpoint Security Evolution Backend", "DisplayVersion": "2.7.1",
                 "Publisher": "Stormshield", "UninstallString": "MsiExec.exe /X{A}"},
                {"DisplayName": "Repackaged console", "DisplayVersion": "2.6.3", "Publisher": "Stormshield SAS",
                 "SystemComponent": 1},
                {"DisplayName": "Notepad++", "DisplayVersion": "8.6", "Publisher": "Notepad++ Team"}]
    result = store.read_versions({"rules": [], "products": products})
    assert [(p["DisplayName"], p["SystemComponent"]) for p in result["products"]] == [
        ("Stormshield Endpoint Security Evolution Backend", ""), ("Repackaged console", "1")]


def test_installer_model_follows_the_vendor_page():
    def ports(version, components, co_located, spelling="page"):
        return sorted((r["Name"], int(r["LocalPorts"]))
                      for r in winsim.installer_rules(version, components, co_located, spelling))
    base = "Stormshield Endpoint Security Evolution"
    assert ports("2.7.1", ["backend", "agent_handler"], True) == sorted([
        (base + " Agent Handler (TCP-In)", 17000), (base + "Agent Handler (TCP-In)", 443),
        (base + "Backend (TCP-In)", 8443), (base + "Public API (TCP-In)", 10443)])
    assert (base + "Backend (TCP-In)", 443) in ports("2.7.1", ["backend"], False)
    assert ports("2.6.3", ["agent_handler"], False) == [(base + " Agent Handler (TCP-In)", 17000)]
    assert ports("2.7.1", ["console"], False) == []


# --- through Ansible, as the role calls them --------------------------------------------------

@pytest.fixture()
def sim_host(tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"w1": {"version": "2.7.1", "components": ["backend"], "co_located": False}}))
    winsim.init(str(tmp_path), json.loads(seed.read_text()))
    paths = os.environ.get("ANSIBLE_COLLECTIONS_PATH", os.path.expanduser("~/.ansible/collections"))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH="%s:%s" % (SIM, paths), ANSIBLE_STDOUT_CALLBACK="json",
               ANSIBLE_LOAD_CALLBACK_PLUGINS="1")
    interpreter = tmp_path / "hosts" / "w1" / "python"

    def run(module, args, *extra):
        command = ["ansible", "all", "-i", "w1,", "-c", "local", "-e", "ansible_python_interpreter=%s" % interpreter,
                   "-m", module, "-a", json.dumps(args)] + list(extra)
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        result = json.loads(done.stdout)["plays"][0]["tasks"][0]["hosts"]["w1"]
        with open(tmp_path / "hosts" / "w1" / "store.json") as handle:
            return result, json.load(handle)["rules"]
    return run


def test_shadowed_module_through_ansible(sim_host):
    result, rules = sim_host("community.windows.win_firewall_rule", dict(OURS), "--check")
    assert result["changed"] is True and OURS["name"] not in [r["Name"] for r in rules]
    result, rules = sim_host("community.windows.win_firewall_rule", dict(OURS))
    assert result["changed"] is True and OURS["name"] in [r["Name"] for r in rules]
    result, _rules = sim_host("community.windows.win_firewall_rule", dict(OURS))
    assert result["changed"] is False
    result, _rules = sim_host("community.windows.win_firewall_rule", {"name": "x", "remote_ip": "any"})
    assert result.get("failed") and "remote_ip" in result["msg"]


def _script(name):
    with open(os.path.join(ROOT, "roles", "windows_firewall", "files", name), encoding="utf-8") as handle:
        return handle.read()


def test_reconcile_script_refuses_a_changed_host_then_applies(sim_host):
    parameters = {"Rules": [dict(OURS)], "Remove": ["Stormshield Endpoint Security EvolutionPublic API (TCP-In)"],
                  "ExpectedCounts": {OURS["name"]: 1}}
    args = {"script": _script("reconcile.ps1"), "parameters": parameters}
    result, rules = sim_host("ansible.windows.win_powershell", args)
    assert result.get("failed") and "planned with 1" in result["result"]["error"]
    assert OURS["name"] not in [r["Name"] for r in rules] and len(rules) == 2
    parameters["ExpectedCounts"] = {OURS["name"]: 0}
    result, rules = sim_host("ansible.windows.win_powershell", args, "--check")
    assert result["changed"] is True and len(rules) == 2  # SupportsShouldProcess: runs, changes nothing
    result, rules = sim_host("ansible.windows.win_powershell", args)
    assert result["result"]["created"] == [OURS["name"]] and result["changed"] is True
    assert result["result"]["removed"] == ["Stormshield Endpoint Security EvolutionPublic API (TCP-In)"]
    assert sorted(r["Name"] for r in rules) == [OURS["name"], "Stormshield Endpoint Security EvolutionBackend (TCP-In)"]


def test_version_probe_is_its_own_script(sim_host):
    result, _rules = sim_host("ansible.windows.win_powershell", {"script": _script("read_versions.ps1")})
    assert not result.get("failed") and result["changed"] is False
    assert [p["DisplayName"] for p in result["result"]["products"]] == [
        "Stormshield Endpoint Security Evolution Backend"]


def test_win_powershell_runs_only_known_scripts(sim_host):
    result, _rules = sim_host("ansible.windows.win_powershell", {"script": "Get-NetFirewallRule"})
    assert result.get("failed") and "marker" in result["msg"]
    # a script without SupportsShouldProcess is skipped in check mode, as the real module does
    result, _rules = sim_host("ansible.windows.win_powershell", {
        "script": _script("read_state.ps1"), "parameters": {"Group": "g", "Prefix": "p"}}, "--check")
    assert result["msg"] == "skipped, running in check mode"


def test_reconcile_semantics_match_rule_by_rule():
    base = []
    store.apply_rule(base, dict(OURS, localport="443", name="SES Evolution - old"), False)
    base.append(dict(copy.deepcopy(base[0]), Name="Stormshield Endpoint Security EvolutionBackend (TCP-In)",
                     Grouping="Stormshield Endpoint Security Evolution"))
    adopt = {"name": "Stormshield Endpoint Security EvolutionBackend (TCP-In)", "remoteip": "10.0.0.21/32",
             "enabled": True, "direction": "in", "action": "allow", "profiles": ["domain"]}
    one_by_one = copy.deepcopy(base)
    for spec in (OURS, adopt):
        store.apply_rule(one_by_one, spec, False)
    store.apply_rule(one_by_one, {"name": "SES Evolution - old", "state": "absent"}, False)
    together = copy.deepcopy(base)
    changed, result, failed = store.reconcile(together, [OURS, adopt], ["SES Evolution - old"], {}, False)
    assert (changed, failed) == (True, False) and together == one_by_one
    assert result == {"created": [OURS["name"]], "updated": [adopt["name"]], "removed": ["SES Evolution - old"]}
    again = store.reconcile(together, [OURS, adopt], [], {}, False)
    assert again[0] is False and again[1]["created"] == again[1]["updated"] == []
    # a COM error stops the run and is reported
    _changed, result, failed = store.reconcile(copy.deepcopy(base), [{"name": "x", "remoteip": "10.1.2.300"}],
                                               [], {}, False)
    assert failed and "Firewall reconcile failed" in result["error"]


# --- clearing a program (COM binder, community.windows issue 471) -----------------------------

def test_clearing_a_program_by_plain_assignment_raises_as_com_does():
    # PowerShell's COM binder cannot pass a null string to INetFwRule.ApplicationName:
    # "Value does not fall within the expected range". Through the typed interface
    # (the module's PutApplicationName) the program is cleared.
    rule = dict(store.new_rule(), ApplicationName="C:\\Tools\\x.exe")
    with pytest.raises(store.ComError, match="expected range"):
        store.set_property(rule, "ApplicationName", None)
    assert rule["ApplicationName"] == "C:\\Tools\\x.exe"
    store.set_property(rule, "ApplicationName", None, typed=True)
    assert rule["ApplicationName"] is None
    store.set_property(rule, "ApplicationName", "C:\\Tools\\y.exe")  # setting a program is fine either way
    assert rule["ApplicationName"] == "C:\\Tools\\y.exe"


def test_module_clears_a_program_as_win_firewall_rule_does():
    rules = []
    store.apply_rule(rules, OURS, False)
    rules[0]["ApplicationName"], rules[0]["ServiceName"] = "C:\\Tools\\x.exe", "svc"
    changed, _msg, diff = store.apply_rule(rules, OURS, False)
    assert changed and "-ApplicationName='C:\\Tools\\x.exe'" in diff
    assert (rules[0]["ApplicationName"], rules[0]["ServiceName"]) == (None, None)
    # the script's plain assignment fails part way, as on Windows
    rules[0]["ApplicationName"] = "C:\\Tools\\x.exe"
    _changed, result, failed = store.reconcile(rules, [OURS], [], {}, False)
    assert failed and "expected range" in result["error"]


def test_reconcile_script_clears_a_program_on_a_managed_rule(sim_host, tmp_path):
    # A managed rule edited by hand to carry a program and a service: reconcile.ps1
    # must clear both (the matrix rule says "any") and finish, not fail part way.
    store_path = tmp_path / "hosts" / "w1" / "store.json"
    data = json.loads(store_path.read_text())
    ours = []
    store.apply_rule(ours, OURS, False)
    ours[0].update(ApplicationName="C:\\Tools\\x.exe", ServiceName="svc", Description="edited")
    data["rules"].extend(ours)
    store_path.write_text(json.dumps(data))
    args = {"script": _script("reconcile.ps1"),
            "parameters": {"Rules": [dict(OURS)], "Remove": [], "ExpectedCounts": {OURS["name"]: 1}}}
    result, rules = sim_host("ansible.windows.win_powershell", args)
    assert not result.get("failed"), result.get("result")
    assert result["result"]["updated"] == [OURS["name"]]
    mine = [rule for rule in rules if rule["Name"] == OURS["name"]]
    assert [(r["ApplicationName"], r["ServiceName"], r["Description"]) for r in mine] == [(None, None, "d")]
    result, _rules = sim_host("ansible.windows.win_powershell", args)
    assert result["changed"] is False


# --- address formats as COM keeps them ----------------------------------------------------------

def test_ipv6_host_prefix_is_kept_as_com_reports_it():
    # INetFwRule keeps an IPv6 address's "/128" as given; a bare address stays bare.
    assert store.normalise_addresses("fd00::21/128") == "fd00::21/128"
    assert store.normalise_addresses("fd00::21") == "fd00::21"
    assert store.normalise_addresses("FD00:0::21/128,fd00::/64") == "fd00::21/128,fd00::/64"


def test_cidr_with_host_bits_is_accepted_as_windows_does():
    # Windows accepts an address with host bits under its mask (New-NetFirewallRule and
    # INetFwRule alike); it is stored with the address as given, not the network.
    assert store.normalise_addresses("10.1.2.3/16") == "10.1.2.3/255.255.0.0"
    assert store.normalise_addresses("fd00::1/64") == "fd00::1/64"
    rules = []
    changed, _msg, _diff = store.apply_rule(rules, {"name": "x", "remoteip": "10.1.2.3/16"}, False)
    assert changed and rules[0]["RemoteAddresses"] == "10.1.2.3/255.255.0.0"
    assert store.apply_rule(rules, {"name": "x", "remoteip": "10.1.2.3/16"}, False)[0] is False
    for bad in ("10.1.2.300", "10.1.2.3/33", "fd00::1/129", "", "10.0.0.1,,10.0.0.2"):
        with pytest.raises(store.ComError):
            store.normalise_addresses(bad)


# --- installer rules sharing one name, changed one at a time ------------------------------------

def _same_name_agent_handler_rules():
    rules = []
    for port in ("17000", "443"):
        rule = store.new_rule()
        rule.update(Name="Stormshield Endpoint Security Evolution Agent Handler (TCP-In)", Enabled=True,
                    Grouping="Stormshield Endpoint Security Evolution")
        store.set_property(rule, "Protocol", 6)
        store.set_property(rule, "LocalPorts", port)
        rules.append(rule)
    return rules


def test_reconcile_changes_same_name_installer_rules_by_port():
    rules = _same_name_agent_handler_rules()
    name = rules[0]["Name"]
    installer = [{"name": name, "protocol": "tcp", "localport": "17000", "enabled": False},
                 {"name": name, "protocol": "tcp", "localport": "443", "direction": "in", "action": "allow",
                  "remoteip": "10.9.0.0/16", "profiles": ["domain"], "enabled": True}]
    changed, result, failed = store.reconcile(rules, [], [], {name: 2}, False, installer=installer)
    assert (changed, failed) == (True, False) and result["updated"] == [name, name]
    by_port = {rule["LocalPorts"]: rule for rule in rules}
    assert by_port["17000"]["Enabled"] is False and by_port["17000"]["RemoteAddresses"] == "*"  # disabled, kept
    assert by_port["443"]["Enabled"] is True and by_port["443"]["RemoteAddresses"] == "10.9.0.0/255.255.0.0"
    assert by_port["443"]["Profiles"] == 1 and len(rules) == 2
    assert store.reconcile(rules, [], [], {name: 2}, False, installer=installer)[0] is False
    # a port that is gone since the plan: the run fails and says so
    _changed, result, failed = store.reconcile(rules, [], [], {}, False, installer=[dict(installer[0], localport="9")])
    assert failed and "changed since the plan" in result["error"]


def test_reconcile_script_takes_installer_changes(sim_host, tmp_path):
    store_path = tmp_path / "hosts" / "w1" / "store.json"
    data = json.loads(store_path.read_text())
    data["rules"].extend(_same_name_agent_handler_rules())
    store_path.write_text(json.dumps(data))
    name = "Stormshield Endpoint Security Evolution Agent Handler (TCP-In)"
    args = {"script": _script("reconcile.ps1"), "parameters": {
        "Installer": [{"name": name, "protocol": "tcp", "localport": "17000", "enabled": False}],
        "ExpectedCounts": {name: 2}}}
    result, rules = sim_host("ansible.windows.win_powershell", args)
    assert result["changed"] is True and not result.get("failed")
    ports = sorted((r["LocalPorts"], r["Enabled"]) for r in rules if r["Name"] == name)
    assert ports == [("17000", False), ("443", True)]


CAPTURES = sorted(os.path.join(SIM, "captures", name) for name in os.listdir(os.path.join(SIM, "captures"))
                  if name.endswith(".json"))


@pytest.mark.parametrize("path", CAPTURES, ids=os.path.basename)
def test_a_capture_loads_as_it_was_read(path):
    """Any capture of tests/windows_sim/captures: the role's reads of the loaded host give back the capture."""
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    data = winsim.store_from_capture(document, path)
    state = store.read_state(data, "SES Evolution (managed)", "SES Evolution - ", [],
                             ["Stormshield", "SES Evolution", "EsServer"], capture=True)
    assert state["rules"] == document["rules"]
    assert (state["profiles"], state["policy"]) == (document["profiles"], document["policy"])
    assert store.read_versions(data)["products"] == document["products"]


def test_a_capture_of_another_kind_or_format_is_refused():
    with pytest.raises(SystemExit, match="not a capture"):
        winsim.store_from_capture({"format": 1, "kind": "other"})
    with pytest.raises(SystemExit, match="capture format 2; this simulator reads format 1"):
        winsim.store_from_capture({"format": 2, "kind": winsim.CAPTURE_KIND})
