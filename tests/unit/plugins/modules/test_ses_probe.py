# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ses_probe's three steps with real sockets on the loopback interface."""

from __future__ import annotations

import os
import socket
import time

import pytest

from ansible_collections.ses_evolution.firewall.plugins.modules import ses_probe

__metaclass__ = type


class FakeModule:
    """The parts of AnsibleModule the steps use."""

    def __init__(self, **params):
        self.params = dict(listen=[], probes=[], expect=[], receipt_files=[], timeout=2, lifetime=30)
        self.params.update(params)

    def fail_json(self, **kwargs):
        raise AssertionError(kwargs)


def free_port(kind):
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_probe_tcp_open_and_refused():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    closed = free_port(socket.SOCK_STREAM)
    try:
        result = ses_probe.do_probe(FakeModule(probes=[
            {"id": "a", "address": "127.0.0.1", "protocol": "tcp", "port": server.getsockname()[1], "token": None},
            {"id": "b", "address": "127.0.0.1", "protocol": "tcp", "port": closed, "token": None},
        ]))
    finally:
        server.close()
    assert result["outcomes"]["a"]["status"] == "open"
    assert result["outcomes"]["b"]["status"] == "refused"
    assert result["changed"] is False


def test_listen_probe_collect_cycle(tmp_path):
    tcp, udp, lost = free_port(socket.SOCK_STREAM), free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM)
    taken = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)  # a "service" already holds this port
    taken.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    taken.bind(("::", 0))
    taken.listen(1)
    busy = taken.getsockname()[1]
    run_dir, session = str(tmp_path), "unit-test"
    try:
        listened = ses_probe.do_listen(FakeModule(listen=[
            {"protocol": "tcp", "port": tcp}, {"protocol": "udp", "port": udp},
            {"protocol": "tcp", "port": busy}]), run_dir, session)
        assert {"protocol": "tcp", "port": busy} in listened["present"]
        assert {"protocol": "tcp", "port": tcp} in listened["started"]
        probed = ses_probe.do_probe(FakeModule(probes=[
            {"id": "t", "address": "127.0.0.1", "protocol": "tcp", "port": tcp, "token": None},
            {"id": "u", "address": "127.0.0.1", "protocol": "udp", "port": udp, "token": "tok-u-42"},
        ]))
        assert probed["outcomes"]["t"]["status"] == "open"
        assert probed["outcomes"]["u"]["status"] == "sent"
        time.sleep(0.3)  # the background listener records the datagram
        collected = ses_probe.do_collect(FakeModule(expect=[
            {"id": "u", "port": udp, "token": "tok-u-42"},
            {"id": "never-sent", "port": udp, "token": "tok-none"},
            {"id": "service", "port": lost, "token": "tok-lost"},
        ]), run_dir, session)
    finally:
        taken.close()
    assert collected["received"] == ["u"]
    # Sent to a port the listener held but not received: blocked, not unconfirmable.
    assert "never-sent" not in collected["unconfirmable"]
    # A port the listener did not hold, no receipt files: its arrival cannot be observed.
    assert collected["unconfirmable"] == ["service"]
    assert not os.listdir(run_dir)  # pid, ports and records removed
    # The listener was stopped: the port is free again.
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", tcp), 0.5):
                pass
        except OSError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the background listener still accepts after collect")


def test_collect_reads_receipt_files(tmp_path):
    receipts = tmp_path / "syslog.log"
    receipts.write_text("Nov 26 host ses-verify-x-p007\n")
    collected = ses_probe.do_collect(FakeModule(
        expect=[{"id": "p007", "port": 514, "token": "ses-verify-x-p007"},
                {"id": "p008", "port": 514, "token": "ses-verify-x-p008"}],
        receipt_files=[str(receipts)]), str(tmp_path / "run"), "s")
    assert collected == {"changed": False, "received": ["p007"], "unconfirmable": []}
