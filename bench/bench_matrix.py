# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scale benchmark of the port matrix (not run in CI).

(a) compute_matrix on a generated fleet of 200 backoffice hosts and 100,000
    agents (inventory hosts in contiguous address blocks), fed exactly what the
    port_matrix action plugin passes it: Ansible's ``groups`` plus, per host, a
    dict of the variables the model reads. Prints seconds and peak memory (goals:
    under 5 s, under 1 GiB) and checks that every agent handler's agent peers are
    the exact collapse of the generated blocks.
(b) The report playbook end to end on an inventory with 10,000 agents, against
    ``ansible-inventory --list`` on the same inventory (goal: at most 3x).

    python3 bench/bench_matrix.py                 # both
    python3 bench/bench_matrix.py --skip-playbook # (a) only
    python3 bench/bench_matrix.py --agents 20000 --inventory-agents 2000

Run from the checkout (it finds the collection through the same symlink trick
as conftest.py) or with the collection installed.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
# conftest.py exposes the checkout as ansible_collections.ses_evolution.firewall.
import conftest  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.fleet import (  # noqa: E402
    COMMON_VARIABLES, COMPONENT_VARIABLES)
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.matrix import compute_matrix  # noqa: E402

GOAL_SECONDS = 5.0
GOAL_BYTES = 1 << 30
GOAL_RATIO = 3.0

BACKENDS = 20
CO_LOCATED = 8          # backends that also run an agent handler
AGENT_HANDLERS = 150    # separate agent handlers
CONSOLES = 30
AGENT_BLOCK = 500       # agents per contiguous block; 500 is no power of two, so blocks collapse to several CIDRs
AGENT_BLOCK_STRIDE = 1024
AGENT_BASE = ipaddress.ip_address("10.128.0.0")
HANDLERS_WITH_NETWORKS = 10  # agent handlers that also serve agents outside the inventory


