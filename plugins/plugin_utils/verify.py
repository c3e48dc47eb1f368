# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Verify: which connections to try between the fleet's hosts, and what their outcome means.

The plan turns the port matrix into probes, each one a real connection from a
source host to a destination address and port, with the outcome the firewall
must produce:
- every flow of the matrix between two inventory hosts must be ``open`` (flows
  from ``agents`` expand to each agent host);
- a few ports outside the matrix must be ``blocked`` on each managed host;
- in the cleanup phase, the retired (legacy) flows must be ``blocked``.
A blocked expectation is only planned where the destination's inbound rules
clearly refuse that source, so the plan never expects the impossible.

The report turns the raw outcomes (connect results, UDP receipts) into one row
per probe with a verdict, and a text table.
"""

from __future__ import annotations

import ipaddress

__metaclass__ = type

DEFAULT_BLOCKED_PORTS = ("tcp/17001", "tcp/8080", "tcp/3389")
AGENTS_END = "agents"
# How a source reports a TCP connect or a UDP send; anything but "open"/"sent" means the firewall stopped it.
OPEN_STATUSES = ("open",)


class VerifyPlanError(ValueError):
    """Bad verify settings; the message names the variable and the fix."""


def _parse_port(text, variable):
    try:
        protocol, port = str(text).split("/", 1)
        port = int(port)
    except ValueError:
        raise VerifyPlanError("%s: %r is not a port; write it like \"tcp/8080\"" % (variable, text)) from None
    protocol = protocol.lower()
    if protocol not in ("tcp", "udp") or not 1 <= port <= 65535:
        raise VerifyPlanError("%s: %r is not a port; use tcp/N or udp/N with N in 1-65535" % (variable, text))
    return protocol, port


def _covers(peers, address):
    if "any" in peers:
        return True
    address = ipaddress.ip_address(address)
    for peer in peers:
        network = ipaddress.ip_network(peer)
        if network.version == address.version and address in network:
            return True
    return False


def allowed_in(matrix, destination, source_address, protocol, port):
    """True when the destination's inbound rules let ``source_address`` reach ``protocol/port``."""
    for rule in matrix["hosts"].get(destination, {}).get("rules", []):
        if (rule["direction"] == "in" and rule["protocol"] == protocol and rule["port"] == port
                and _covers(rule["peers"], source_address)):
            return True
    return False


def _expand_sources(flow, agents):
    return agents if flow["source"] == AGENTS_END else [flow["source"]]


class _Planner:
    def __init__(self, matrix, hosts):
        self.matrix = matrix
        self.hosts = hosts
        self.probes = {}

    def can_probe_from(self, host):
        info = self.hosts.get(host)
        return info is not None and info.get("platform", "linux") == "linux"

    def managed(self, host):
        info = self.hosts.get(host)
        return info is not None and info.get("managed", True)

    def add(self, source, destination, protocol, port, expected, check, flow=None, lifecycle="-"):
        key = (source, destination, protocol, port)
        probe = self.probes.get(key)
        if probe is not None:
            if flow and flow not in probe["flows"]:
                probe["flows"].append(flow)
            if lifecycle not in probe["lifecycles"]:
                probe["lifecycles"].append(lifecycle)
            return
        self.probes[key] = {
            "source": source, "destination": destination,
            "address": self.matrix["hosts"][destination]["address"],
            "protocol": protocol, "port": port, "expected": expected, "check": check,
            "flows": [flow] if flow else [], "lifecycles": [lifecycle],
        }

    def blocked_source(self, destination, preferred):
        """The host that tries the ports outside the matrix: preferred, else a console, else any other."""
        candidates = [h for h in sorted(self.matrix["hosts"]) if h != destination and self.can_probe_from(h)]
        if preferred and preferred in candidates:
            return preferred
        consoles = [h for h in candidates if "console" in self.matrix["hosts"][h]["components"]]
        return (consoles or candidates or [None])[0]


