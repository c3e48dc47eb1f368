# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The perimeter playbook's nftables rendering, loaded on a Linux router between two subnets, on real packets.

Three network namespaces (names unique per process): users (10.20.0.0/16: the
console con1 10.20.0.21, an agent of ses_agent_networks 10.20.1.10, the syslog
server log1 10.20.2.41), servers (10.10.0.0/24: bo1 10.10.0.11, a backend sharing
its machine with an agent handler; the agent handler ah2 10.10.0.12; sql1
10.10.0.31) and the router joining them (IP forwarding on, no route out of the
lab). The router loads aerleon's nftables rendering (forward hook) of the policy
the playbook exports for the example of docs/perimeter.md, first for migrate, then for cleanup. Expectations come from
the vendor's table: the console reaches the co-located bo1 on TCP 443 (2.6,
legacy) and TCP 8443 (2.7.1); agents reach each agent handler on TCP 17000 (older
agents, kept until the agents' gate) and TCP 443; the agent handlers send syslog
on UDP 514, TCP 1468 and TCP 5614 to log1, across the router the other way.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TAG = "pe%04x" % (os.getpid() % 0x10000)
USERS, SERVERS, ROUTER = TAG + "-u", TAG + "-s", TAG + "-r"
CON1, AGENT, LOG1 = "10.20.0.21", "10.20.1.10", "10.20.2.41"
BO1, AH2, SQL1 = "10.10.0.11", "10.10.0.12", "10.10.0.31"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("nft") or not shutil.which("ansible-playbook"),
    reason="needs root, nftables and ansible-playbook")

# The documented example: bo1, ah2, sql1 in servers; con1, the agents and log1 in users; device edge_fw.
INVENTORY = os.path.join(ROOT, "examples", "perimeter", "inventory.yml")

# Listens on every port a probe may try; TCP accepts, UDP echoes.
LISTENER = r"""
import select, socket, sys
socks = []
# Bound to each address: a UDP reply must leave from the address the probe was sent to.
for address in sys.argv[1].split(","):
    for proto, port in [item.split("/") for item in sys.argv[2:]]:
        kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
        s = socket.socket(socket.AF_INET, kind)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((address, int(port)))
        if proto == "tcp":
            s.listen(16)
        socks.append((proto, s))
print("ready", flush=True)
while True:
    ready, _, _ = select.select([s for _, s in socks], [], [])
    for proto, s in socks:
        if s in ready:
            if proto == "tcp":
                s.accept()[0].close()
            else:
                data, peer = s.recvfrom(64)
                s.sendto(data, peer)
"""

# Runs a list of probes [source, destination, proto, port] and prints whether each got through.
PROBER = r"""
import json, socket, sys
results = []
for source, destination, proto, port in json.loads(sys.argv[1]):
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    s = socket.socket(socket.AF_INET, kind)
    s.settimeout(0.6)
    s.bind((source, 0))
    try:
        if proto == "tcp":
            ok = s.connect_ex((destination, port)) == 0
        else:
            s.sendto(b"ses", (destination, port))
            ok = s.recvfrom(64)[0] == b"ses"
    except OSError:
        ok = False
    s.close()
    results.append(ok)
print(json.dumps(results))
"""

SERVER_PORTS = ["tcp/443", "tcp/8443", "tcp/17000", "tcp/10443", "tcp/1433", "tcp/22", "udp/1434", "udp/514"]
USER_PORTS = ["tcp/443", "tcp/1468", "tcp/5614", "tcp/22", "udp/514", "udp/515"]


def sh(*args, namespace=None):
    command = (["ip", "netns", "exec", namespace] if namespace else []) + list(args)
    return subprocess.run(command, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True).stdout


