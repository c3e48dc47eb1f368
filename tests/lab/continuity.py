# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Continuity on the lab: probe every flow allowed before and after a change while the change runs.

Shared by bench/bench_continuity.py (the figures of docs/performance.md) and
tests/system/test_continuity_lab.py (the short version). The steps:

1. ``ContinuityLab.up``: the lab of an inventory (tests/lab/lab.py), whose listeners
   are replaced by ``prober.py serve`` (a long-lived connection needs a peer that
   keeps talking; listener.py closes after its banner).
2. ``load_2_6_rule_set``: each host gets the rule set it carried before 2.7.1, the
   rows of the vendor's table that exist in 2.6 (lifecycles ``permanent``,
   ``legacy``, ``legacy_agent``), rendered by the collection's own renderer and loaded
   with ``nft -f`` / ``iptables-restore`` directly, not through the role.
3. ``measure``: one ``prober.py probe`` per source host, on every flow between lab
   hosts that both rule sets allow; the change runs while they probe; the result
   counts attempts made and failed, per flow, and the long-lived connections.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import lab as lab_tool  # noqa: E402  pylint: disable=wrong-import-position

lab_tool.expose_checkout()
# pylint: disable=wrong-import-position
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.matrix import compute_matrix  # noqa: E402
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.render_iptables import render_iptables  # noqa: E402
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.render_nftables import render_nftables  # noqa: E402

__metaclass__ = type

PROBER = os.path.join(HERE, "prober.py")
LIFECYCLES_2_6 = ("permanent", "legacy", "legacy_agent")  # the rows of the vendor's table that exist in 2.6


def matrix(inventory, phase):
    """The collection's matrix of ``inventory`` for ``phase`` (computed as the playbooks do)."""
    groups, hostvars = lab_tool.read_inventory(inventory)
    fleet = next(iter(hostvars.values()), {})
    return compute_matrix(groups, hostvars, phase, fleet.get("ses_target_version", "2.7.1"), fleet.get("ses_groups"))


def rules_2_6(host_rules):
    """A host's rules as they were before 2.7.1: without the rows 2.7.1 introduced."""
    return [rule for rule in host_rules if rule["lifecycle"] in LIFECYCLES_2_6]


def flows(host_rules, addresses, wanted=None):
    """{(source, destination, protocol, port)} between lab hosts that the inbound rules allow.

    ``host_rules`` maps a host to its rules, ``addresses`` a lab host to its address;
    ``wanted`` filters rules (for example rules_2_6). A peer that is not a lab host
    (an update server, a SIEM) has no namespace and is not probed.
    """
    by_peer = {"%s/32" % address: host for host, address in addresses.items()}
    by_peer.update({"%s/128" % address: host for host, address in addresses.items()})
    found = set()
    for destination, rules in host_rules.items():
        for rule in (wanted or list)(rules):
            if rule["direction"] != "in":
                continue
            for peer in rule["peers"]:
                if peer in by_peer:
                    found.add((by_peer[peer], destination, rule["protocol"], rule["port"]))
    return found


