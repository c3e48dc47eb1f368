# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A large SES inventory in which no host is managed, and the runs over it.

Shared by bench/bench_fleet_scale.py (thousands of agents, timed) and
tests/system/test_scale_plays.py (a few hundred, checked): one copy of the
generator, of the environment the playbooks run in and of the PLAY RECAP parser.

The fleet: SERVERS backoffice, SQL and syslog servers (co-located backends, in
both ses_backends and ses_agent_handlers; separate agent handlers; consoles; SQL
servers; syslog servers) and AGENTS agents in contiguous address blocks. Every
host has ses_address, a quoted ses_version (servers: none for SQL and syslog, as
in the examples) and ses_firewall_managed: false, so that no host is ever
contacted. Versions are mixed (some agent handlers, consoles and agents are
older than the target): the cleanup gate refuses.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import resource
import shlex
import signal
import subprocess
import time

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV_SCRIPT = os.path.join(ROOT, ".cache", "env.sh")

TARGET_VERSION = "2.7.1"
FLEET_VARS = {
    "ses_target_version": TARGET_VERSION,
    "ses_public_api_clients": ["10.0.9.0/28"],      # the SIEM that reads the public API
    "ses_update_server": ["203.0.113.10/32"],        # the update server (or the proxy)
}
# Shares of the servers, in this order; the backends all share their machine with an agent handler.
SERVER_SHARES = (("co_located", 0.10), ("agent_handlers", 0.70), ("consoles", 0.12), ("sql", 0.04),
                 ("syslog", 0.04))
AGENT_BLOCK = 500        # agents per contiguous block: no power of two, each block collapses to several CIDRs
AGENT_BLOCK_STRIDE = 1024
AGENT_BASE = ipaddress.ip_address("10.128.0.0")
SERVER_BASE = ipaddress.ip_address("10.0.16.0")
GROUPS = ("ses_backends", "ses_agent_handlers", "ses_consoles", "ses_sql_servers", "ses_syslog_servers",
          "ses_agents")
RECAP_LINE = re.compile(r"^(\S+)\s+:\s+ok=\d+\s+changed=\d+\s+unreachable=\d+\s+failed=\d+")


def server_counts(servers):
    """{kind: count} for ``servers`` servers: at least one of each kind from 5 servers on."""
    if servers < len(SERVER_SHARES):
        raise ValueError("at least %d servers (one of each kind), got %d" % (len(SERVER_SHARES), servers))
    counts = {kind: max(1, int(servers * share)) for kind, share in SERVER_SHARES}
    counts["agent_handlers"] += servers - sum(counts.values())  # the rounding goes to the agent handlers
    return counts


