# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Linux apply benchmark: the linux_firewall role against one ansible.builtin.iptables call per rule.

    sudo python3 bench/bench_linux_apply.py [--hosts 5] [--rules 30]

Builds HOSTS network namespaces (``lfb-h1`` ...; no interfaces but loopback, so no
traffic can leave them), reached by Ansible through ``ansible_connection: local``
and an ``ip netns exec`` interpreter wrapper, as in the lab. Each host gets RULES
matrix-shaped rules (TCP/UDP ports from distinct /32 peers, a few IPv6 and "any").

Measured, with the default 5 forks (all hosts in parallel):
- the role (iptables backend, the same chains as the baseline), first apply and rerun;
- the role with the nftables backend, first apply and rerun;
- the baseline: the same rules, one ``ansible.builtin.iptables`` task call per rule
  (a loop item each, IPv4 and IPv6 as the rule needs), plus the chain and its jump,
  first apply and rerun;
- the number of tasks the role runs per host with RULES/3, RULES and 3*RULES rules.
Prints the figures as a Markdown table (for docs/performance.md) and tears down.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

__metaclass__ = type

PREFIX = "lfb-"
ROLE_PLAY = """
- name: Apply with the linux_firewall role
  hosts: all
  gather_facts: false
  tasks:
    - name: Apply the rules
      ansible.builtin.include_role:
        name: ses_evolution.firewall.linux_firewall
      vars:
        linux_firewall_rules: "{{ bench_rules }}"
"""
BASELINE_PLAY = """
- name: Apply with one ansible.builtin.iptables task per rule
  hosts: all
  gather_facts: false
  tasks:
    - name: Create the chain
      ansible.builtin.iptables:
        chain: SES_IN
        chain_management: true
        ip_version: "{{ item }}"
      loop: [ipv4, ipv6]
    - name: Accept established traffic
      ansible.builtin.iptables:
        chain: SES_IN
        ctstate: [ESTABLISHED, RELATED]
        jump: ACCEPT
        ip_version: "{{ item }}"
      loop: [ipv4, ipv6]
    - name: One task per rule and family
      ansible.builtin.iptables:
        chain: SES_IN
        protocol: "{{ item.0.protocol }}"
        source: "{{ omit if item.1 == 'any' else item.1 }}"
        destination_port: "{{ item.0.port | string }}"
        comment: "{{ item.0.name }}"
        jump: ACCEPT
        ip_version: "{{ 'ipv6' if ':' in item.1 else 'ipv4' }}"
      loop: "{{ bench_rules | subelements('peers') }}"
    - name: Jump to the chain
      ansible.builtin.iptables:
        chain: INPUT
        jump: SES_IN
        action: insert
        ip_version: "{{ item }}"
      loop: [ipv4, ipv6]
"""


def run(*args, check=True):
    return subprocess.run(list(args), check=check, text=True, capture_output=True)