def agent_blocks(agents):
    """(first, last) addresses of the contiguous agent blocks."""
    blocks = []
    for start in range(0, agents, AGENT_BLOCK):
        count = min(AGENT_BLOCK, agents - start)
        first = AGENT_BASE + (start // AGENT_BLOCK) * AGENT_BLOCK_STRIDE
        blocks.append((first, first + count - 1))
    return blocks


def handler_networks(index):
    """ses_agent_networks of the first agent handlers: one /22 each, outside the agent blocks."""
    if index >= HANDLERS_WITH_NETWORKS:
        return None
    return ["172.16.%d.0/22" % (index * 4)]


def generate_fleet(agents):
    """The inventory as the action plugin sees it: {group: [hosts]} and {host: {variable: value}}."""
    names = ("ses_backends", "ses_agent_handlers", "ses_consoles", "ses_agents", "ses_sql_servers",
             "ses_syslog_servers")
    groups = {name: [] for name in names}
    hostvars = {}

    def add(name, group, address, version="2.7.1", **settings):
        groups[group].append(name)
        variables = hostvars.setdefault(name, {"ses_address": address})
        if version is not None:
            variables["ses_version"] = version
        variables.update(settings)

    for index in range(BACKENDS):
        name = "bo%02d" % index
        add(name, "ses_backends", "10.0.1.%d" % (index + 1), ses_update_server=["203.0.113.10/32"],
            ses_public_api_clients=["10.0.9.0/28"])
        if index < CO_LOCATED:
            groups["ses_agent_handlers"].append(name)
    for index in range(AGENT_HANDLERS):
        networks = handler_networks(index)
        extra = {"ses_agent_networks": networks} if networks else {}
        if index % 50 == 0:
            extra["ses_syslog_ports"] = ["udp/514"]  # an agent handler group with its own syslog settings
        add("ah%03d" % index, "ses_agent_handlers", "10.0.%d.%d" % (2 + index // 250, 1 + index % 250),
            version="2.6.3" if index % 3 == 0 else "2.7.1", **extra)
    for index in range(CONSOLES):
        add("con%02d" % index, "ses_consoles", "10.0.4.%d" % (index + 1))
    for index in range(2):
        add("sql%d" % index, "ses_sql_servers", "10.0.5.%d" % (index + 1), version=None)
        add("log%d" % index, "ses_syslog_servers", "10.0.6.%d" % (index + 1), version=None)
    number = 0
    for first, last in agent_blocks(agents):
        address = first
        while address <= last:
            add("agent%06d" % number, "ses_agents", str(address), version="2.6.1" if number % 10 == 0 else "2.7.1")
            number += 1
            address += 1
    groups["all"] = sorted(hostvars)
    groups["ungrouped"] = []
    return groups, hostvars


def as_the_action_plugin_reads(groups, hostvars):
    """Keep only the variables the action plugin reads for each host (agents: the common ones)."""
    component_of_group = {"ses_backends": "backend", "ses_agent_handlers": "agent_handler",
                          "ses_consoles": "console", "ses_agents": "agent", "ses_sql_servers": "sql_server",
                          "ses_syslog_servers": "syslog_server"}
    wanted = {}
    for group, component in component_of_group.items():
        for name in groups[group]:
            wanted.setdefault(name, set()).update(COMMON_VARIABLES + COMPONENT_VARIABLES.get(component, ()))
    return {name: {key: value for key, value in hostvars[name].items() if key in wanted[name]} for name in wanted}


def check_agent_peers(matrix, groups, hostvars, agents):
    """Every agent handler's TCP 17000 and 443 peers = the exact collapse of the blocks (+ its networks)."""
    blocks = []
    for first, last in agent_blocks(agents):
        blocks.extend(ipaddress.summarize_address_range(first, last))
    checked = 0
    for name in groups["ses_agent_handlers"]:
        networks = list(blocks)
        for cidr in hostvars[name].get("ses_agent_networks") or ():
            networks.append(ipaddress.ip_network(cidr))
        expected = [str(net) for net in ipaddress.collapse_addresses(networks)]
        rules = {rule["port"]: rule["peers"] for rule in matrix["hosts"][name]["rules"]
                 if rule["flow"] == "agent_to_agent_handler" and rule["direction"] == "in"}
        if rules != {17000: expected, 443: expected}:
            raise SystemExit("agent peers of %s are not the exact collapse: %d CIDRs expected, got %s"
                             % (name, len(expected), {port: len(peers) for port, peers in rules.items()}))
        checked += 1
    return checked, len(list(ipaddress.collapse_addresses(blocks)))


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


def bench_engine(agents, repeat):
    print("(a) compute_matrix: %d backoffice hosts, %d agents" % (BACKENDS + AGENT_HANDLERS + CONSOLES, agents))
    groups, hostvars = generate_fleet(agents)
    hostvars = as_the_action_plugin_reads(groups, hostvars)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    timings = []
    cpu = []
    matrix = None
    for _run in range(repeat):
        matrix = None
        start, start_cpu = time.perf_counter(), time.process_time()
        matrix = compute_matrix(groups, hostvars, phase="migrate")
        timings.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    seconds = min(timings)
    handlers, cidrs = check_agent_peers(matrix, groups, hostvars, agents)
    matrix = None
    tracemalloc.start()
    matrix = compute_matrix(groups, hostvars, phase="migrate")
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print("    hosts in the matrix: %d, flows: %d" % (len(matrix["hosts"]), len(matrix["flows"])))
    print("    time: %.2f s wall, %.2f s CPU (best of %d: %s wall)"
          % (seconds, min(cpu), repeat, ", ".join("%.2f" % t for t in timings)))
    print("    peak memory allocated by compute_matrix (tracemalloc): %.0f MiB" % (peak / 1048576.0))
    print("    process max RSS: %.0f MiB (%.0f MiB before computing)"
          % (rss_after / 1048576.0, rss_before / 1048576.0))
    print("    agent peers exact on all %d agent handlers (%d agent CIDRs from %d blocks)"
          % (handlers, cidrs, len(agent_blocks(agents))))
    ok = seconds < GOAL_SECONDS and peak < GOAL_BYTES and rss_after < GOAL_BYTES
    print("    goal (< %.0f s, < 1 GiB): %s" % (GOAL_SECONDS, "met" if ok else "MISSED"))
    return ok


def write_inventory(path, agents):
    """A YAML inventory of the same fleet (ses_* variables on the hosts, as a user would write them)."""
    groups, hostvars = generate_fleet(agents)
    children = {}
    for group in ("ses_backends", "ses_agent_handlers", "ses_consoles", "ses_sql_servers", "ses_syslog_servers",
                  "ses_agents"):
        hosts = {}
        for name in groups[group]:
            if any(name in children[other]["hosts"] for other in children):
                hosts[name] = None  # already defined under another group
            else:
                hosts[name] = hostvars[name]
        children[group] = {"hosts": hosts}
    # JSON is valid YAML, and much faster to write for 10,000 hosts.
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"all": {"vars": {"ses_target_version": "2.7.1"}, "children": children}}, handle)


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command, env):
    """Wall and CPU seconds (the command and its children: Ansible forks workers) of one run."""
    start, start_cpu = time.perf_counter(), children_cpu()
    process = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             check=False)
    seconds = (time.perf_counter() - start, children_cpu() - start_cpu)
    if process.returncode != 0:
        raise SystemExit("%s failed:\n%s\n%s" % (" ".join(command), process.stdout[-3000:], process.stderr[-3000:]))
    return seconds, process