def agent_blocks(agents):
    """(first address, count) of each contiguous agent block."""
    return [(AGENT_BASE + (start // AGENT_BLOCK) * AGENT_BLOCK_STRIDE, min(AGENT_BLOCK, agents - start))
            for start in range(0, agents, AGENT_BLOCK)]


def fleet(agents, servers=200):
    """The inventory as a dict (the YAML inventory plugin's layout)."""
    counts = server_counts(servers)
    addresses = (str(SERVER_BASE + index) for index in range(1, servers + 1))
    unmanaged = {"ses_firewall_managed": False}
    children = {group: {"hosts": {}} for group in GROUPS}

    def add(group, name, version):
        variables = dict(unmanaged, ses_address=next(addresses))
        if version is not None:
            variables["ses_version"] = version
        children[group]["hosts"][name] = variables

    for index in range(counts["co_located"]):
        add("ses_backends", "bo%03d" % index, TARGET_VERSION)
        children["ses_agent_handlers"]["hosts"]["bo%03d" % index] = None  # defined above, same machine
    for index in range(counts["agent_handlers"]):
        add("ses_agent_handlers", "ah%03d" % index, "2.6.3" if index % 3 == 0 else TARGET_VERSION)
    for index in range(counts["consoles"]):
        add("ses_consoles", "con%03d" % index, "2.6.3" if index % 4 == 0 else TARGET_VERSION)
    for index in range(counts["sql"]):
        add("ses_sql_servers", "sql%03d" % index, None)
    for index in range(counts["syslog"]):
        add("ses_syslog_servers", "log%03d" % index, None)
    agent_hosts = children["ses_agents"]["hosts"]
    number = 0
    for first, count in agent_blocks(agents):
        for offset in range(count):
            agent_hosts["agent%06d" % number] = dict(
                unmanaged, ses_address=str(first + offset), ses_version="2.6.1" if number % 10 == 0 else TARGET_VERSION)
            number += 1
    return {"all": {"vars": dict(FLEET_VARS), "children": children}}


def host_names(inventory):
    """Every host of a fleet() inventory."""
    names = set()
    for group in inventory["all"]["children"].values():
        names.update(group["hosts"])
    return names


def write_inventory(path, agents, servers=200):
    """Write the fleet to ``path`` (JSON, which the YAML inventory plugin reads, and much faster to write
    than YAML for 10,000 hosts; name the file *.yml or *.json). Returns the inventory's host names."""
    inventory = fleet(agents, servers)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(inventory, handle)
        handle.write("\n")
    return host_names(inventory)


def collection_env():
    """The environment the suite runs Ansible in: PATH and ANSIBLE_COLLECTIONS_PATH from .cache/env.sh
    (written by scripts/bootstrap.sh) when it exists, the current environment otherwise; plain output
    with the default callback, so that the PLAY RECAP can be read."""
    env = dict(os.environ)
    if os.path.exists(ENV_SCRIPT):
        sourced = subprocess.run(["bash", "-c", "source %s && env -0" % shlex.quote(ENV_SCRIPT)],
                                 stdout=subprocess.PIPE, check=True, env=env)
        for entry in sourced.stdout.decode("utf-8", "replace").split("\0"):
            key, sep, value = entry.partition("=")
            if sep and key in ("PATH", "ANSIBLE_COLLECTIONS_PATH", "SES_PYTHON"):
                env[key] = value
    env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_RETRY_FILES_ENABLED="0",
               ANSIBLE_HOST_KEY_CHECKING="0", ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default")
    env.pop("ANSIBLE_CONFIG", None)
    return env


def which(program, env):
    """``program`` on the PATH of ``env``, or None."""
    for folder in env.get("PATH", "").split(os.pathsep):
        candidate = os.path.join(folder, program)
        if folder and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


class Run:
    """One timed command: exit status (None after a timeout), wall and CPU seconds, output file."""

    def __init__(self, argv, rc, seconds, cpu_seconds, output):
        self.argv = argv
        self.rc = rc
        self.seconds = seconds
        self.cpu_seconds = cpu_seconds
        self.output = output

    @property
    def timed_out(self):
        return self.rc is None

    def text(self):
        if self.output is None or not os.path.exists(self.output):
            return ""
        with open(self.output, encoding="utf-8", errors="replace") as handle:
            return handle.read()

    def tail(self, size=4000):
        return self.text()[-size:]

    def __repr__(self):
        return "%s: rc=%s, %.1f s\n%s" % (" ".join(self.argv), "timeout" if self.timed_out else self.rc,
                                          self.seconds, self.tail())


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(argv, env, cwd, output, timeout=1800):
    """Run ``argv`` in its own process group, its stdout and stderr into the file ``output`` (or discarded
    when None); after ``timeout`` seconds the whole group (Ansible's forks too) is killed and rc is None."""
    start, start_cpu = time.perf_counter(), _children_cpu()
    with open(output or os.devnull, "w", encoding="utf-8") as handle:
        process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=handle, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            rc = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()
            rc = None
    return Run(argv, rc, time.perf_counter() - start, _children_cpu() - start_cpu, output)


def playbook(name, inventory, env, cwd, output, *extra, timeout=1800):
    """ansible-playbook ses_evolution.firewall.NAME -i INVENTORY [extra...]."""
    argv = [which("ansible-playbook", env) or "ansible-playbook", "ses_evolution.firewall.%s" % name,
            "-i", inventory] + list(extra)
    return run(argv, env, cwd, output, timeout=timeout)


# The runs the scale contract covers: migrate, the cleanup gate and dry run (no confirmation: it stops
# before any change, here at the gate, which refuses the mixed versions), and the verify plan.
PLAYBOOKS = (("migrate", ()), ("cleanup", ()), ("verify", ()))


def recap_hosts(text):
    """{host: recap line} of every PLAY RECAP in an ansible-playbook output."""
    hosts = {}
    in_recap = False
    for line in text.splitlines():
        if line.startswith("PLAY RECAP"):
            in_recap = True
            continue
        if in_recap:
            match = RECAP_LINE.match(line)
            if match:
                hosts[match.group(1)] = " ".join(line.split())
            elif line.strip():
                in_recap = False
    return hosts


def play_hosts(text):
    """The inventory hosts (localhost aside) that appear in the PLAY RECAP: each entered a play, even
    when all its tasks were skipped."""
    return sorted(host for host in recap_hosts(text) if host != "localhost")
