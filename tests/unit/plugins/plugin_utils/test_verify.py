# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The verify plan and report.

Expected probes are written by hand from the vendor's 2.7.1 table ("Configuring the
firewall"): a console reaches a co-located backend on TCP 443 (2.6, legacy) and TCP
8443 (2.7.1, new); agents reach agent handlers on TCP 443 (2.7.1) and TCP 17000
(older agents); a backend reaches SQL Server on TCP 1433, TCP 1434, UDP 1434; an
agent handler sends syslog on TCP 1468, UDP 514, TCP 5614.
"""

from __future__ import annotations

import pytest

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.matrix import compute_matrix
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.verify import (
    VerifyPlanError, build_plan, build_report)

__metaclass__ = type

GROUPS = {
    "ses_backends": ["bo1"], "ses_agent_handlers": ["bo1"], "ses_consoles": ["con1"],
    "ses_sql_servers": ["sql1"], "ses_syslog_servers": ["log1"], "ses_agents": ["agent1"],
}
HOSTVARS = {
    "bo1": {"ses_address": "10.9.0.11", "ses_version": "2.7.1", "ses_public_api_clients": [],
            "ses_update_server": []},
    "con1": {"ses_address": "10.9.0.21", "ses_version": "2.7.1"},
    "sql1": {"ses_address": "10.9.0.31"},
    "log1": {"ses_address": "10.9.0.41"},
    "agent1": {"ses_address": "10.9.0.101", "ses_version": "2.7.1"},
}
LINUX = {name: {"managed": True, "platform": "linux"} for name in HOSTVARS}

# (source, destination, protocol, port) of every flow between two inventory hosts, by hand.
FLOWS_MIGRATE = {
    ("con1", "bo1", "tcp", 443), ("con1", "bo1", "tcp", 8443),
    ("agent1", "bo1", "tcp", 443), ("agent1", "bo1", "tcp", 17000),
    ("bo1", "sql1", "tcp", 1433), ("bo1", "sql1", "tcp", 1434), ("bo1", "sql1", "udp", 1434),
    ("bo1", "log1", "tcp", 1468), ("bo1", "log1", "udp", 514), ("bo1", "log1", "tcp", 5614),
}


def _plan(phase="migrate", hosts=None, **kwargs):
    matrix = compute_matrix(GROUPS, HOSTVARS, phase)
    return build_plan(matrix, LINUX if hosts is None else hosts, session="t", **kwargs)


def _keys(plan, check, expected):
    return {(p["source"], p["destination"], p["protocol"], p["port"])
            for p in plan["probes"] if p["check"] == check and p["expected"] == expected}


def test_migrate_every_flow_between_hosts_must_connect():
    plan = _plan()
    assert _keys(plan, "flow", "open") == FLOWS_MIGRATE
    assert _keys(plan, "retired", "blocked") == set()


def test_cleanup_blocks_the_console_on_443_and_keeps_8443():
    plan = _plan("cleanup")
    assert _keys(plan, "flow", "open") == FLOWS_MIGRATE - {("con1", "bo1", "tcp", 443)}
    # Agents keep TCP 443 on bo1, but the console's address is not among their peers.
    assert _keys(plan, "retired", "blocked") == {("con1", "bo1", "tcp", 443)}


def test_ports_outside_the_matrix_are_tried_from_the_console():
    plan = _plan()
    outside = _keys(plan, "outside_matrix", "blocked")
    assert ("con1", "bo1", "tcp", 17001) in outside
    assert ("con1", "sql1", "tcp", 3389) in outside
    # The console itself is tried from another host.
    assert {key for key in outside if key[1] == "con1"} == {
        ("agent1", "con1", "tcp", 17001), ("agent1", "con1", "tcp", 8080), ("agent1", "con1", "tcp", 3389)}
    assert len(outside) == 3 * 5


def test_an_allowed_port_is_never_expected_blocked():
    plan = _plan(blocked_ports=["tcp/8443", "tcp/1433"], blocked_from="con1")
    outside = _keys(plan, "outside_matrix", "blocked")
    assert ("con1", "bo1", "tcp", 8443) not in outside  # the console may reach bo1 on 8443
    assert ("con1", "sql1", "tcp", 1433) in outside  # only the backend may reach SQL Server


def test_unmanaged_and_windows_hosts():
    hosts = dict(LINUX, sql1={"managed": False, "platform": "linux"}, con1={"managed": True, "platform": "windows"})
    plan = _plan(hosts=hosts)
    assert not [p for p in plan["probes"] if p["destination"] == "sql1" and p["expected"] == "blocked"]
    from_console = [p for p in plan["probes"] if p["source"] == "con1"]
    assert from_console and not any(p["runnable"] for p in from_console)
    assert "con1" not in plan["probes_by_source"]
    assert "con1" not in plan["listeners"]


def test_plan_shapes_for_the_module():
    plan = _plan()
    udp = plan["expect"]["log1"]
    assert [item["port"] for item in udp] == [514]
    assert udp[0]["token"].startswith("ses-verify-t-p")
    assert {"protocol": "tcp", "port": 8443} in plan["listeners"]["bo1"]
    assert set(plan["probes_by_source"]["con1"][0]) == {"id", "address", "protocol", "port", "token"}


@pytest.mark.parametrize("bad", ["8080", "tcp/0", "icmp/1", "tcp/x"])
def test_bad_blocked_port_names_the_variable(bad):
    with pytest.raises(VerifyPlanError, match="ses_verify_blocked_ports"):
        _plan(blocked_ports=[bad])


def _probe(plan, source, destination, protocol, port):
    return next(p for p in plan["probes"] if (p["source"], p["destination"], p["protocol"], p["port"])
                == (source, destination, protocol, port))


def test_report_verdicts():
    plan = _plan("cleanup")
    tcp_ok = _probe(plan, "con1", "bo1", "tcp", 8443)
    legacy = _probe(plan, "con1", "bo1", "tcp", 443)
    outside = _probe(plan, "con1", "bo1", "tcp", 17001)
    udp_ok = _probe(plan, "bo1", "sql1", "udp", 1434)
    udp_lost = _probe(plan, "bo1", "log1", "udp", 514)
    outcomes = {
        "con1": {tcp_ok["id"]: {"status": "open"}, legacy["id"]: {"status": "open"},
                 outside["id"]: {"status": "timeout"}},
        "bo1": {udp_ok["id"]: {"status": "sent"}, udp_lost["id"]: {"status": "sent"}},
    }
    receipts = {"sql1": {"received": [udp_ok["id"]], "unconfirmable": []},
                "log1": {"received": [], "unconfirmable": []}}
    rows = {row["id"]: row for row in build_report(plan, outcomes, receipts)["rows"]}
    assert (rows[tcp_ok["id"]]["result"], rows[tcp_ok["id"]]["verdict"]) == ("open", "PASS")
    assert (rows[legacy["id"]]["result"], rows[legacy["id"]]["verdict"]) == ("open", "FAIL")
    assert (rows[outside["id"]]["result"], rows[outside["id"]]["verdict"]) == ("blocked", "PASS")
    assert (rows[udp_ok["id"]]["result"], rows[udp_ok["id"]]["verdict"]) == ("open", "PASS")
    assert (rows[udp_lost["id"]]["result"], rows[udp_lost["id"]]["verdict"]) == ("blocked", "FAIL")
    # A source that reported nothing fails its probes.
    missing = _probe(plan, "agent1", "bo1", "tcp", 443)
    assert (rows[missing["id"]]["result"], rows[missing["id"]]["verdict"]) == ("error", "FAIL")


def test_report_unconfirmed_udp_fails_and_says_how_to_fix():
    plan = _plan()
    probe = _probe(plan, "bo1", "log1", "udp", 514)
    report = build_report(plan, {"bo1": {probe["id"]: {"status": "sent"}}},
                          {"log1": {"received": [], "unconfirmable": [probe["id"]]}})
    row = next(r for r in report["rows"] if r["id"] == probe["id"])
    assert (row["result"], row["verdict"]) == ("unconfirmed", "FAIL")
    assert "ses_verify_udp_receipts" in row["detail"]


def test_report_counts_and_table():
    hosts = dict(LINUX, agent1={"managed": True, "platform": "windows"})
    plan = _plan(hosts=hosts)
    outcomes = {}
    for probe in plan["probes"]:
        status = "open" if probe["expected"] == "open" else "timeout"
        if probe["protocol"] == "udp":
            status = "sent"
        outcomes.setdefault(probe["source"], {})[probe["id"]] = {"status": status}
    receipts = {host: {"received": [p["id"] for p in items], "unconfirmable": []}
                for host, items in plan["expect"].items()}
    report = build_report(plan, outcomes, receipts)
    skipped = [p for p in plan["probes"] if p["source"] == "agent1"]
    assert report["skipped"] == len(skipped) > 0
    assert report["failed"] == 0
    assert report["passed"] == report["total"] - report["skipped"]
    assert report["table"][0].split()[:3] == ["source", "destination", "proto/port"]
    assert len(report["table"]) == 2 + report["total"]


def test_udp_to_a_windows_destination_is_unconfirmed():
    hosts = dict(LINUX, log1={"managed": True, "platform": "windows"})
    plan = _plan(hosts=hosts)
    probe = _probe(plan, "bo1", "log1", "udp", 514)
    assert probe["runnable"] and not probe["observed"]
    assert "log1" not in plan["listeners"] and "log1" not in plan["expect"]
    report = build_report(plan, {"bo1": {probe["id"]: {"status": "sent"}}}, {})
    row = next(r for r in report["rows"] if r["id"] == probe["id"])
    assert (row["result"], row["verdict"]) == ("unconfirmed", "FAIL")
    warned = build_report(plan, {"bo1": {probe["id"]: {"status": "sent"}}}, {}, unconfirmed="warn")
    row = next(r for r in warned["rows"] if r["id"] == probe["id"])
    assert row["verdict"] == "WARN" and warned["warned"] == 1
    with pytest.raises(VerifyPlanError, match="ses_verify_unconfirmed"):
        build_report(plan, {}, {}, unconfirmed="maybe")


def test_results_are_gathered_from_the_plans_hosts_only():
    from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.verify import collect_results
    plan = {"probes": [{"source": "con1", "destination": "bo1"}, {"source": "bo1", "destination": "log1"}]}
    registered = {
        "con1": {"ses_verify_probed": {"outcomes": {"p001": {"result": "open"}}}},
        "bo1": {"ses_verify_probed": {"skipped": True}, "ses_verify_collected": {"received": ["t1"]}},
        "log1": {"ses_verify_collected": {"received": [], "unconfirmable": []}},
        "agent7": {"ses_verify_probed": {"outcomes": {"p999": {}}}}}
    results = collect_results(plan, registered)
    assert results == {"outcomes": {"con1": {"p001": {"result": "open"}}},
                       "receipts": {"bo1": {"received": ["t1"]}, "log1": {"received": [], "unconfirmable": []}}}


def test_flows_between_two_unmanaged_hosts_are_not_probed():
    from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.verify import build_plan
    matrix = {"phase": "migrate", "retired_flows": [], "flows": [
        {"source": "con1", "destination": "bo1", "protocol": "tcp", "port": 8443, "flow": "console_to_backend",
         "lifecycle": "new"},
        {"source": "con1", "destination": "ah2", "protocol": "tcp", "port": 443, "flow": "console_to_handler",
         "lifecycle": "new"},
        {"source": "ah2", "destination": "bo1", "protocol": "tcp", "port": 8443, "flow": "handler_to_backend",
         "lifecycle": "new"}],
        "hosts": {"bo1": {"address": "10.0.0.11", "components": ["backend"]},
                  "ah2": {"address": "10.0.0.12", "components": ["agent_handler"]},
                  "con1": {"address": "10.0.0.21", "components": ["console"]}}}
    hosts = {"bo1": {"managed": False, "platform": "linux"}, "ah2": {"managed": True, "platform": "linux"},
             "con1": {"managed": False, "platform": "linux"}}
    probes = build_plan(matrix, hosts, blocked_ports=[])["probes"]
    # con1 -> bo1: both unmanaged, left out; con1 -> ah2 and ah2 -> bo1: one end managed, probed.
    assert sorted((p["source"], p["destination"]) for p in probes) == [("ah2", "bo1"), ("con1", "ah2")]