def build_plan(matrix, hosts, blocked_ports=DEFAULT_BLOCKED_PORTS, blocked_from=None, session="verify"):
    """The probes for ``matrix``.

    ``hosts`` maps each inventory host verify may use to ``{"managed": bool, "platform": "linux"|"windows"}``;
    hosts left out are neither probed from nor checked for blocked ports.
    """
    if not isinstance(matrix, dict) or "hosts" not in matrix or "flows" not in matrix:
        raise VerifyPlanError("the input is not a port matrix; pass the ses_port_matrix fact set by "
                              "ses_evolution.firewall.port_matrix")
    ports = [_parse_port(text, "ses_verify_blocked_ports") for text in blocked_ports or []]
    planner = _Planner(matrix, hosts)
    agents = sorted(h for h, entry in matrix["hosts"].items() if entry["components"] == ["agent"])

    # A flow between two unmanaged hosts proves nothing about this collection's rules: not probed.
    managed_agents = [agent for agent in agents if planner.managed(agent)]
    for flow in matrix["flows"]:
        destination = flow["destination"]
        if destination not in matrix["hosts"]:
            continue  # update server, SIEM clients...: not inventory hosts, nothing to connect to
        sources = _expand_sources(flow, agents if planner.managed(destination) else managed_agents)
        if not planner.managed(destination):
            sources = [source for source in sources if planner.managed(source)]
        for source in sources:
            if source in matrix["hosts"] and source != destination:
                planner.add(source, destination, flow["protocol"], flow["port"], "open", "flow",
                            flow["flow"], flow["lifecycle"])

    for flow in matrix.get("retired_flows", []):
        destination = flow["destination"]
        if destination not in matrix["hosts"] or not planner.managed(destination):
            continue
        for source in _expand_sources(flow, agents):
            if source not in matrix["hosts"] or source == destination:
                continue
            source_address = matrix["hosts"][source]["address"]
            if not allowed_in(matrix, destination, source_address, flow["protocol"], flow["port"]):
                planner.add(source, destination, flow["protocol"], flow["port"], "blocked", "retired",
                            flow["flow"], flow["lifecycle"])

    for destination in sorted(matrix["hosts"]):
        if not planner.managed(destination):
            continue
        source = planner.blocked_source(destination, blocked_from)
        if source is None:
            continue
        source_address = matrix["hosts"][source]["address"]
        for protocol, port in ports:
            if not allowed_in(matrix, destination, source_address, protocol, port):
                planner.add(source, destination, protocol, port, "blocked", "outside_matrix")

    probes = sorted(planner.probes.values(),
                    key=lambda p: (p["source"], p["destination"], p["port"], p["protocol"]))
    # What each host does, in the shape ses_probe takes: listen (destinations), probe (sources),
    # expect (destinations of UDP probes).
    listeners, by_source, expect = {}, {}, {}
    for number, probe in enumerate(probes, 1):
        probe["id"] = "p%03d" % number
        probe["token"] = "ses-verify-%s-%s" % (session, probe["id"])
        probe["runnable"] = planner.can_probe_from(probe["source"])
        # Only a Linux destination runs ses_probe (listener, receipts); others are taken as they are.
        probe["observed"] = planner.can_probe_from(probe["destination"])
        if not probe["runnable"]:
            continue
        by_source.setdefault(probe["source"], []).append(
            {key: probe[key] for key in ("id", "address", "protocol", "port", "token")})
        if probe["observed"]:
            wanted = listeners.setdefault(probe["destination"], [])
            entry = {"protocol": probe["protocol"], "port": probe["port"]}
            if entry not in wanted:
                wanted.append(entry)
            if probe["protocol"] == "udp":
                expect.setdefault(probe["destination"], []).append(
                    {key: probe[key] for key in ("id", "port", "token")})
    # The hosts that run ses_probe: the only ones the verify play enters.
    hosts = sorted(set(listeners) | set(by_source) | set(expect))
    return {"session": session, "phase": matrix.get("phase"), "probes": probes, "hosts": hosts,
            "listeners": listeners, "probes_by_source": by_source, "expect": expect}