def teardown():
    for namespace in (USERS, SERVERS, ROUTER):
        pids = subprocess.run(["ip", "netns", "pids", namespace], check=False, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), 9)
            except OSError:
                pass
        subprocess.run(["ip", "netns", "del", namespace], check=False, stderr=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def lab():
    teardown()
    listeners = []
    try:
        for namespace in (USERS, SERVERS, ROUTER):
            sh("ip", "netns", "add", namespace)
            sh("ip", "link", "set", "lo", "up", namespace=namespace)
        for side, peer, router_address, addresses, route in (
                (USERS, "u", "10.20.255.254/16", ["%s/16" % CON1, "%s/16" % AGENT, "%s/16" % LOG1], "10.10.0.0/24"),
                (SERVERS, "s", "10.10.0.254/24", ["%s/24" % BO1, "%s/24" % AH2, "%s/24" % SQL1], "10.20.0.0/16")):
            outer, inner = TAG + peer + "0", TAG + peer + "1"
            sh("ip", "link", "add", outer, "netns", ROUTER, "type", "veth", "peer", "name", inner, "netns", side)
            sh("ip", "addr", "add", router_address, "dev", outer, namespace=ROUTER)
            sh("ip", "link", "set", outer, "up", namespace=ROUTER)
            for address in addresses:
                sh("ip", "addr", "add", address, "dev", inner, namespace=side)
            sh("ip", "link", "set", inner, "up", namespace=side)
            # Only the other subnet, through the router: no default route, nothing leaves the lab.
            sh("ip", "route", "add", route, "via", router_address.split("/", maxsplit=1)[0], namespace=side)
        sh("sysctl", "-qw", "net.ipv4.ip_forward=1", namespace=ROUTER)
        for namespace, addresses, ports in ((SERVERS, [BO1, AH2, SQL1], SERVER_PORTS),
                                            (USERS, [CON1, AGENT, LOG1], USER_PORTS)):
            process = subprocess.Popen(["ip", "netns", "exec", namespace, sys.executable, "-c", LISTENER,
                                        ",".join(addresses)] + ports,
                                       stdout=subprocess.PIPE, text=True)
            listeners.append(process)
            assert process.stdout.readline().strip() == "ready"
        yield
    finally:
        for process in listeners:
            process.kill()
            process.wait()
        teardown()


def load_policy(tmp_path, phase):
    """Run the perimeter playbook for the phase and load its nftables rendering on the router."""
    report = tmp_path / "report"
    env = dict(os.environ, ANSIBLE_NOCOLOR="1")
    run = subprocess.run(["ansible-playbook", "ses_evolution.firewall.perimeter", "-i", INVENTORY,
                          "-e", "ses_phase=%s" % phase, "-e", "ses_report_dir=%s" % report],
                         cwd=ROOT, env=env, check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert run.returncode == 0, run.stdout
    # Where docs/perimeter.md's aclgen command finds the policy.
    assert (report / "perimeter" / phase / "policies" / "pol" / "edge_fw.yaml").is_file()
    rendered = report / "perimeter" / phase / "out" / "edge_fw.nft"
    sh("nft", "flush", "ruleset", namespace=ROUTER)
    sh("nft", "-f", str(rendered), namespace=ROUTER)
    assert "hook forward" in sh("nft", "list", "ruleset", namespace=ROUTER)
    return rendered.read_text()


def probe(namespace, probes):
    results = json.loads(sh(sys.executable, "-c", PROBER, json.dumps(probes), namespace=namespace))
    return dict(zip(map(tuple, probes), results))


CROSSING_BOTH_PHASES = [
    (USERS, [CON1, BO1, "tcp", 8443], "console -> co-located backend, 2.7.1"),
    (USERS, [AGENT, BO1, "tcp", 443], "agent -> agent handler bo1, 2.7.1"),
    (USERS, [AGENT, BO1, "tcp", 17000], "older agent -> agent handler bo1"),
    (USERS, [AGENT, AH2, "tcp", 443], "agent -> agent handler ah2, 2.7.1"),
    (USERS, [AGENT, AH2, "tcp", 17000], "older agent -> agent handler ah2"),
    (SERVERS, [BO1, LOG1, "udp", 514], "agent handler bo1 -> syslog"),
    (SERVERS, [AH2, LOG1, "udp", 514], "agent handler ah2 -> syslog"),
    (SERVERS, [BO1, LOG1, "tcp", 1468], "agent handler bo1 -> syslog"),
    (SERVERS, [AH2, LOG1, "tcp", 5614], "agent handler ah2 -> syslog"),
]
LEGACY = [(USERS, [CON1, BO1, "tcp", 443], "console -> co-located backend, 2.6 (legacy)")]
BLOCKED_BOTH_PHASES = [
    (USERS, [CON1, BO1, "tcp", 10443], "public API: no client declared"),
    (USERS, [CON1, BO1, "tcp", 22], "no SES flow"),
    (USERS, [AGENT, BO1, "tcp", 8443], "agents never use 8443"),
    (USERS, [CON1, AH2, "tcp", 443], "the console talks to the backend only"),
    (USERS, [CON1, SQL1, "tcp", 1433], "SQL is the backend's"),
    (USERS, [AGENT, BO1, "udp", 1434], "no SES flow"),
    (USERS, [AGENT, AH2, "udp", 514], "syslog goes the other way"),
    (SERVERS, [BO1, LOG1, "udp", 515], "not a syslog port"),
    (SERVERS, [BO1, CON1, "tcp", 443], "reverse of a crossing flow"),
    (SERVERS, [SQL1, LOG1, "tcp", 1468], "sql1 sends no syslog"),
]


def check(expectations):
    by_namespace = {}
    for namespace, item, _why in expectations:
        by_namespace.setdefault(namespace, []).append(item)
    got = {}
    for namespace, probes in by_namespace.items():
        got.update(probe(namespace, probes))
    return got


@pytest.mark.parametrize("phase", ["migrate", "cleanup"])
def test_the_router_passes_the_crossing_flows_and_nothing_else(lab, tmp_path, phase):
    started = time.monotonic()
    load_policy(tmp_path, phase)
    passing = CROSSING_BOTH_PHASES + (LEGACY if phase == "migrate" else [])
    blocked = BLOCKED_BOTH_PHASES + (LEGACY if phase == "cleanup" else [])
    got = check(passing + blocked)
    wrong = ["%s %s should %s (%s)" % (phase, item, "pass" if should else "be blocked", why)
             for should, group in ((True, passing), (False, blocked)) for _ns, item, why in group
             if got[tuple(item)] != should]
    assert not wrong, wrong
    assert time.monotonic() - started < 60
