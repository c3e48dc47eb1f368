# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-host cost of the hosts that get rules, as the unmanaged part of the inventory grows (not run in CI).

Issue 15: what a managed host costs must not depend on how many unmanaged agents
the inventory lists. The fleet is tests/system/scale_fleet.py's (300 servers:
co-located backends, agent handlers, consoles, SQL and syslog servers) plus
AGENTS unmanaged agents; the first N agent handlers are managed, simulated
Windows hosts (tests/windows_sim: a local connection and one JSON rule store per
host, made by winsim.py with the vendor installer's rules), every other host is
``ses_firewall_managed: false``. For each N and AGENTS the bench times a first
``ses_evolution.firewall.migrate`` on fresh stores, then reports

    per-host cost (N, AGENTS) = (time (N, AGENTS) - time (0, AGENTS)) / N

and its ratio between the largest and the smallest AGENTS (the goal: within 1.2).
Each run also checks, by the PLAY RECAP, that exactly the N managed hosts entered
a play.

    python3 bench/bench_managed_flatness.py                       # N 20 and 200, AGENTS 0 and 10000
    python3 bench/bench_managed_flatness.py --managed 20 --agents 0 2000 --keep /tmp/flat
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "system"))

import scale_fleet  # noqa: E402  pylint: disable=wrong-import-position

WINSIM = os.path.join(ROOT, "tests", "windows_sim", "winsim.py")
SERVERS = 300   # 210 agent handlers: room for 200 managed ones
GOAL_RATIO = 1.2


def write_fleet(workdir, managed, agents):
    """The inventory and the simulated hosts' stores; returns (inventory path, simulator root, managed names)."""
    inventory = scale_fleet.fleet(agents, SERVERS)
    handlers = inventory["all"]["children"]["ses_agent_handlers"]["hosts"]
    names = sorted(name for name in handlers if name.startswith("ah"))[:managed]
    if len(names) < managed:
        raise SystemExit("only %d agent handlers in the fleet, %d asked" % (len(names), managed))
    sim_root = os.path.join(workdir, "winsim")
    seed = {}
    for name in names:
        variables = handlers[name]
        variables.pop("ses_firewall_managed")
        variables.update(ses_platform="windows", ansible_connection="local",
                         ansible_python_interpreter=os.path.join(sim_root, "hosts", name, "python"))
        seed[name] = {"version": variables["ses_version"], "components": ["agent_handler"]}
    path = os.path.join(workdir, "inventory.yml")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(inventory, handle)
    with open(os.path.join(workdir, "seed.json"), "w", encoding="utf-8") as handle:
        json.dump(seed, handle)
    subprocess.run([sys.executable, WINSIM, "init", sim_root, os.path.join(workdir, "seed.json")], check=True)
    return path, sim_root, names


def measure(managed, agents, keep):
    workdir = tempfile.mkdtemp(prefix="ses_flat_%d_%d_" % (managed, agents), dir=keep)
    inventory, sim_root, names = write_fleet(workdir, managed, agents)
    env = scale_fleet.collection_env()
    env["ANSIBLE_COLLECTIONS_PATH"] = os.path.join(ROOT, "tests", "windows_sim") + ":" + env.get(
        "ANSIBLE_COLLECTIONS_PATH", "")
    env["WINDOWS_SIM_ROOT"] = sim_root
    run = scale_fleet.playbook("migrate", inventory, env, workdir, os.path.join(workdir, "migrate.out"))
    entered = scale_fleet.play_hosts(run.text())
    result = {"managed": managed, "agents": agents, "seconds": round(run.seconds, 2),
              "cpu_seconds": round(run.cpu_seconds, 2), "rc": run.rc, "entered": len(entered),
              "entered_as_expected": sorted(entered) == names}
    print("    N=%d agents=%d: %.1f s, rc %s, %d hosts entered%s" % (
        managed, agents, run.seconds, run.rc, len(entered), "" if result["entered_as_expected"] else " (UNEXPECTED)"),
        flush=True)
    if not keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--managed", type=int, nargs="+", default=[20, 200], help="managed hosts (default 20 200)")
    parser.add_argument("--agents", type=int, nargs="+", default=[0, 10000],
                        help="unmanaged agents (default 0 10000)")
    parser.add_argument("--out", metavar="FILE", help="write the results as JSON into FILE")
    parser.add_argument("--keep", metavar="DIR", help="keep the inventories, stores and outputs under DIR")
    args = parser.parse_args()
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
    runs = {}
    for agents in args.agents:
        for managed in [0] + args.managed:
            runs[(managed, agents)] = measure(managed, agents, args.keep)
    rows = ["| managed hosts | " + " | ".join("per-host cost, %s agents" % format(a, ",") for a in args.agents)
            + " | ratio |", "|---" * (len(args.agents) + 2) + "|"]
    report = {"runs": list(runs.values()), "per_host": {}}
    for managed in args.managed:
        costs = [(runs[(managed, a)]["seconds"] - runs[(0, a)]["seconds"]) / managed for a in args.agents]
        ratio = max(costs) / min(costs) if min(costs) > 0 else float("inf")
        report["per_host"][managed] = {"costs": costs, "ratio": ratio}
        rows.append("| %d | %s | %.2f%s |" % (managed, " | ".join("%.3f s" % cost for cost in costs), ratio,
                                              "" if ratio <= GOAL_RATIO else " (over %.1f)" % GOAL_RATIO))
    rows.append("")
    rows.append("Baselines (no managed host): " + ", ".join(
        "%s agents %.1f s" % (format(a, ","), runs[(0, a)]["seconds"]) for a in args.agents))
    print("\n".join(rows))
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=1, default=str)
    return 0 if all(run["rc"] == 0 and run["entered_as_expected"] for run in runs.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