def bench_playbook(agents, keep):
    print("(b) report playbook vs ansible-inventory --list, %d agents" % agents)
    workdir = keep or tempfile.mkdtemp(prefix="ses_bench_")
    os.makedirs(workdir, exist_ok=True)
    inventory = os.path.join(workdir, "inventory.yml")
    write_inventory(inventory, agents)
    # The folder holding ansible_collections/ses_evolution/firewall: this checkout, not another copy.
    collections = sys.modules[compute_matrix.__module__].__file__.rsplit(os.sep + "ansible_collections" + os.sep, 1)[0]
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_NOCOLOR="1")
    ansible_inventory = shutil.which("ansible-inventory") or "ansible-inventory"
    ansible_playbook = shutil.which("ansible-playbook") or "ansible-playbook"
    inventory_seconds, _process = timed([ansible_inventory, "-i", inventory, "--list",
                                         "--output", os.path.join(workdir, "inventory.json")], env)
    report_dir = os.path.join(workdir, "report")
    report_seconds, process = timed([ansible_playbook, "ses_evolution.firewall.report", "-i", inventory,
                                     "-e", "ses_report_dir=%s" % report_dir], env)
    sizes = ", ".join("%s %.1f MiB" % (name, os.path.getsize(os.path.join(report_dir, name)) / 1048576.0)
                      for name in sorted(os.listdir(report_dir)))
    ratio = report_seconds[0] / inventory_seconds[0]
    cpu_ratio = report_seconds[1] / inventory_seconds[1]
    print("    ansible-inventory --list: %.2f s wall, %.2f s CPU" % inventory_seconds)
    print("    report playbook:          %.2f s wall, %.2f s CPU (%s)" % (report_seconds + (sizes,)))
    print("    ratio: %.2fx wall, %.2fx CPU; goal (<= %.0fx): %s"
          % (ratio, cpu_ratio, GOAL_RATIO, "met" if max(ratio, cpu_ratio) <= GOAL_RATIO else "MISSED"))
    if keep is None:
        shutil.rmtree(workdir)
    else:
        print("    files kept in %s" % workdir)
    del process
    return max(ratio, cpu_ratio) <= GOAL_RATIO


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--agents", type=int, default=100000, help="agents for (a) (default 100000)")
    parser.add_argument("--inventory-agents", type=int, default=10000, help="agents for (b) (default 10000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of (a); the best counts")
    parser.add_argument("--skip-playbook", action="store_true", help="run (a) only")
    parser.add_argument("--keep", metavar="DIR", help="write (b)'s inventory and report into DIR and keep them")
    args = parser.parse_args()
    print("machine: %s" % machine())
    print("load average at start: %.2f %.2f %.2f (wall times stretch when other work shares the CPUs)"
          % os.getloadavg())
    ok = bench_engine(args.agents, args.repeat)
    if not args.skip_playbook:
        ok = bench_playbook(args.inventory_agents, args.keep) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
