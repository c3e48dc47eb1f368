#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real TCP connections and UDP datagrams between fleet hosts, for the verify playbook."""

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ses_probe
short_description: Try real TCP connections and UDP datagrams from a host, and confirm their arrival
version_added: 1.0.0
description:
  - The probe behind the C(ses_evolution.firewall.verify) playbook. It runs on the managed hosts in three
    steps, each one call for all of a host's probes.
  - O(mode=listen) on a destination binds each port of O(listen) that no service holds yet, in a
    short-lived background process that accepts TCP connections and records the UDP datagrams it
    receives. Ports held by a service are left to it. The process exits by itself after O(lifetime)
    seconds, so a verify run that dies midway leaves nothing behind.
  - O(mode=probe) on a source tries every probe of O(probes) at once, in parallel. TCP is a full
    connect (the SYN leaves this host, so its outbound rules are exercised, and the destination's
    inbound rules answer). UDP sends one datagram carrying the probe's token.
  - O(mode=collect) on a destination tells which UDP tokens of O(expect) arrived (in the records of
    the background process, or in the files of O(receipt_files) for ports held by a service) and stops
    the background process.
  - Nothing is configured and nothing persists, so the module never reports a change and runs the same
    in check mode.
author:
  - ses_evolution.firewall contributors (!UNKNOWN)