def _wait(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out waiting for %s" % what)
        time.sleep(0.05)


class ContinuityLab:
    """A lab whose servers answer with prober.py serve, and whose hosts can be probed continuously."""

    def __init__(self, inventory, prefix, scratch):
        self.inventory = inventory
        self.prefix = prefix
        self.scratch = scratch
        self.env = dict(os.environ, SES_LAB_STATE_ROOT=os.path.join(scratch, "state"))
        self.state = os.path.join(scratch, "state", prefix)
        self.overlay = os.path.join(self.state, "inventory.yml")
        self.hosts = {}
        self.servers = []

    def up(self):
        subprocess.run([sys.executable, os.path.join(HERE, "lab.py"), "up", self.inventory, self.prefix],
                       env=self.env, check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(self.state, "lab.json"), encoding="utf-8") as handle:
            self.hosts = json.load(handle)["hosts"]
        for name, host in sorted(self.hosts.items()):
            pid = host.get("listener_pid")
            if not pid:
                continue
            os.kill(pid, signal.SIGTERM)  # the lab's listener holds the ports; our server takes them over
            _wait(lambda pid=pid: not lab_tool._alive(pid), 5, "the listener of %s to stop" % name)  # pylint: disable=protected-access
            log = open(os.path.join(self.state, "log", name + "-prober.log"), "a", encoding="utf-8")  # pylint: disable=consider-using-with
            self.servers.append(subprocess.Popen(  # pylint: disable=consider-using-with
                ["ip", "netns", "exec", host["namespace"], sys.executable, PROBER, "serve", "--name", name,
                 "--tcp", ",".join(str(p) for p in host["tcp"]), "--udp", ",".join(str(p) for p in host["udp"])],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True))
            log.close()
        time.sleep(0.3)
        for server in self.servers:
            if server.poll() is not None:
                raise RuntimeError("a prober server died; see %s/log" % self.state)
        return self

    def down(self):
        for server in self.servers:
            if server.poll() is None:
                server.terminate()
        for server in self.servers:
            try:
                server.wait(timeout=5)
            except subprocess.TimeoutExpired:
                server.kill()
        subprocess.run([sys.executable, os.path.join(HERE, "lab.py"), "down", self.prefix], env=self.env,
                       check=False, stdout=subprocess.DEVNULL)

    def addresses(self):
        return {name: host["address"] for name, host in self.hosts.items()}

    def netns(self, host, *command, data=None):
        """A command in the host's namespace (argument list, never a shell)."""
        return subprocess.run(["ip", "netns", "exec", self.hosts[host]["namespace"]] + list(command), input=data,
                              text=True, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def load_2_6_rule_set(self, host_rules, backend):
        """Every host's 2.6 rule set (outbound filtered too), loaded as an existing rule set."""
        for host, rules in host_rules.items():
            if host not in self.hosts:
                continue
            old = rules_2_6(rules)
            if backend == "nftables":
                self.netns(host, "nft", "-f", "-", data=render_nftables(old, filter_outbound=True))
            else:
                self.netns(host, "iptables-restore", "--noflush",
                           data=render_iptables(old, "ipv4", filter_outbound=True))
                self.netns(host, "ip6tables-restore", "--noflush",
                           data=render_iptables(old, "ipv6", filter_outbound=True))

    def measure(self, probed, change, rate=10.0, warmup=1.0, settle=1.5, timeout=2.0):
        """Probe the flows ``probed`` ({(source, destination, protocol, port)}) while ``change()`` runs.

        Returns (what change() returned, {"flows": [...], "attempts", "failed", "long_lived",
        "long_lived_survived", "seconds"}).
        """
        work = tempfile.mkdtemp(prefix="probe-", dir=self.scratch)
        by_source = {}
        for source, destination, protocol, port in sorted(probed):
            by_source.setdefault(source, []).append({
                "id": "%s->%s:%s/%d" % (source, destination, protocol, port),
                "address": self.hosts[destination]["address"], "protocol": protocol, "port": port})
        probers = {}
        for source, flow_list in by_source.items():
            flows_file = os.path.join(work, source + ".flows.json")
            with open(flows_file, "w", encoding="utf-8") as handle:
                json.dump(flow_list, handle)
            probers[source] = subprocess.Popen(  # pylint: disable=consider-using-with
                ["ip", "netns", "exec", self.hosts[source]["namespace"], sys.executable, PROBER, "probe",
                 "--flows", flows_file, "--out", os.path.join(work, source + ".json"), "--rate", str(rate),
                 "--timeout", str(timeout), "--ready", os.path.join(work, source + ".ready")],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(  # pylint: disable=consider-using-with
                    os.path.join(work, source + ".err"), "w", encoding="utf-8"))
        try:
            _wait(lambda: all(os.path.exists(os.path.join(work, s + ".ready")) or p.poll() is not None
                              for s, p in probers.items()), 30, "the probers to start")
            time.sleep(warmup)
            started = time.monotonic()
            outcome = change()
            time.sleep(settle)
            seconds = time.monotonic() - started
        finally:
            for process in probers.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in probers.values():
                process.wait(timeout=30)
        results = []
        for source in sorted(probers):
            path = os.path.join(work, source + ".json")
            if not os.path.exists(path):
                with open(os.path.join(work, source + ".err"), encoding="utf-8") as handle:
                    raise RuntimeError("the prober of %s wrote no result:\n%s" % (source, handle.read()))
            with open(path, encoding="utf-8") as handle:
                results.extend(json.load(handle)["flows"])
        long_lived = [flow["long_lived"] for flow in results if "long_lived" in flow]
        return outcome, {
            "flows": results, "seconds": round(seconds, 1),
            "attempts": sum(flow["attempts"] for flow in results) + sum(conn["attempts"] for conn in long_lived),
            "failed": sum(flow["failed"] for flow in results) + sum(conn["failed"] for conn in long_lived),
            "new_attempts": sum(flow["attempts"] for flow in results),
            "new_failed": sum(flow["failed"] for flow in results),
            "exchanges": sum(conn["attempts"] for conn in long_lived),
            "exchanges_failed": sum(conn["failed"] for conn in long_lived),
            "long_lived": len(long_lived), "long_lived_survived": sum(1 for conn in long_lived if conn["survived"])}


def failures(summary):
    """The failed attempts and broken connections of a measurement, one line each (empty: none)."""
    lines = []
    for flow in summary["flows"]:
        for failure in flow["failures"]:
            lines.append("%s: attempt at %.3f s failed: %s" % (flow["id"], failure["at"], failure["reason"]))
        conn = flow.get("long_lived")
        if conn is not None:
            for failure in conn["failures"]:
                lines.append("%s: long-lived exchange at %.3f s failed: %s"
                             % (flow["id"], failure["at"], failure["reason"]))
            if not conn["survived"]:
                lines.append("%s: the long-lived connection did not survive: %s" % (flow["id"], conn["broken"]))
    return lines


def playbook(name, inventories, *extra, timeout=600):
    """ansible-playbook ses_evolution.firewall.NAME; returns (exit code, output)."""
    argv = ["ansible-playbook", "ses_evolution.firewall.%s" % name]
    for inventory in inventories:
        argv += ["-i", str(inventory)]
    argv += [str(item) for item in extra]
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0")
    done = subprocess.run(argv, text=True, check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          env=env, timeout=timeout, cwd=ROOT)
    return done.returncode, done.stdout
