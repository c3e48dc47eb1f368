# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The catalog against the vendor's page: every row's 2.6 and 2.7.1 ports, written from the page."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import render_windows, ses_catalog
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.catalog import (
    INSTALLER_RULE_NAMES, INSTALLER_RULES, PHASE_LIFECYCLES, VENDOR, Catalog, check_catalog, lifecycle_of,
    resolve_rows)
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.versions import parse_version

__metaclass__ = type

# The table of "Configuring the firewall" (2.7.1), copied by hand from the page. Columns:
# (source, destination): {"2.6": ports, "co_located": 2.7.1 same machine, "separate": 2.7.1 different machines}.
# Backend incoming 443|8443|443 is the same flow as "Administration console outgoing" and
# "Agent handler outgoing ... Communication with the backend", seen from the other end.
PAGE = {
    ("console", "backend"): {"2.6": {"tcp/443"}, "co_located": {"tcp/8443"}, "separate": {"tcp/443"}},
    ("agent_handler", "backend"): {"2.6": {"tcp/443"}, "co_located": {"tcp/8443"}, "separate": {"tcp/443"}},
    ("public_api_clients", "backend"): {"2.6": {"tcp/10443"}, "co_located": {"tcp/10443"},
                                        "separate": {"tcp/10443"}},
    ("backend", "update_server"): {"2.6": {"tcp/443"}, "co_located": {"tcp/443"}, "separate": {"tcp/443"}},
    ("backend", "sql_server"): {"2.6": {"tcp/1433", "tcp/1434", "udp/1434"},
                                "co_located": {"tcp/1433", "tcp/1434", "udp/1434"},
                                "separate": {"tcp/1433", "tcp/1434", "udp/1434"}},
    ("agent_handler", "syslog_server"): {"2.6": {"tcp/1468", "udp/514", "tcp/5614"},
                                         "co_located": {"tcp/1468", "udp/514", "tcp/5614"},
                                         "separate": {"tcp/1468", "udp/514", "tcp/5614"}},
    # Agent handler incoming TCP 17000 (agents < 2.7.1) in every column, TCP 443 (agents >= 2.7.1) N/A in 2.6.
    ("agent", "agent_handler"): {"2.6": {"tcp/17000"}, "co_located": {"tcp/17000", "tcp/443"},
                                 "separate": {"tcp/17000", "tcp/443"}},
}

# Lifecycles the contract (docs/matrix.md) gives each port of each row, from the columns above.
LIFECYCLES = {
    ("console", "backend", "co_located", "tcp/443"): "legacy",
    ("console", "backend", "co_located", "tcp/8443"): "new",
    ("console", "backend", "separate", "tcp/443"): "permanent",
    ("agent_handler", "backend", "co_located", "tcp/443"): "legacy",
    ("agent_handler", "backend", "co_located", "tcp/8443"): "new",
    ("agent_handler", "backend", "separate", "tcp/443"): "permanent",
    ("agent", "agent_handler", "any", "tcp/17000"): "legacy_agent",
    ("agent", "agent_handler", "any", "tcp/443"): "new",
}


def _in(row, version_text):
    version = parse_version(version_text)
    introduced, removed = row.get("introduced"), row.get("removed")
    return ((introduced is None or version >= parse_version(introduced))
            and (removed is None or version < parse_version(removed)))


def _ports(source, destination, version_text, topology):
    ports = set()
    for row in ses_catalog.FLOWS:
        if (row["source"], row["destination"]) != (source, destination) or not _in(row, version_text):
            continue
        if row.get("topology", "any") in ("any", topology):
            ports.update("%s/%d" % (row["protocol"], port) for port in row["ports"])
    return ports


def test_the_real_table_has_no_problem():
    assert check_catalog() == []


def test_the_catalog_has_exactly_the_pages_flows():
    assert {(row["source"], row["destination"]) for row in ses_catalog.FLOWS} == set(PAGE)


@pytest.mark.parametrize("pair", sorted(PAGE))
def test_ports_in_2_6(pair):
    # In 2.6 co-location made no difference: both topologies give the page's "Port 2.6".
    assert _ports(pair[0], pair[1], "2.6", "co_located") == PAGE[pair]["2.6"]
    assert _ports(pair[0], pair[1], "2.6", "separate") == PAGE[pair]["2.6"]


@pytest.mark.parametrize("pair", sorted(PAGE))
def test_ports_in_2_7_1_backend_and_agent_handler_on_one_machine(pair):
    assert _ports(pair[0], pair[1], "2.7.1", "co_located") == PAGE[pair]["co_located"]


@pytest.mark.parametrize("pair", sorted(PAGE))
def test_ports_in_2_7_1_backend_and_agent_handler_on_different_machines(pair):
    assert _ports(pair[0], pair[1], "2.7.1", "separate") == PAGE[pair]["separate"]


