# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The perimeter export: which flows cross a device, and what aerleon renders of them for each target.

The fleet: bo1 is a backend sharing its machine with an agent handler (10.10.0.11),
ah2 a separate agent handler (10.10.0.12), sql1 the SQL server (10.10.0.31), all in
the servers zone 10.10.0.0/24; the console con1 (10.20.0.21) and the agents
(ses_agent_networks 10.20.1.0/24) in the users zone 10.20.0.0/16; the syslog server
log1 (10.30.0.41) in a dmz zone the device does not join. Expected terms come from
the vendor's table, not from the code: through the device, users -> servers only,
  console -> co-located backend: TCP 443 (2.6, legacy) and TCP 8443 (2.7.1, new);
  agents -> each agent handler (bo1, ah2): TCP 17000 (older agents) and TCP 443 (new);
agent handler -> backend, backend -> SQL stay inside the servers zone, and syslog goes
to the dmz: none of them crosses. Cleanup drops the console's TCP 443 term only.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import perimeter
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import SesInputError
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.matrix import compute_matrix

__metaclass__ = type

GROUPS = {"ses_backends": ["bo1"], "ses_agent_handlers": ["bo1", "ah2"], "ses_consoles": ["con1"],
          "ses_sql_servers": ["sql1"], "ses_syslog_servers": ["log1"], "ses_agents": []}
_FLEET = {"ses_public_api_clients": [], "ses_update_server": [], "ses_agent_networks": ["10.20.1.0/24"]}
HOSTVARS = {
    "bo1": dict(_FLEET, ses_address="10.10.0.11", ses_version="2.7.1"),
    "ah2": dict(_FLEET, ses_address="10.10.0.12", ses_version="2.6.3"),
    "con1": dict(_FLEET, ses_address="10.20.0.21", ses_version="2.6.3"),
    "sql1": dict(_FLEET, ses_address="10.10.0.31"),
    "log1": dict(_FLEET, ses_address="10.30.0.41"),
}
ZONES = {"users": ["10.20.0.0/16"], "servers": ["10.10.0.0/24"], "dmz": ["10.30.0.0/24"]}
DEVICES = {"edge": ["users", "servers"]}
AGENTS, CON1, BO1, AH2 = "10.20.1.0/24", "10.20.0.21/32", "10.10.0.11/32", "10.10.0.12/32"
# (source, destination, protocol, port, lifecycle), from the vendor's table.
EXPECTED = {
    "migrate": {(CON1, BO1, "tcp", 443, "legacy"), (CON1, BO1, "tcp", 8443, "new"),
                (AGENTS, BO1, "tcp", 17000, "legacy_agent"), (AGENTS, BO1, "tcp", 443, "new"),
                (AGENTS, AH2, "tcp", 17000, "legacy_agent"), (AGENTS, AH2, "tcp", 443, "new")},
}
EXPECTED["cleanup"] = EXPECTED["migrate"] - {(CON1, BO1, "tcp", 443, "legacy")}
TARGETS = ["ciscoasa", "paloalto", "srx", "fortigate", "nftables", "juniper", "cisco"]
# How each target writes a destination port (ASA names the well-known ones).
PORTS = {
    "ciscoasa": r"\beq (\S+)", "cisco": r"\beq (\S+)", "juniper": r"destination-port (\d+);",
    "paloalto": r"<port>(\d+)</port>", "srx": r"destination-port (\d+);",
    "fortigate": r"(?:tcp|udp)-portrange (\d+)", "nftables": r"dport (\d+)",
}
PORT_NAMES = {"https": 443, "www": 80, "syslog": 514}
TERM_NAME = re.compile(r"\b[a-z_]+_to_[a-z_]+_(?:tcp|udp)\d+_[0-9a-f]{6}\b")
ADDRESS = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])")


def export_for(phase, targets=None, zones=None, devices=None):
    matrix = compute_matrix(GROUPS, HOSTVARS, phase)
    return perimeter.build_export(matrix, zones or ZONES, devices or DEVICES, TARGETS if targets is None else targets)


@pytest.mark.parametrize("phase", ["migrate", "cleanup"])
def test_only_the_crossing_flows_in_their_direction(phase):
    terms = export_for(phase)["devices"]["edge"]["terms"]
    assert {(tuple(t["source"]) and t["source"][0], t["destination"][0], t["protocol"], t["port"], t["lifecycle"])
            for t in terms} == EXPECTED[phase]
    assert len(terms) == len(EXPECTED[phase])
    assert {(t["from_zone"], t["to_zone"]) for t in terms} == {("users", "servers")}
    assert all(len(t["source"]) == 1 and len(t["destination"]) == 1 for t in terms)