def bench_rules(count):
    rules = []
    for index in range(count):
        if index % 10 == 9:
            peers = ["any"]
        elif index % 7 == 6:
            peers = ["2001:db8:5::%x/128" % (index + 1)]
        else:
            peers = ["10.88.%d.%d/32" % (index // 200, index % 200 + 1)]
        rules.append({"name": "in_bench_%s%d_new" % ("udp" if index % 5 == 4 else "tcp", 20000 + index),
                      "direction": "in", "protocol": "udp" if index % 5 == 4 else "tcp", "port": 20000 + index,
                      "peers": peers, "purpose": "benchmark", "lifecycle": "new"})
    return rules


def namespaces_up(hosts, base):
    inventory = {}
    for number in range(1, hosts + 1):
        name = "h%d" % number
        namespace = PREFIX + name
        run("ip", "netns", "del", namespace, check=False)
        run("ip", "netns", "add", namespace)
        run("ip", "-n", namespace, "link", "set", "lo", "up")
        wrapper = os.path.join(base, name + "-python")
        with open(wrapper, "w") as handle:
            handle.write('#!/bin/sh\nexec ip netns exec %s %s "$@"\n' % (namespace, sys.executable))
        os.chmod(wrapper, 0o755)
        root = os.path.join(base, name)
        inventory[name] = {
            "ansible_connection": "local", "ansible_python_interpreter": wrapper,
            "linux_firewall_state_dir": root + "/state", "linux_firewall_nftables_file": root + "/ses.nft",
            "linux_firewall_nftables_conf": root + "/nftables.conf",
            "linux_firewall_iptables_rules_v4": root + "/rules.v4",
            "linux_firewall_iptables_rules_v6": root + "/rules.v6", "linux_firewall_enable_service": False,
        }
    path = os.path.join(base, "inventory.json")
    with open(path, "w") as handle:
        json.dump({"all": {"hosts": inventory}}, handle)
    return path


def namespaces_down(hosts):
    for number in range(1, hosts + 1):
        namespace = "%sh%d" % (PREFIX, number)
        for pid in run("ip", "netns", "pids", namespace, check=False).stdout.split():
            run("kill", "-9", pid, check=False)
        run("ip", "netns", "del", namespace, check=False)


def reset_firewalls(hosts):
    for number in range(1, hosts + 1):
        namespace = "%sh%d" % (PREFIX, number)
        run("ip", "netns", "exec", namespace, "nft", "flush", "ruleset", check=False)


def playbook(base, inventory, text, rules, extra=None):
    """(seconds, {host: {ok, changed, skipped, ...}}) of one ansible-playbook run."""
    play = os.path.join(base, "play.yml")
    with open(play, "w") as handle:
        handle.write(text)
    variables = dict(extra or {}, bench_rules=rules)
    with open(os.path.join(base, "vars.json"), "w") as handle:
        json.dump(variables, handle)
    started = time.monotonic()
    result = subprocess.run(["ansible-playbook", "-i", inventory, play, "-e", "@" + os.path.join(base, "vars.json")],
                            text=True, capture_output=True, check=False, env=dict(os.environ, ANSIBLE_NOCOLOR="1"))
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit("ansible-playbook failed:\n%s\n%s" % (result.stdout[-4000:], result.stderr[-2000:]))
    recap = {}
    for host, counters in re.findall(r"^(\S+)\s+:\s+(ok=.*)$", result.stdout, re.M):
        recap[host] = dict((key, int(value)) for key, value in re.findall(r"(\w+)=(\d+)", counters))
    return elapsed, recap


def total(recap, key):
    return sum(counters.get(key, 0) for counters in recap.values())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=5)
    parser.add_argument("--rules", type=int, default=30)
    options = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root: the benchmark creates network namespaces")
    rules = bench_rules(options.rules)
    base = tempfile.mkdtemp(prefix="lfb-")
    inventory = namespaces_up(options.hosts, base)
    figures = []
    try:
        ipt = {"linux_firewall_backend": "iptables"}
        role_first, role_first_recap = playbook(base, inventory, ROLE_PLAY, rules, ipt)
        role_again, role_again_recap = playbook(base, inventory, ROLE_PLAY, rules, ipt)
        reset_firewalls(options.hosts)
        nft_first, _nft_first_recap = playbook(base, inventory, ROLE_PLAY, rules)
        nft_again, nft_again_recap = playbook(base, inventory, ROLE_PLAY, rules)
        reset_firewalls(options.hosts)
        base_first, _base_first_recap = playbook(base, inventory, BASELINE_PLAY, rules)
        base_again, base_again_recap = playbook(base, inventory, BASELINE_PLAY, rules)
        tasks = {}
        for count in (max(options.rules // 3, 1), options.rules, options.rules * 3):
            reset_firewalls(options.hosts)
            _elapsed, recap = playbook(base, inventory, ROLE_PLAY, bench_rules(count), ipt)
            tasks[count] = sorted(set(c["ok"] + c["skipped"] + c["failed"] for c in recap.values()))
        figures = [
            ("role, iptables backend: first apply", role_first, total(role_first_recap, "changed")),
            ("role, iptables backend: rerun", role_again, total(role_again_recap, "changed")),
            ("role, nftables backend: first apply", nft_first, None),
            ("role, nftables backend: rerun", nft_again, total(nft_again_recap, "changed")),
            ("one ansible.builtin.iptables task per rule: first apply", base_first, None),
            ("one ansible.builtin.iptables task per rule: rerun", base_again, total(base_again_recap, "changed")),
        ]
    finally:
        namespaces_down(options.hosts)
    print("%d hosts, %d rules each (%d iptables calls per host in the baseline), forks 5"
          % (options.hosts, options.rules, sum(len(rule["peers"]) for rule in rules) + 6))
    print("| run | seconds | changed (all hosts) |\n|---|---|---|")
    for label, seconds, changed in figures:
        print("| %s | %.1f | %s |" % (label, seconds, "-" if changed is None else changed))
    print("\nratio, first apply (baseline / role, iptables): %.1fx" % (base_first / role_first))
    print("ratio, rerun (baseline / role, iptables): %.1fx" % (base_again / role_again))
    per_count = ["%d rules: %s" % (count, "/".join(map(str, seen))) for count, seen in sorted(tasks.items())]
    print("tasks per host by rule count (role): %s" % ", ".join(per_count))


if __name__ == "__main__":
    main()