def _verdict_of(probe, outcome, receipt):
    """(result, detail) for one probe from what the source and the destination reported."""
    if not probe["runnable"]:
        return "skipped", "source %s cannot run probes (not a Linux host of this run)" % probe["source"]
    if outcome is None:
        return "error", "no result from %s (unreachable or failed)" % probe["source"]
    status, detail = outcome.get("status"), outcome.get("detail", "")
    if probe["protocol"] == "tcp":
        return ("open" if status in OPEN_STATUSES else "blocked"), detail or status
    if status != "sent":
        return "blocked", detail or status
    if not probe["observed"]:
        return "unconfirmed", ("%s runs no probe module (not a Linux host of this run): its UDP receipts "
                               "cannot be read" % probe["destination"])
    if receipt is None:
        return "error", "no receipt report from %s" % probe["destination"]
    if probe["id"] in receipt.get("received", []):
        return "open", "datagram received by %s" % probe["destination"]
    if probe["id"] in receipt.get("unconfirmable", []):
        return "unconfirmed", ("a service on %s holds udp/%d and its receipts are unknown; list the file it "
                               "logs to in ses_verify_udp_receipts" % (probe["destination"], probe["port"]))
    return "blocked", "datagram sent, not received by %s" % probe["destination"]


def build_report(plan, outcomes, receipts, unconfirmed="fail"):
    """Rows and counts; ``outcomes`` maps source -> probe id -> {status, detail}; ``receipts`` maps
    destination -> {received: [ids], unconfirmable: [ids]}. ``unconfirmed``: "fail" or "warn" (a UDP
    datagram whose arrival cannot be observed is then a warning, not a failure)."""
    if unconfirmed not in ("fail", "warn"):
        raise VerifyPlanError("ses_verify_unconfirmed is %r; use fail or warn" % (unconfirmed,))
    rows = []
    counts = {"passed": 0, "failed": 0, "skipped": 0, "warned": 0}
    for probe in plan["probes"]:
        outcome = (outcomes.get(probe["source"]) or {}).get(probe["id"])
        result, detail = _verdict_of(probe, outcome, receipts.get(probe["destination"]))
        if result == "skipped":
            verdict = "SKIP"
        elif result == "unconfirmed" and unconfirmed == "warn":
            verdict = "WARN"
        else:
            verdict = "PASS" if result == probe["expected"] else "FAIL"
        counts[{"PASS": "passed", "FAIL": "failed", "SKIP": "skipped", "WARN": "warned"}[verdict]] += 1
        rows.append({
            "id": probe["id"], "source": probe["source"], "destination": probe["destination"],
            "address": probe["address"], "protocol": probe["protocol"], "port": probe["port"],
            "check": probe["check"], "flows": probe["flows"], "lifecycle": "+".join(probe["lifecycles"]),
            "expected": probe["expected"], "result": result, "verdict": verdict, "detail": detail,
        })
    report = dict(counts, phase=plan.get("phase"), total=len(rows), rows=rows)
    report["table"] = render_table(rows)
    return report


def render_table(rows):
    """A fixed-width text table, one line per probe, failures marked."""
    header = ("source", "destination", "proto/port", "check", "lifecycle", "expected", "result", "verdict")
    lines = [[row["source"], "%s (%s)" % (row["destination"], row["address"]),
              "%s/%d" % (row["protocol"], row["port"]), row["check"], row["lifecycle"],
              row["expected"], row["result"], row["verdict"]] for row in rows]
    widths = [max([len(header[i])] + [len(line[i]) for line in lines]) for i in range(len(header))]
    out = ["  ".join(text.ljust(width) for text, width in zip(header, widths)).rstrip(),
           "  ".join("-" * width for width in widths)]
    for row, line in zip(rows, lines):
        text = "  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip()
        if row["verdict"] in ("FAIL", "WARN"):
            text += "   <- " + row["detail"]
        out.append(text)
    return out


def collect_results(plan, registered):
    """(outcomes by source, receipts by destination) of a verify run.

    ``registered`` maps host names to what the verify play registered there:
    ``ses_verify_probed`` (ses_probe mode=probe) and ``ses_verify_collected``
    (ses_probe mode=collect). Only the plan's sources and destinations are read.
    """
    outcomes, receipts = {}, {}
    for name in sorted(set(probe["source"] for probe in plan.get("probes", []))):
        probed = (registered.get(name) or {}).get("ses_verify_probed") or {}
        if isinstance(probed, dict) and "outcomes" in probed:
            outcomes[name] = probed["outcomes"]
    for name in sorted(set(probe["destination"] for probe in plan.get("probes", []))):
        collected = (registered.get(name) or {}).get("ses_verify_collected") or {}
        if isinstance(collected, dict) and "received" in collected:
            receipts[name] = collected
    return {"outcomes": outcomes, "receipts": receipts}
