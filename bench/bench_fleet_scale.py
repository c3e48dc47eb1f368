# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fleet scale benchmark: the playbooks on a large inventory where no host is managed (not run in CI).

Generates an inventory of SERVERS servers (co-located backends, separate agent
handlers, consoles, SQL and syslog servers) and AGENTS agents in contiguous
address blocks, every host with ``ses_firewall_managed: false`` (the generator is
tests/system/scale_fleet.py, shared with tests/system/test_scale_plays.py), and
times, each as a subprocess in the suite's environment (.cache/env.sh):

- ``ansible-inventory -i INV --list`` (the baseline: loading the inventory);
- ``ansible-playbook ses_evolution.firewall.migrate -i INV``;
- ``ansible-playbook ses_evolution.firewall.cleanup -i INV``: the gate and dry run
  (no confirmation); the gate refuses, the versions being mixed: the time counts;
- ``ansible-playbook ses_evolution.firewall.verify -i INV``.

With no host managed, none has work: the goal (issue 15) is each playbook at most
1.5x the inventory load. Prints a table (seconds, ratio to the inventory load,
exit status; with --count-play-hosts, how many inventory hosts other than
localhost appear in the run's PLAY RECAP, that is entered a play) and, with
--out, writes it as JSON.

    python3 bench/bench_fleet_scale.py --agents 2000
    python3 bench/bench_fleet_scale.py --agents 10000 --servers 200 --count-play-hosts --out fleet.json
    python3 bench/bench_fleet_scale.py --agents 50 --keep /tmp/fleet   # keep the inventory and the outputs
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "system"))

import scale_fleet  # noqa: E402  pylint: disable=wrong-import-position

GOAL_RATIO = 1.5


def machine():
    model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s; nproc %d; %s; Python %s; %s" % (
        model, os.cpu_count() or 0, platform.platform(), platform.python_version(),
        time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))


