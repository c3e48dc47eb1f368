# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows apply cost in the simulator: module calls (WinRM round trips) per host and wall time, per method.

Runs `ansible-playbook ses_evolution.firewall.migrate` against the simulated
hosts of extensions/molecule/windows_sim, for windows_firewall_method per_rule
and reconcile, first run (creates) and second run (nothing to do), on the
scenario's fleet and on a "wide" variant (outbound filtered everywhere, 24
syslog ports and 8 SQL ports) where each host has many more rules. Checks that
both methods leave identical stores. Prints a Markdown table.

    python3 bench/windows_sim_apply.py
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENARIO = os.path.join(ROOT, "extensions", "molecule", "windows_sim")
WINSIM = os.path.join(ROOT, "tests", "windows_sim", "winsim.py")
WIDE = {"windows_firewall_filter_outbound": True,
        "ses_syslog_ports": ["tcp/%d" % port for port in range(6000, 6024)],
        "ses_sql_ports": ["tcp/%d" % port for port in range(1433, 1441)]}


def _calls(root):
    out = subprocess.run([sys.executable, WINSIM, "calls", root], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def _digest(root):
    digest = {}
    for host in sorted(os.listdir(os.path.join(root, "hosts"))):
        with open(os.path.join(root, "hosts", host, "store.json"), "rb") as handle:
            rules = json.load(handle)["rules"]
        digest[host] = hashlib.sha256(json.dumps(sorted(rules, key=lambda r: (r["Name"], str(r["LocalPorts"]))),
                                                 sort_keys=True).encode()).hexdigest()
    return digest


def run(method, extra, label):
    root = tempfile.mkdtemp(prefix="ses_winsim_bench_")
    subprocess.run([sys.executable, WINSIM, "init", root, os.path.join(SCENARIO, "seed.json")], check=True)
    env = dict(os.environ, WINDOWS_SIM_ROOT=root, ANSIBLE_COLLECTIONS_PATH="%s:%s" % (
        os.path.join(ROOT, "tests", "windows_sim"),
        os.environ.get("ANSIBLE_COLLECTIONS_PATH", os.path.expanduser("~/.ansible/collections"))))
    variables = dict(extra, windows_firewall_method=method)
    command = ["ansible-playbook", "-i", os.path.join(SCENARIO, "inventory", "hosts.yml"),
               "ses_evolution.firewall.migrate", "-e", json.dumps(variables)]
    rows = []
    for attempt in ("first run", "second run"):
        before = _calls(root)
        started = time.monotonic()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        elapsed = time.monotonic() - started
        after = _calls(root)
        per_host = {host: after[host]["calls"] - before[host]["calls"] for host in after}
        rows.append((label, method, attempt, per_host, elapsed, done.returncode))
    return rows, _digest(root)


def main():
    table = ["| fleet | method | run | module calls per host (bo1 / ah2 / con1) | wall time | rc |",
             "|---|---|---|---|---|---|"]
    for label, extra in (("scenario", {}), ("wide", WIDE)):
        digests = {}
        for method in ("per_rule", "reconcile"):
            rows, digests[method] = run(method, extra, label)
            for fleet, meth, attempt, per_host, elapsed, code in rows:
                table.append("| %s | %s | %s | %d / %d / %d | %.1f s | %d |" % (
                    fleet, meth, attempt, per_host["bo1"], per_host["ah2"], per_host["con1"], elapsed, code))
        same = digests["per_rule"] == digests["reconcile"]
        table.append("| %s | both | final stores identical | %s | | |" % (label, "yes" if same else "NO"))
    print("\n".join(table))


if __name__ == "__main__":
    main()