def test_cleanup_names_the_legacy_term_it_drops():
    migrate, cleanup = export_for("migrate"), export_for("cleanup")
    legacy = [t["name"] for t in migrate["devices"]["edge"]["terms"] if t["lifecycle"] == "legacy"]
    assert len(legacy) == 1 and cleanup["devices"]["edge"]["dropped_terms"] == legacy
    header = cleanup["devices"]["edge"]["policy"]["filters"][0]["header"]["comment"]
    assert legacy[0] in header
    comments = [term["comment"] for flt in migrate["devices"]["edge"]["policy"]["filters"] for term in flt["terms"]
                if term["name"] == legacy[0]]
    assert comments and all(comment.startswith("LEGACY, cleanup removes it.") for comment in comments)
    # The other terms keep their names from one phase to the next: the network team sees one go.
    assert ({t["name"] for t in migrate["devices"]["edge"]["terms"]} - set(legacy)
            == {t["name"] for t in cleanup["devices"]["edge"]["terms"]})


@pytest.mark.parametrize("phase", ["migrate", "cleanup"])
@pytest.mark.parametrize("target", TARGETS)
def test_each_target_renders_every_term_address_and_port(phase, target):
    export = export_for(phase, targets=[target])
    outputs = perimeter.render(export, "edge", [target])
    assert len(outputs) == 1
    text = next(iter(outputs.values()))
    expected = EXPECTED[phase]
    names = {t["name"] for t in export["devices"]["edge"]["terms"]}
    # The cleanup header names the legacy term it no longer has: that mention is no term.
    dropped = set(export["devices"]["edge"]["dropped_terms"])
    assert set(TERM_NAME.findall(text)) - dropped == names and len(names) == len(expected)
    addresses = {a for a in ADDRESS.findall(text) if not a.startswith(("255.", "0."))}
    assert addresses == {cidr.split("/")[0] for term in expected for cidr in term[:2]}
    ports = {int(PORT_NAMES.get(port, port)) for port in re.findall(PORTS[target], text)}
    assert ports == {term[3] for term in expected}


@pytest.mark.parametrize("phase", ["migrate", "cleanup"])
def test_nftables_term_by_term(phase):
    """Each nftables chain of a term: its own source, destination and port, as the vendor's table says."""
    text = perimeter.render(export_for(phase, targets=["nftables"]), "edge", ["nftables"])["edge.nft"]
    found = set()
    for rule in re.findall(r"ip saddr (\S+) ip daddr (\S+) (tcp|udp) dport (\d+) ct state new accept", text):
        found.add((rule[0], rule[1], rule[2], int(rule[3])))
    assert found == {term[:4] for term in EXPECTED[phase]}
    assert "hook forward priority 0; policy drop;" in text


def test_comments_fit_nftables_limit():
    """nftables refuses a comment over 128 characters: found when the lab router loaded the cleanup policy."""
    hostvars = dict(HOSTVARS, **{"con1": dict(HOSTVARS["con1"])})
    groups = dict(GROUPS, ses_consoles=["con1-" + "x" * 80])
    hostvars[groups["ses_consoles"][0]] = hostvars.pop("con1")
    matrix = compute_matrix(groups, hostvars, "cleanup")
    policy = perimeter.build_export(matrix, ZONES, DEVICES, ["nftables"])["devices"]["edge"]["policy"]
    comments = [flt["header"]["comment"] for flt in policy["filters"]]
    comments += [term["comment"] for flt in policy["filters"] for term in flt["terms"]]
    assert comments and all(len(comment) <= 128 for comment in comments)


def test_a_flow_end_spanning_two_zones_is_cut_at_the_zone_border():
    zones = {"users": ["10.20.0.0/24"], "servers": ["10.10.0.0/24"], "lab": ["10.20.1.0/25"]}
    terms = export_for("migrate", zones=zones)["devices"]["edge"]["terms"]
    # The agents' 10.20.1.0/24 has no part in users (10.20.0.0/24): only the console crosses.
    assert {t["port"] for t in terms} == {443, 8443} and all(t["source"] == [CON1] for t in terms)
    terms = export_for("migrate", zones=zones, devices={"edge": ["lab", "servers"]})["devices"]["edge"]["terms"]
    assert {tuple(t["source"]) for t in terms} == {("10.20.1.0/25",)}


def test_agent_networks_share_one_name_unless_they_differ():
    networks = export_for("migrate")["networks"]["networks"]
    assert networks["SES_AGENTS_USERS"] == {"values": [{"address": AGENTS}]}
    assert not [name for name in networks if name.startswith("SES_AGENTS_OF_")]
    hostvars = dict(HOSTVARS, ah2=dict(HOSTVARS["ah2"], ses_agent_networks=["10.20.2.0/24"]))
    matrix = compute_matrix(GROUPS, hostvars, "migrate")
    export = perimeter.build_export(matrix, ZONES, DEVICES, ["nftables"])
    defined = export["networks"]["networks"]
    sources = {(defined[term["destination-address"]]["values"][0]["address"], term["source-address"]) for term in
               export["devices"]["edge"]["policy"]["filters"][0]["terms"] if term["source-address"].startswith("SES_AG")}
    assert len({name for _dst, name in sources}) == 2
    assert export["networks"]["networks"][dict(sources)[AH2]]["values"] == [{"address": "10.20.2.0/24"}]