def ansible_version(env):
    """The first line of ``ansible --version`` ("ansible [core 2.19.x]")."""
    process = subprocess.run([scale_fleet.which("ansible", env) or "ansible", "--version"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=False)
    return (process.stdout.splitlines() or ["unknown"])[0]


def measure(name, argv_or_playbook, inventory, env, workdir, timeout, count, extra=()):
    """One run: {seconds, cpu_seconds, rc, timed_out[, play_hosts, play_hosts_sample]}."""
    output = os.path.join(workdir, "%s.out" % name)
    print("    %s ..." % name, end="", flush=True)
    if name == "ansible-inventory":
        run = scale_fleet.run(argv_or_playbook, env, workdir, None, timeout=timeout)
    else:
        run = scale_fleet.playbook(argv_or_playbook, inventory, env, workdir, output, *extra, timeout=timeout)
    result = {"seconds": round(run.seconds, 2), "cpu_seconds": round(run.cpu_seconds, 2), "rc": run.rc,
              "timed_out": run.timed_out}
    if count and name != "ansible-inventory" and not run.timed_out:  # a killed run prints no recap
        hosts = scale_fleet.play_hosts(run.text())
        result["play_hosts"] = len(hosts)
        result["play_hosts_sample"] = hosts[:5]
    print(" %s, rc %s%s" % ("timeout after %.0f s" % run.seconds if run.timed_out else "%.1f s" % run.seconds,
                            "-" if run.timed_out else run.rc,
                            ", %d hosts in the PLAY RECAP" % result["play_hosts"] if "play_hosts" in result else ""),
          flush=True)
    return result


def table(report, count):
    """The results as a Markdown table."""
    baseline = report["runs"]["ansible-inventory"]
    header = ["agents", "hosts", "`ansible-inventory --list`", "`migrate`", "`cleanup` (gate + dry run)",
              "`verify`"]
    cells = [format(report["agents"], ","), format(report["hosts"], ",")]
    for name in ("ansible-inventory", "migrate", "cleanup", "verify"):
        run = report["runs"][name]
        if run["timed_out"]:
            cell = "timeout (> %.0f s)" % run["seconds"]
        else:
            cell = "%.1f s" % run["seconds"]
            if name != "ansible-inventory" and not baseline["timed_out"] and baseline["seconds"] > 0:
                cell += " (%.1fx)" % run["ratio"]
        if name != "ansible-inventory":
            cell += ", rc %s" % ("-" if run["timed_out"] else run["rc"])
            if count:
                cell += ", %s play hosts" % (format(run["play_hosts"], ",") if "play_hosts" in run else "-")
        cells.append(cell)
    return "\n".join(["| %s |" % " | ".join(header), "|%s|" % "|".join("---" for _column in header),
                      "| %s |" % " | ".join(cells)])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--agents", type=int, default=10000, help="agents (inventory hosts; default 10000)")
    parser.add_argument("--servers", type=int, default=200,
                        help="backends, agent handlers, consoles, SQL and syslog servers (default 200)")
    parser.add_argument("--timeout", type=float, default=1800,
                        help="seconds each run may take before it is killed and reported as timeout (default 1800)")
    parser.add_argument("--count-play-hosts", action="store_true",
                        help="count the inventory hosts (localhost aside) in each playbook's PLAY RECAP")
    parser.add_argument("--out", metavar="FILE", help="write the results as JSON into FILE")
    parser.add_argument("--keep", metavar="DIR",
                        help="write the inventory and the runs' outputs into DIR and keep them")
    args = parser.parse_args()

    env = scale_fleet.collection_env()
    if scale_fleet.which("ansible-playbook", env) is None:
        raise SystemExit("ansible-playbook not found: run scripts/bootstrap.sh (or source .cache/env.sh)")
    workdir = args.keep or tempfile.mkdtemp(prefix="ses_fleet_scale_")
    os.makedirs(workdir, exist_ok=True)
    inventory = os.path.join(workdir, "inventory.yml")
    hosts = scale_fleet.write_inventory(inventory, args.agents, args.servers)
    report = {
        "machine": machine(), "ansible": ansible_version(env), "load_average_at_start": os.getloadavg(),
        "agents": args.agents, "servers": args.servers, "hosts": len(hosts),
        "server_counts": scale_fleet.server_counts(args.servers), "timeout": args.timeout,
        "goal_ratio": GOAL_RATIO, "runs": {},
    }
    print("machine: %s" % report["machine"])
    print("%s; load average at start: %.2f %.2f %.2f (wall times stretch when other work shares the CPUs)"
          % ((report["ansible"],) + tuple(report["load_average_at_start"])))
    print("inventory: %d servers (%s) + %d agents = %d hosts, none managed; %s"
          % (args.servers, ", ".join("%s %d" % item for item in report["server_counts"].items()), args.agents,
             len(hosts), inventory))
    ansible_inventory = [scale_fleet.which("ansible-inventory", env) or "ansible-inventory", "-i", inventory, "--list"]
    report["runs"]["ansible-inventory"] = measure("ansible-inventory", ansible_inventory, inventory, env, workdir,
                                                  args.timeout, args.count_play_hosts)
    for name, extra in scale_fleet.PLAYBOOKS:
        report["runs"][name] = measure(name, name, inventory, env, workdir, args.timeout, args.count_play_hosts,
                                       extra)

    baseline = report["runs"]["ansible-inventory"]["seconds"]
    met = not report["runs"]["ansible-inventory"]["timed_out"]
    for name, _extra in scale_fleet.PLAYBOOKS:
        run = report["runs"][name]
        run["ratio"] = round(run["seconds"] / baseline, 2) if baseline > 0 else None
        met = met and not run["timed_out"] and run["ratio"] is not None and run["ratio"] <= GOAL_RATIO
    report["goal_met"] = met
    print()
    print(table(report, args.count_play_hosts))
    print()
    print("CPU seconds (each run and the forks it waited for): %s"
          % ", ".join("%s %.1f" % (name, run["cpu_seconds"]) for name, run in report["runs"].items()))
    print("goal (each playbook <= %.1fx ansible-inventory --list): %s" % (GOAL_RATIO, "met" if met else "MISSED"))
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=2)
            handle.write("\n")
        print("results written to %s" % args.out)
    if args.keep is None:
        shutil.rmtree(workdir)
    else:
        print("inventory and outputs kept in %s" % workdir)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