options:
  mode:
    description: The step to run.
    type: str
    required: true
    choices: [listen, probe, collect]
  session:
    description:
      - Names the background listener of one verify run on this host (its pid and record files in
        O(run_dir)). Use the same value for V(listen) and V(collect).
      - Letters, digits, C(.), C(_) and C(-) only.
    type: str
    default: ses-verify
  run_dir:
    description: Where the background listener keeps its pid and its records.
    type: path
    default: /tmp/ses_probe
  listen:
    description: With O(mode=listen), the ports to make sure something listens on.
    type: list
    elements: dict
    default: []
    suboptions:
      protocol:
        description: C(tcp) or C(udp).
        type: str
        required: true
        choices: [tcp, udp]
      port:
        description: The port.
        type: int
        required: true
  lifetime:
    description: With O(mode=listen), the seconds after which the background listener exits by itself.
    type: int
    default: 600
  probes:
    description: With O(mode=probe), the connections to try.
    type: list
    elements: dict
    default: []
    suboptions:
      id:
        description: The probe's identifier, the key of its result.
        type: str
        required: true
      address:
        description: The destination's IPv4 or IPv6 address.
        type: str
        required: true
      protocol:
        description: C(tcp) or C(udp).
        type: str
        required: true
        choices: [tcp, udp]
      port:
        description: The destination port.
        type: int
        required: true
      token:
        description: The payload of the UDP datagram, found again by O(mode=collect).
        type: str
  timeout:
    description: With O(mode=probe), the seconds a TCP connect may take before it counts as blocked.
    type: float
    default: 3
  expect:
    description: With O(mode=collect), the UDP datagrams to look for.
    type: list
    elements: dict
    default: []
    suboptions:
      id:
        description: The probe's identifier.
        type: str
        required: true
      port:
        description: The UDP port the datagram was sent to.
        type: int
        required: true
      token:
        description: The datagram's payload.
        type: str
        required: true
  receipt_files:
    description:
      - With O(mode=collect), files where the services of this host record what they receive (a syslog
        server's log file, for instance). A token found there counts as received.
      - Without them, a datagram to a port held by a service cannot be confirmed and is reported in
        RV(unconfirmable).
    type: list
    elements: path
    default: []
notes:
  - The blocked outcomes are C(timeout) (dropped), C(refused) (a reset, which with verify's listener in place
    means a reject rule), C(unreachable) (ICMP reject) and C(denied) (this host's own output rules, EPERM).
attributes:
  check_mode:
    support: full
    description: Probes change nothing, so they run the same in check mode.
  diff_mode:
    support: none
    description: Nothing is configured, so there is no diff.
  platform:
    support: full
    platforms: posix
    description: Linux and other POSIX hosts with Python; Windows hosts cannot run it.
"""

EXAMPLES = r"""
- name: Listen where no service does (on the destinations)
  ses_evolution.firewall.ses_probe:
    mode: listen
    session: run42
    listen:
      - {protocol: tcp, port: 8443}
      - {protocol: udp, port: 514}

- name: Try the connections (on the sources)
  ses_evolution.firewall.ses_probe:
    mode: probe
    probes:
      - {id: p001, address: 10.77.0.11, protocol: tcp, port: 8443}
      - {id: p002, address: 10.77.0.41, protocol: udp, port: 514, token: ses-verify-run42-p002}
  register: probed
  # probed.outcomes => {"p001": {"status": "open", "detail": "connected in 1 ms"},
  #                    "p002": {"status": "sent", "detail": "datagram sent"}}

- name: Which datagrams arrived (on the destinations); stops the listener
  ses_evolution.firewall.ses_probe:
    mode: collect
    session: run42
    expect:
      - {id: p002, port: 514, token: ses-verify-run42-p002}
    receipt_files: [/var/log/ses-syslog.log]
  register: collected
  # collected.received => ["p002"]
"""

RETURN = r"""
outcomes:
  description: With O(mode=probe), per probe id its C(status) (C(open), C(sent), C(timeout), C(refused),
    C(unreachable), C(denied), C(error)) and a C(detail) text.
  returned: mode is probe
  type: dict
  sample: {"p001": {"status": "open", "detail": "connected in 1 ms"}}
started:
  description: With O(mode=listen), the ports the background listener took.
  returned: mode is listen
  type: list
  elements: dict
  sample: [{"protocol": "udp", "port": 514}]
present:
  description: With O(mode=listen), the ports a service already held.
  returned: mode is listen
  type: list
  elements: dict
  sample: [{"protocol": "tcp", "port": 8443}]
received:
  description: With O(mode=collect), the ids of the datagrams that arrived.
  returned: mode is collect
  type: list
  elements: str
  sample: ["p002"]
unconfirmable:
  description: With O(mode=collect), the ids of datagrams sent to a port held by a service whose
    receipts are unknown (no O(receipt_files)) and not found.
  returned: mode is collect
  type: list
  elements: str
  sample: []
"""

import errno
import json
import os
import re
import selectors
import signal
import socket
import time
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ses_evolution.firewall.plugins.module_utils.sockets import bind_dual_stack

SESSION_PATTERN = re.compile(r"^[A-Za-z0-9._-]+\Z")


def _serve(sockets, records, lifetime):
    """The background listener's loop: accept and close TCP, record UDP payloads, exit after lifetime."""
    selector = selectors.DefaultSelector()
    for (protocol, port), sock in sockets.items():
        selector.register(sock, selectors.EVENT_READ, (protocol, port))
    deadline = time.monotonic() + lifetime
    with open(records, "a", buffering=1, encoding="utf-8") as out:
        while time.monotonic() < deadline:
            for key, dummy in selector.select(timeout=1):
                protocol, port = key.data
                try:
                    if protocol == "tcp":
                        key.fileobj.accept()[0].close()
                    else:
                        data = key.fileobj.recvfrom(4096)[0]
                        out.write("udp %d %s\n" % (port, data.decode("utf-8", "replace").strip()))
                except OSError:
                    continue


def _paths(run_dir, session):
    base = os.path.join(run_dir, session)
    return base + ".pid", base + ".records", base + ".ports"


def _stop(pid_file):
    try:
        with open(pid_file) as handle:
            pid = int(handle.read().strip())
        os.kill(pid, signal.SIGTERM)
    except (OSError, ValueError):
        pass
    try:
        os.unlink(pid_file)
    except OSError:
        pass


def do_listen(module, run_dir, session):
    pid_file, records, ports_file = _paths(run_dir, session)
    _stop(pid_file)  # a listener left by an earlier run of the same session
    sockets, started, present = {}, [], []
    for item in module.params["listen"]:
        key = (item["protocol"], item["port"])
        if key in sockets:
            continue
        try:
            sockets[key] = bind_dual_stack(*key)
            started.append({"protocol": key[0], "port": key[1]})
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                module.fail_json(msg="cannot listen on %s/%d: %s" % (key[0], key[1], exc))
            present.append({"protocol": key[0], "port": key[1]})
    with open(ports_file, "w") as handle:
        json.dump(started, handle)
    open(records, "w").close()
    if not sockets:
        return dict(changed=False, started=started, present=present)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the background listener
        os.setsid()
        if os.fork() != 0:
            os._exit(0)
        # Close the module's output, or the controller would wait for the listener to exit.
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        try:
            with open(pid_file, "w") as handle:
                handle.write(str(os.getpid()))
            _serve(sockets, records, module.params["lifetime"])
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    for sock in sockets.values():
        sock.close()
    deadline = time.monotonic() + 5
    while not os.path.exists(pid_file) and time.monotonic() < deadline:
        time.sleep(0.02)
    return dict(changed=False, started=started, present=present)


def _probe_one(probe, timeout):
    family = socket.AF_INET6 if ":" in probe["address"] else socket.AF_INET
    kind = socket.SOCK_STREAM if probe["protocol"] == "tcp" else socket.SOCK_DGRAM
    sock = socket.socket(family, kind)
    sock.settimeout(timeout)
    start = time.monotonic()
    try:
        if probe["protocol"] == "tcp":
            sock.connect((probe["address"], probe["port"]))
            return {"status": "open", "detail": "connected in %d ms" % ((time.monotonic() - start) * 1000)}
        sock.sendto((probe.get("token") or probe["id"]).encode(), (probe["address"], probe["port"]))
        return {"status": "sent", "detail": "datagram sent"}
    except socket.timeout:
        return {"status": "timeout", "detail": "no answer in %gs (dropped)" % timeout}
    except OSError as exc:
        status = {errno.ECONNREFUSED: "refused", errno.EHOSTUNREACH: "unreachable",
                  errno.ENETUNREACH: "unreachable", errno.EACCES: "unreachable",
                  errno.EPERM: "denied"}.get(exc.errno, "error")
        return {"status": status, "detail": "%s (%s)" % (os.strerror(exc.errno or 0), status)}
    finally:
        sock.close()


def do_probe(module):
    probes = module.params["probes"]
    if not probes:
        return dict(changed=False, outcomes={})
    with ThreadPoolExecutor(max_workers=min(64, len(probes))) as pool:
        outcomes = list(pool.map(lambda probe: _probe_one(probe, module.params["timeout"]), probes))
    return dict(changed=False, outcomes={probe["id"]: outcome for probe, outcome in zip(probes, outcomes)})


def _read(path):
    try:
        with open(path, errors="replace") as handle:
            return handle.read()
    except OSError:
        return ""


def do_collect(module, run_dir, session):
    pid_file, records, ports_file = _paths(run_dir, session)
    _stop(pid_file)
    try:
        with open(ports_file) as handle:
            ours = {item["port"] for item in json.load(handle) if item["protocol"] == "udp"}
    except (OSError, ValueError):
        ours = set()
    own = _read(records)
    services = "".join(_read(path) for path in module.params["receipt_files"])
    received, unconfirmable = [], []
    for item in module.params["expect"]:
        if item["token"] in own or item["token"] in services:
            received.append(item["id"])
        elif item["port"] not in ours and not module.params["receipt_files"]:
            unconfirmable.append(item["id"])
    for path in (records, ports_file):
        try:
            os.unlink(path)
        except OSError:
            pass
    return dict(changed=False, received=received, unconfirmable=unconfirmable)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            mode=dict(type="str", required=True, choices=["listen", "probe", "collect"]),
            session=dict(type="str", default="ses-verify"),
            run_dir=dict(type="path", default="/tmp/ses_probe"),
            listen=dict(type="list", elements="dict", default=[], options=dict(
                protocol=dict(type="str", required=True, choices=["tcp", "udp"]),
                port=dict(type="int", required=True))),
            lifetime=dict(type="int", default=600),
            probes=dict(type="list", elements="dict", default=[], options=dict(
                id=dict(type="str", required=True),
                address=dict(type="str", required=True),
                protocol=dict(type="str", required=True, choices=["tcp", "udp"]),
                port=dict(type="int", required=True),
                token=dict(type="str", no_log=False))),
            timeout=dict(type="float", default=3),
            expect=dict(type="list", elements="dict", default=[], options=dict(
                id=dict(type="str", required=True),
                port=dict(type="int", required=True),
                token=dict(type="str", required=True, no_log=False))),
            receipt_files=dict(type="list", elements="path", default=[]),
        ),
        supports_check_mode=True,
    )
    session = module.params["session"]
    if not SESSION_PATTERN.match(session):
        module.fail_json(msg="session %r: use letters, digits, '.', '_' and '-' only" % session)
    run_dir = module.params["run_dir"]
    mode = module.params["mode"]
    if mode == "probe":
        module.exit_json(**do_probe(module))
    try:
        os.makedirs(run_dir, mode=0o700, exist_ok=True)
    except OSError as exc:
        module.fail_json(msg="cannot create run_dir %s: %s" % (run_dir, exc))
    if mode == "listen":
        module.exit_json(**do_listen(module, run_dir, session))
    module.exit_json(**do_collect(module, run_dir, session))


if __name__ == "__main__":
    main()