def test_no_target_means_every_supported_one_in_the_headers():
    policy = export_for("migrate", targets=[])["devices"]["edge"]["policy"]
    in_headers = {target for flt in policy["filters"] for target in flt["header"]["targets"]}
    assert in_headers == set(perimeter.TARGETS)


@pytest.mark.parametrize("zones, devices, targets, message", [
    ({"users": ["10.20.0.0/16"], "servers": ["10.20.5.0/24"]}, DEVICES, [], "zones servers and users overlap"),
    ({"users": ["10.20.0.0/16"], "servers": ["any"]}, DEVICES, [], "ses_perimeter_zones.servers holds 'any'"),
    ({"users": ["10.20.0.1/16"], "servers": ["10.10.0.0/24"]}, DEVICES, [], "did you mean 10.20.0.0/16"),
    ({"Users": ["10.20.0.0/16"]}, DEVICES, [], "ses_perimeter_zones: the zone name 'Users' is not allowed"),
    (ZONES, {"edge": ["users", "office"]}, [], "ses_perimeter_devices.edge names 'office', not declared"),
    (ZONES, {"edge": ["users"]}, [], "ses_perimeter_devices.edge must list at least two different zones"),
    (ZONES, {"edge fw": ["users", "servers"]}, [], "the device name 'edge fw' is not allowed"),
    (ZONES, {"edge": ["users", ["servers"]]}, [], "ses_perimeter_devices.edge must list at least two different zones"),
    (ZONES, DEVICES, ["paloaltofw"], "unknown target 'paloaltofw' (aerleon calls it paloalto)"),
    (ZONES, DEVICES, ["cisco;reload"], "unknown target 'cisco;reload'"),
    ("users=10.0.0.0/8", DEVICES, [], "ses_perimeter_zones must be a mapping"),
])
def test_bad_input_is_refused_naming_the_variable(zones, devices, targets, message):
    matrix = compute_matrix(GROUPS, HOSTVARS, "migrate")
    with pytest.raises(SesInputError) as caught:
        perimeter.build_export(matrix, zones, devices, targets)
    assert message in str(caught.value)


def test_targets_from_the_command_line_are_comma_separated():
    assert perimeter.parse_targets("ciscoasa, nftables") == ["ciscoasa", "nftables"]


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=0, max_size=30))
def test_hostile_zone_names_are_refused_or_plain(name):
    """A zone name reaches device configs (zone, ACL and interface names): only plain names get through."""
    zones = {name: ["10.20.0.0/16"], "servers": ["10.10.0.0/24"]}
    try:
        parsed = perimeter.parse_zones(zones)
    except SesInputError as exc:
        assert "ses_perimeter_zones" in str(exc)
        return
    assert all(re.fullmatch(r"[a-z][a-z0-9_]{0,19}", zone) for zone in parsed)


def test_aerleon_refusing_the_policy_fails_naming_device_and_target():
    export = export_for("migrate", targets=["srx"], zones={"all": ["10.20.0.0/16"], "servers": ["10.10.0.0/24"]},
                        devices={"edge": ["all", "servers"]})
    with pytest.raises(SesInputError) as caught:
        perimeter.render(export, "edge", ["srx"])
    assert str(caught.value).startswith("edge: aerleon refused the policy for target srx")


def test_without_aerleon_render_says_so(monkeypatch):
    """aerleon is optional: without it, render raises ImportError (the action then warns and writes the policies)."""
    monkeypatch.setitem(sys.modules, "aerleon", None)
    with pytest.raises(ImportError):
        perimeter.render(export_for("migrate"), "edge", ["nftables"])


def test_the_network_teams_aclgen_renders_the_written_files_the_same(tmp_path):
    """docs/perimeter.md's command on the files as written gives what the playbook rendered."""
    export = export_for("cleanup", targets=["ciscoasa", "nftables"])
    (tmp_path / "policies" / "pol").mkdir(parents=True)
    (tmp_path / "def").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "policies" / "pol" / "edge.yaml").write_text(perimeter.dump_yaml(export["devices"]["edge"]["policy"]))
    (tmp_path / "def" / "ses_networks.yaml").write_text(perimeter.dump_yaml(export["networks"]))
    (tmp_path / "def" / "ses_services.yaml").write_text(perimeter.dump_yaml(export["services"]))
    subprocess.run([sys.executable, "-m", "aerleon", "--base_directory=policies", "--definitions_directory=def",
                    "--output_directory=out"], cwd=str(tmp_path), check=True, capture_output=True)
    rendered = perimeter.render(export, "edge", ["ciscoasa", "nftables"])
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["edge.asa", "edge.nft"]
    for name, text in rendered.items():
        assert (tmp_path / "out" / name).read_text() == text
