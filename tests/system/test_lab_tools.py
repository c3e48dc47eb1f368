# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's two servers (listener.py, prober.py serve), run as the lab runs them: as scripts.

Both bind through tests/lab/lab_sockets.py. Here they serve on loopback in this
namespace, on free ports, and answer over IPv4 and IPv6 alike (dual stack): a TCP
banner naming the host, and for UDP a receipt (listener) or an echo (prober).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest

__metaclass__ = type

LAB = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lab")


def _has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


ADDRESSES = ["127.0.0.1"] + (["::1"] if _has_ipv6_loopback() else [])


def _free_port():
    """A port free for TCP and UDP at once (another process may still take it: the test then fails loudly)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                    udp.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue


def _start(arguments, ready_word):
    process = subprocess.Popen([sys.executable] + arguments, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    line = process.stdout.readline()
    if ready_word not in line:
        process.kill()
        raise AssertionError("the server did not start: %r %s" % (line, process.stderr.read()))
    return process


def _banner(address, port):
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect((address, port))
        return sock.recv(100)


@pytest.fixture()
def ports():
    return _free_port(), _free_port()


def test_listener_serves_both_stacks(tmp_path, ports):
    tcp, udp = ports
    receipts = tmp_path / "receipts"
    process = _start([os.path.join(LAB, "listener.py"), "--name", "h1", "--tcp", str(tcp), "--udp", str(udp),
                      "--receipts", str(receipts)], "listening")
    try:
        for address in ADDRESSES:
            assert _banner(address, tcp) == b"ses-lab h1\n", address
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            with socket.socket(family, socket.SOCK_DGRAM) as sock:
                sock.sendto(("token-" + address).encode(), (address, udp))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and receipts.read_text().count("\n") < len(ADDRESSES):
            time.sleep(0.05)
        received = receipts.read_text()
        for address in ADDRESSES:
            assert "udp %d" % udp in received and "token-" + address in received, received
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_prober_serve_serves_both_stacks(ports):
    tcp, udp = ports
    process = _start([os.path.join(LAB, "prober.py"), "serve", "--name", "h2", "--tcp", str(tcp),
                      "--udp", str(udp)], "serving")
    try:
        for address in ADDRESSES:
            assert _banner(address, tcp) == b"ses-lab h2\n", address
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            with socket.socket(family, socket.SOCK_DGRAM) as sock:
                sock.settimeout(5)
                sock.sendto(b"echo", (address, udp))
                assert sock.recvfrom(100)[0] == b"echo", address
    finally:
        process.terminate()
        process.wait(timeout=10)
