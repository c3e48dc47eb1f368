# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Continuity benchmark: does any allowed flow drop while migrate and cleanup replace the rules?

    sudo python3 bench/bench_continuity.py [--backend nftables|iptables|both] [--rate 10]

For each backend, one lab of the bundled example fleet (examples/lab/inventory.yml,
prefix ``cb-XXXX-``, unique per process; no default route, traffic stays inside), whose
hosts first carry their 2.6 rule set (tests/lab/continuity.py). Then three changes,
each run while tests/lab/prober.py probes, from every source, every flow between lab
hosts that the rule sets before and after the change both allow (new TCP connections
and UDP tokens at RATE per second per flow, one long-lived TCP connection per TCP flow):

1. the first ``migrate`` over the 2.6 rule set;
2. a ``migrate`` rerun;
3. ``cleanup`` (tests/lab/inventories/cleanup.yml: every backoffice host on 2.7.1).

Outbound filtering is on (``linux_firewall_filter_outbound=true``), so each flow crosses
two rule sets that change: the source's output chain and the destination's input chain.
Prints a Markdown table (for docs/performance.md) and every failure, and exits non-zero
when an attempt failed or a long-lived connection did not survive.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "lab"))
import continuity  # noqa: E402  pylint: disable=wrong-import-position

__metaclass__ = type

MIGRATING = os.path.join(ROOT, "examples", "lab", "inventory.yml")
UPGRADED = os.path.join(ROOT, "tests", "lab", "inventories", "cleanup.yml")
COMMON = ("-e", "linux_firewall_filter_outbound=true", "-e", "ses_serial=100%", "--forks", "10")


def run_backend(backend, rate, scratch):
    prefix = "cb-%04x-" % ((os.getpid() + (backend == "iptables")) % 0x10000)
    lab = continuity.ContinuityLab(MIGRATING, prefix, scratch)
    migrate_matrix = continuity.matrix(MIGRATING, "migrate")
    cleanup_matrix = continuity.matrix(UPGRADED, "cleanup")
    rules = {host: entry["rules"] for host, entry in migrate_matrix["hosts"].items()}
    after_cleanup = {host: entry["rules"] for host, entry in cleanup_matrix["hosts"].items()}
    backend_args = ("-e", "linux_firewall_backend=%s" % backend)
    rows = []
    try:
        lab.up()
        lab.load_2_6_rule_set(rules, backend)
        addresses = lab.addresses()
        old = continuity.flows(rules, addresses, continuity.rules_2_6)
        new = continuity.flows(rules, addresses)
        cleaned = continuity.flows(after_cleanup, addresses)
        audit = os.path.join(scratch, "audit-" + backend)
        changes = (
            ("first migrate over the 2.6 rule set", old & new, "migrate", [MIGRATING, lab.overlay], ()),
            ("migrate rerun", new, "migrate", [MIGRATING, lab.overlay], ()),
            ("cleanup", new & cleaned, "cleanup", [UPGRADED, lab.overlay],
             ("-e", "ses_cleanup_confirm=yes", "-e", "ses_audit_dir=%s" % audit)),
        )
        for title, probed, name, inventories, extra in changes:
            outcome, summary = lab.measure(
                probed, lambda n=name, i=inventories, e=extra: continuity.playbook(n, i, *(COMMON + backend_args + e)),
                rate=rate)
            rc, output = outcome
            if rc != 0:
                raise RuntimeError("%s (%s) failed:\n%s" % (title, backend, output[-4000:]))
            # The lab hosts' lines of the PLAY RECAP (the controller's own tasks are not a host change).
            recap = [line for line in output.splitlines() if line.split(" ", 1)[0] in lab.hosts and "changed=" in line]
            rows.append((backend, title, len(probed), summary, sum("changed=0" not in line for line in recap)))
    finally:
        lab.down()
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["nftables", "iptables", "both"], default="both")
    parser.add_argument("--rate", type=float, default=10.0, help="attempts per second per flow")
    args = parser.parse_args(argv)
    if os.geteuid() != 0 or not shutil.which("ansible-playbook"):
        print("needs root (network namespaces) and ansible-playbook", file=sys.stderr)
        return 2
    backends = ["nftables", "iptables"] if args.backend == "both" else [args.backend]
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    rows = []
    scratch = tempfile.mkdtemp(prefix="bench-continuity-")
    try:
        for backend in backends:
            rows.extend(run_backend(backend, args.rate, scratch))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    load = os.getloadavg()
    nft = subprocess.run(["nft", "--version"], text=True, stdout=subprocess.PIPE, check=False).stdout.strip()
    ipt = subprocess.run(["iptables", "--version"], text=True, stdout=subprocess.PIPE, check=False).stdout.strip()
    print("%s, %s, Python %s, %s, %s, %d CPUs, load average %.1f %.1f %.1f at the end; rate %g per flow per s"
          % (started, platform.platform(), platform.python_version(), nft, ipt, os.cpu_count(), load[0], load[1],
             load[2], args.rate))
    print()
    print("| backend | change | flows probed | hosts changed | seconds probed | new connections / tokens: made, failed "
          "| long-lived exchanges: made, failed | long-lived connections survived |")
    print("|---|---|---|---|---|---|---|---|")
    bad = []
    for backend, title, count, summary, changed in rows:
        print("| %s | %s | %d | %d | %.1f | %d, **%d** | %d, **%d** | %d of %d |"
              % (backend, title, count, changed, summary["seconds"], summary["new_attempts"], summary["new_failed"],
                 summary["exchanges"], summary["exchanges_failed"], summary["long_lived_survived"],
                 summary["long_lived"]))
        bad.extend("%s, %s: %s" % (backend, title, line) for line in continuity.failures(summary))
    print()
    print("\n".join(bad) if bad else "No failed attempt; every long-lived connection survived.")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
