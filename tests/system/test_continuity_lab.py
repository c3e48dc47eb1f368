# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""No allowed flow drops while the rules are replaced: the first migrate over a 2.6 rule set, on the lab.

The short version of bench/bench_continuity.py (which also measures a migrate rerun and
cleanup; figures in docs/performance.md). Two labs of the bundled example fleet, one per
backend (prefixes cn-XXXX- and ci-XXXX-, unique per process), run side by side: every
host first carries its 2.6 rule set, then the migrate playbook replaces it while
tests/lab/prober.py probes every flow between lab hosts that both rule sets allow, at
10 new connections or UDP tokens per second per flow, plus one long-lived TCP
connection per TCP flow. One failed attempt or one broken connection fails the test.
The last test substitutes a deliberately non-atomic apply (flush, then load) and shows
that the same check catches it.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lab"))
import continuity  # noqa: E402  pylint: disable=wrong-import-position

__metaclass__ = type

MIGRATING = os.path.join(ROOT, "examples", "lab", "inventory.yml")
PREFIXES = {"nftables": "cn-%04x-" % (os.getpid() % 0x10000), "iptables": "ci-%04x-" % (os.getpid() % 0x10000)}
RATE = 10.0

# The fleet's flows between lab hosts in 2.6, from the vendor's table (not from the matrix code):
# bo1 is a backend sharing its machine with an agent handler, ah2 a separate agent handler.
FLOWS_2_6 = {
    ("con1", "bo1", "tcp", 443),  # console -> backend (co-located: 8443 only from 2.7.1)
    ("ah2", "bo1", "tcp", 443),  # agent handler -> backend
    ("agent-old", "bo1", "tcp", 17000), ("agent-new", "bo1", "tcp", 17000),  # agents -> agent handlers (MSRPC)
    ("agent-old", "ah2", "tcp", 17000), ("agent-new", "ah2", "tcp", 17000),
    ("bo1", "sql1", "tcp", 1433), ("bo1", "sql1", "tcp", 1434), ("bo1", "sql1", "udp", 1434),  # backend -> SQL
    ("bo1", "log1", "udp", 514), ("bo1", "log1", "tcp", 1468), ("bo1", "log1", "tcp", 5614),  # agent handlers -> syslog
    ("ah2", "log1", "udp", 514), ("ah2", "log1", "tcp", 1468), ("ah2", "log1", "tcp", 5614),
}

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("nft") or not shutil.which("iptables-restore")
    or not shutil.which("ansible-playbook"), reason="needs root, nftables, iptables and ansible-playbook")


def assert_continuity(summary, rate=RATE):
    """Zero failed attempts, every long-lived connection alive, and the probers really probed."""
    assert continuity.failures(summary) == [], "\n".join(continuity.failures(summary)[:40])
    for flow in summary["flows"]:
        # At least half the nominal rate over the probed time: a stalled prober proves nothing.
        assert flow["attempts"] >= rate * summary["seconds"] / 2, flow
        if flow["protocol"] == "tcp":
            assert flow["long_lived"]["attempts"] >= rate * summary["seconds"] / 4, flow


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """Per backend: (lab, playbook exit code and output, the measurement), both labs migrated side by side."""
    scratch = str(tmp_path_factory.mktemp("continuity"))
    matrix = continuity.matrix(MIGRATING, "migrate")
    rules = {host: entry["rules"] for host, entry in matrix["hosts"].items()}
    labs = {backend: continuity.ContinuityLab(MIGRATING, prefix, scratch) for backend, prefix in PREFIXES.items()}
    results, errors = {}, {}

    def run(backend):
        try:
            lab = labs[backend].up()
            lab.load_2_6_rule_set(rules, backend)
            addresses = lab.addresses()
            probed = continuity.flows(rules, addresses, continuity.rules_2_6) & continuity.flows(rules, addresses)
            outcome, summary = lab.measure(probed, lambda: continuity.playbook(
                "migrate", [MIGRATING, lab.overlay], "-e", "linux_firewall_filter_outbound=true",
                "-e", "ses_serial=100%", "-e", "linux_firewall_backend=%s" % backend, "--forks", "10"), rate=RATE)
            results[backend] = (lab, probed, outcome, summary)
        except Exception as error:  # pylint: disable=broad-exception-caught
            errors[backend] = error

    try:
        # Side by side: the playbooks mostly wait on forks, so two labs cost little more than one.
        threads = [threading.Thread(target=run, args=(backend,)) for backend in labs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise list(errors.values())[0]
        yield results
    finally:
        for lab in labs.values():
            lab.down()


@pytest.mark.parametrize("backend", sorted(PREFIXES))
def test_probed_flows_are_the_2_6_flows_of_the_vendor_table(migrated, backend):
    assert migrated[backend][1] == FLOWS_2_6


@pytest.mark.parametrize("backend", sorted(PREFIXES))
def test_first_migrate_over_a_2_6_rule_set_drops_no_allowed_flow(migrated, backend):
    lab, _probed, (rc, output), summary = migrated[backend]
    assert rc == 0, output[-4000:]
    assert "changed=0" not in [line for line in output.splitlines() if line.startswith("bo1 ")][0]
    assert_continuity(summary)
    assert summary["long_lived"] == summary["long_lived_survived"] == 12  # the 12 TCP flows above
    # The change really happened: bo1 now also serves the console on 8443 (new in 2.7.1).
    listing = lab.netns("bo1", "nft", "list", "ruleset").stdout if backend == "nftables" else \
        lab.netns("bo1", "iptables-save", "-t", "filter").stdout
    assert "in_console_to_backend_tcp8443_new" in listing


def test_a_non_atomic_apply_is_caught(migrated):
    """The same check on a deliberately non-atomic apply: each host's table is flushed (its drop policies
    stay), then, 0.3 s later, loaded again, as a tool that flushes and reloads in two steps would."""
    lab, probed = migrated["nftables"][:2]
    hosts = sorted({source for source, *_rest in probed} | {destination for _s, destination, *_r in probed})
    saved = {host: lab.netns(host, "nft", "list", "table", "inet", "ses_evolution").stdout for host in hosts}

    def flush_then_load():
        for host in hosts:
            lab.netns(host, "nft", "flush", "table", "inet", "ses_evolution")
        time.sleep(0.3)
        for host in hosts:
            lab.netns(host, "nft", "-f", "-", data="flush table inet ses_evolution\n" + saved[host])

    _outcome, summary = lab.measure(probed, flush_then_load, rate=RATE, settle=2.5)
    with pytest.raises(AssertionError):
        assert_continuity(summary)
    lost = {flow["id"] for flow in summary["flows"] if flow["failed"]}
    assert len(lost) == len(probed)  # every flow lost attempts in the 0.3 s window
    # Afterwards the rules are back and every flow connects again: the failures were the window.
    _outcome, after = lab.measure(probed, lambda: None, rate=RATE, warmup=0.5, settle=1.0)
    assert_continuity(after)