def test_lifecycles_follow_the_columns():
    found = {}
    for row in resolve_rows(parse_version("2.7.1")):
        for port in row.ports:
            key = (row.source, row.destination, row.topology, "%s/%d" % (row.protocol, port))
            assert key not in found, "two rows give %r" % (key,)
            found[key] = row.lifecycle
    for key, lifecycle in LIFECYCLES.items():
        assert found.pop(key) == lifecycle, key
    # Everything else is in every column of the page: permanent.
    assert set(found.values()) == {"permanent"}, found


def test_only_backend_flows_depend_on_co_location():
    for row in ses_catalog.FLOWS:
        if row.get("topology", "any") != "any":
            assert row["destination"] == "backend" and row["source"] in ("console", "agent_handler"), row


def test_phases_keep_the_contracts_lifecycles():
    assert PHASE_LIFECYCLES["migrate"] == {"permanent", "legacy", "new", "legacy_agent"}
    assert PHASE_LIFECYCLES["cleanup"] == {"permanent", "new", "legacy_agent"}


def test_a_row_outside_baseline_and_target_is_dropped():
    row = {"id": "x", "source": "console", "destination": "backend", "protocol": "tcp", "ports": [1],
           "introduced": "2.7.1", "removed": "2.7.1", "purpose": "x"}
    assert lifecycle_of(row, parse_version("2.7.1")) is None


def test_defaults_and_releases():
    assert VENDOR.baseline_for(parse_version("2.7.1")) == "2.6"
    assert VENDOR.default_target == "2.7.1"
    assert VENDOR.agent_https_version == "2.7.1"
    assert VENDOR.releases == ses_catalog.RELEASES == ("2.6", "2.7.1")


@pytest.mark.parametrize("change, complaint", [
    ({"protocol": "icmp"}, "protocol must be tcp or udp"),
    ({"ports": [0]}, "ports must be integers from 1 to 65535"),
    ({"ports": [70000]}, "ports must be integers from 1 to 65535"),
    ({"ports": ["443"]}, "ports must be integers from 1 to 65535"),
    ({"ports": []}, "ports must be integers from 1 to 65535"),
    ({"source": "printer"}, "unknown source 'printer'"),
    ({"destination": "dns"}, "unknown destination 'dns'"),
    ({"topology": "nearby"}, "topology must be one of"),
    ({"lifecycle": "forever"}, "lifecycle must be one of"),
    ({"introduced": "2.8"}, "introduced '2.8' is not one of the releases"),
])
def test_check_catalog_finds_a_broken_row(change, complaint):
    rows = copy.deepcopy(list(ses_catalog.FLOWS))
    rows[0].update(change)
    problems = check_catalog(rows)
    assert problems and any(complaint in problem for problem in problems), problems
    assert all(problem.startswith("row 0 (console_to_backend)") for problem in problems), problems


def test_check_catalog_refuses_a_topology_without_backend():
    rows = copy.deepcopy(list(ses_catalog.FLOWS))
    syslog = [row for row in rows if row["destination"] == "syslog_server"][0]
    syslog["topology"] = "separate"
    assert any("topology applies only to flows with a backend end" in p for p in check_catalog(rows))


# "Case of Windows Defender Firewall" (2.7.1), copied by hand from the page: the installer's inbound
# rules, as printed (no space in "EvolutionBackend"), and the flows of the table each one serves.
PAGE_INSTALLER_RULES = {
    "Stormshield Endpoint Security Evolution Agent Handler (TCP-In)": ["agent_to_agent_handler"],  # 17000
    "Stormshield Endpoint Security EvolutionAgent Handler (TCP-In)": ["agent_to_agent_handler"],  # 443
    "Stormshield Endpoint Security EvolutionBackend (TCP-In)": ["console_to_backend",  # 443, or 8443
                                                                "agent_handler_to_backend"],
    "Stormshield Endpoint Security EvolutionPublic API (TCP-In)": ["public_api_to_backend"],  # 10443
}


def test_installer_rules_are_the_pages():
    assert {rule["name"]: rule["flows"] for rule in VENDOR.installer_rules} == PAGE_INSTALLER_RULES
    assert INSTALLER_RULES == VENDOR.installer_rules == ses_catalog.INSTALLER_RULES
    assert INSTALLER_RULE_NAMES == tuple(PAGE_INSTALLER_RULES)
    # the old import path of the Windows code still works
    assert render_windows.INSTALLER_RULES is INSTALLER_RULES
    assert render_windows.INSTALLER_RULE_NAMES == INSTALLER_RULE_NAMES


@pytest.mark.parametrize("rule, complaint", [
    ({"name": "", "flows": ["console_to_backend"]}, "installer rule ''"),
    ({"name": "X (TCP-In)", "flows": []}, "installer rule 'X (TCP-In)'"),
    ({"name": "X (TCP-In)", "flows": ["console_to_printer"]}, "unknown: console_to_printer"),
])
def test_check_catalog_finds_a_broken_installer_rule(rule, complaint):
    broken = Catalog(VENDOR.releases, VENDOR.flows, VENDOR.agent_https_version,
                     list(VENDOR.installer_rules) + [rule])
    assert VENDOR.problems() == []
    assert any(complaint in problem for problem in broken.problems()), broken.problems()
