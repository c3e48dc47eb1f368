# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of the cleanup gate's probes on 50 backoffice hosts (not run in CI).

The gate reaches every backend, agent handler and console. The hosts of the
limit probe themselves in one play, in parallel within the forks; the others are
probed one after another by delegation. This script times the gate of a dry run
(the playbook stops after the dry run) on a generated inventory of local
connections, three ways:

- all hosts in the limit (parallel, --forks 10, the common case);
- --forks 1 (one host at a time, what the gate cost before it ran in parallel);
- --limit to one backend (every other host probed by delegation, one by one).

    python3 bench/bench_gate_probes.py [--hosts 50] [--forks 10]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time

import yaml

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def inventory(count):
    """``count`` backoffice hosts on 2.7.1: a co-located backend, agent handlers and consoles."""
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    handlers = {"ah%02d" % i: dict(local, ses_address="10.90.1.%d" % i, ses_version="2.7.1")
                for i in range(1, count // 2)}
    consoles = {"con%02d" % i: dict(local, ses_address="10.90.2.%d" % i, ses_version="2.7.1")
                for i in range(1, count - len(handlers))}
    return {"all": {
        "vars": {"ses_public_api_clients": [], "ses_update_server": [], "ses_agent_networks": ["10.91.0.0/16"],
                 "ses_sql_server_addresses": ["10.92.0.1/32"]},
        "children": {
            "ses_backends": {"hosts": {"bo1": dict(local, ses_address="10.90.0.1", ses_version="2.7.1")}},
            "ses_agent_handlers": {"hosts": dict({"bo1": None}, **handlers)},
            "ses_consoles": {"hosts": consoles},
        }}}


def gate(path, *extra):
    """Seconds of a cleanup dry run (the gate, then the dry run's stop)."""
    started = time.monotonic()
    run = subprocess.run(["ansible-playbook", "ses_evolution.firewall.cleanup", "-i", path] + list(extra),
                         cwd=ROOT, text=True, capture_output=True, check=False,
                         env=dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0"))
    elapsed = time.monotonic() - started
    if "Dry run: the gate passed" not in run.stdout:
        raise SystemExit("the gate did not pass:\n" + run.stdout[-3000:])
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--forks", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        path = os.path.join(scratch, "inventory.yml")
        with open(path, "w", encoding="utf-8") as stream:
            yaml.safe_dump(inventory(args.hosts), stream)
        print("%s, Python %s, %d CPU(s); %d backoffice hosts (local connections)"
              % (platform.platform(), platform.python_version(), os.cpu_count(), args.hosts))
        parallel = gate(path, "--forks", str(args.forks))
        serial = gate(path, "--forks", "1")
        limited = gate(path, "--forks", str(args.forks), "--limit", "bo1")
        print("gate, every host in the limit, --forks %d: %.1f s" % (args.forks, parallel))
        print("gate, --forks 1 (one host at a time):    %.1f s" % serial)
        print("gate, --limit bo1 (%d hosts by delegation): %.1f s" % (args.hosts - 1, limited))


if __name__ == "__main__":
    main()
