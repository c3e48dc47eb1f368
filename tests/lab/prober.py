# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Continuous traffic across a firewall change: does any allowed flow drop while the rules are replaced?

    python3 prober.py serve --name HOST --tcp 443,8443 --udp 514        (in a server's namespace)
    python3 prober.py probe --flows FLOWS.json --out RESULT.json [--rate 10] (in a source's namespace)

``serve`` answers on the given ports: a TCP connection gets one banner line, then
every line it sends is echoed until it closes; a UDP datagram is sent back to its
sender. It stands in for the lab's listener.py, whose connections close after the
banner, because a long-lived connection needs a peer that keeps talking.

``probe`` reads a JSON list of flows (``{"id", "address", "protocol", "port"}``)
and, until SIGTERM or SIGINT, per flow and at ``--rate`` attempts per second:
- TCP: opens a new connection and reads the banner. The attempt fails on an error,
  on no banner within the timeout, or when the kernel had to retransmit (a SYN or
  SYN-ACK was dropped and resent: ``tcpi_total_retrans`` of TCP_INFO), so a drop
  shorter than the timeout is still counted and a slow machine is not;
- UDP: sends a token from a new socket and waits for its echo (a lost datagram is
  never resent, so the timeout only has to exceed scheduling delays);
- TCP only: one long-lived connection, opened at the start, exchanging one line per
  tick. A line needing a retransmission or an echo later than the timeout is a
  failed exchange; a reset or close means the connection did not survive.
On exit it writes per flow the attempts made and failed (with the first failures'
times and reasons) and the long-lived connection's exchanges, and whether it
survived. Stdlib only: it runs wherever the lab does.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import selectors
import signal
import socket
import struct
import sys
import time

from lab_sockets import bind  # the lab's one binding; this folder is on sys.path when run as a script

__metaclass__ = type

TCP_INFO_SIZE = 104
TOTAL_RETRANS_OFFSET = 100  # struct tcp_info: 8 bytes of u8 fields, then u32 fields; total_retrans is the 24th
KEPT_FAILURES = 20


def total_retrans(sock):
    """Segments the kernel retransmitted on this socket (SYNs included); 0 when the kernel does not say."""
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, TCP_INFO_SIZE)
    except OSError:
        return 0
    if len(info) < TCP_INFO_SIZE:
        return 0
    return struct.unpack_from("I", info, TOTAL_RETRANS_OFFSET)[0]


# ----------------------------------------------------------------------------------------- serve
def _ports(text):
    return [int(item) for item in (text or "").split(",") if item.strip()]


def serve(args):
    selector = selectors.DefaultSelector()
    for port in _ports(args.tcp):
        selector.register(bind("tcp", port), selectors.EVENT_READ, ("listen", port))
    for port in _ports(args.udp):
        selector.register(bind("udp", port), selectors.EVENT_READ, ("udp", port))
    banner = ("ses-lab %s\n" % args.name).encode()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("serving: tcp %s udp %s" % (args.tcp or "-", args.udp or "-"), flush=True)
    while True:
        for key, _events in selector.select():
            kind, _port = key.data
            sock = key.fileobj
            try:
                if kind == "listen":
                    conn, _peer = sock.accept()
                    conn.setblocking(False)
                    conn.send(banner)  # a few bytes into an empty send buffer: never partial
                    selector.register(conn, selectors.EVENT_READ, ("conn", None))
                elif kind == "udp":
                    data, peer = sock.recvfrom(4096)
                    sock.sendto(data, peer)
                else:
                    data = sock.recv(4096)
                    if data:
                        sock.send(data)  # the echo of a short line
                    else:
                        selector.unregister(sock)
                        sock.close()
            except OSError:
                if kind == "conn":
                    selector.unregister(sock)
                    sock.close()


# ----------------------------------------------------------------------------------------- probe
class Stats:
    """Attempts made and failed for one flow, with the first failures."""

    def __init__(self):
        self.attempts = 0
        self.failures = 0
        self.examples = []

    def record(self, ok, started, reason):
        self.attempts += 1
        if not ok:
            self.failures += 1
            if len(self.examples) < KEPT_FAILURES:
                self.examples.append({"at": round(started, 3), "reason": reason})

    def as_dict(self):
        return {"attempts": self.attempts, "failed": self.failures, "failures": self.examples}


class Attempt:
    """One new TCP connection or one UDP token, in flight."""

    def __init__(self, flow, started, timeout):
        self.flow = flow
        self.started = started
        self.deadline = started + timeout
        self.sock = None
        self.connected = False
        self.token = None


class LongLived:
    """The flow's long-lived TCP connection: one line out and its echo per tick."""

    def __init__(self, flow):
        self.flow = flow
        self.sock = None
        self.buffer = b""
        self.banner = False
        self.sent_at = None
        self.counter = 0
        self.retrans = 0
        self.stats = Stats()
        self.broken = None


class Prober:
    def __init__(self, flows, rate, timeout, clock=time.monotonic):
        self.flows = flows
        self.interval = 1.0 / rate
        self.timeout = timeout
        self.clock = clock
        self.origin = clock()
        self.selector = selectors.DefaultSelector()
        self.stats = {flow["id"]: Stats() for flow in flows}
        self.pending = {}
        self.long = {}
        self.stopping = False
        self.max_lag = 0.0

    def at(self, moment):
        return moment - self.origin

    # -- new attempts
    def start_attempt(self, flow, now):
        attempt = Attempt(flow, now, self.timeout)
        family = socket.AF_INET6 if ":" in flow["address"] else socket.AF_INET
        try:
            if flow["protocol"] == "tcp":
                attempt.sock = socket.socket(family, socket.SOCK_STREAM)
                attempt.sock.setblocking(False)
                code = attempt.sock.connect_ex((flow["address"], flow["port"]))
                if code not in (0, errno.EINPROGRESS):
                    raise OSError(code, os.strerror(code))
                self.selector.register(attempt.sock, selectors.EVENT_WRITE | selectors.EVENT_READ, attempt)
            else:
                attempt.sock = socket.socket(family, socket.SOCK_DGRAM)
                attempt.sock.setblocking(False)
                attempt.sock.connect((flow["address"], flow["port"]))
                attempt.token = ("ses-probe %s %d %.6f" % (flow["id"], self.stats[flow["id"]].attempts, now)).encode()
                attempt.sock.send(attempt.token)
                self.selector.register(attempt.sock, selectors.EVENT_READ, attempt)
        except OSError as error:
            self.finish(attempt, False, "send: %s" % error)
            return
        self.pending[attempt.sock] = attempt

    def finish(self, attempt, ok, reason=None):
        if attempt.sock is not None:
            if attempt.sock in self.pending:
                del self.pending[attempt.sock]
                self.selector.unregister(attempt.sock)
            attempt.sock.close()
        self.stats[attempt.flow["id"]].record(ok, self.at(attempt.started), reason)

    def on_attempt(self, attempt):
        sock = attempt.sock
        try:
            if attempt.flow["protocol"] == "udp":
                data = sock.recv(4096)
                self.finish(attempt, data == attempt.token, None if data == attempt.token else "wrong echo")
                return
            if not attempt.connected:
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if code:
                    raise OSError(code, os.strerror(code))
                attempt.connected = True
                # Writable once connected, and for good: from now on only the banner is awaited.
                self.selector.modify(sock, selectors.EVENT_READ, attempt)
            data = sock.recv(4096)
        except BlockingIOError:
            return
        except OSError as error:
            self.finish(attempt, False, str(error))
            return
        if not data:
            self.finish(attempt, False, "closed before the banner")
        elif b"\n" in data:
            retrans = total_retrans(sock)
            self.finish(attempt, retrans == 0, "%d retransmission(s): a packet was dropped" % retrans if retrans else None)

    # -- the long-lived connections
    def open_long(self, flow):
        conn = LongLived(flow)
        try:
            conn.sock = socket.create_connection((flow["address"], flow["port"]), timeout=self.timeout)
            conn.sock.setblocking(False)
            self.selector.register(conn.sock, selectors.EVENT_READ, conn)
        except OSError as error:
            conn.broken = "could not connect: %s" % error
            if conn.sock is not None:
                conn.sock.close()
            conn.sock = None
        self.long[flow["id"]] = conn

    def tick_long(self, conn, now):
        if conn.broken or not conn.banner:
            return
        if conn.sent_at is not None:
            if now - conn.sent_at > self.timeout:
                conn.stats.record(False, self.at(conn.sent_at), "no echo within %.1f s" % self.timeout)
                conn.sent_at = None  # the line may still come back; the next one is sent
            return
        conn.counter += 1
        try:
            conn.sock.send(b"ping %d\n" % conn.counter)
            conn.sent_at = now
        except OSError as error:
            self.break_long(conn, "send: %s" % error)

    def on_long(self, conn, now):
        try:
            data = conn.sock.recv(4096)
        except BlockingIOError:
            return
        except OSError as error:
            self.break_long(conn, str(error))
            return
        if not data:
            self.break_long(conn, "closed by the peer")
            return
        conn.buffer += data
        while b"\n" in conn.buffer:
            line, conn.buffer = conn.buffer.split(b"\n", 1)
            if not conn.banner:
                conn.banner = True
                continue
            if line == b"ping %d" % conn.counter and conn.sent_at is not None:
                retrans = total_retrans(conn.sock)
                conn.stats.record(retrans == conn.retrans, self.at(conn.sent_at),
                                  None if retrans == conn.retrans else "retransmitted: a packet was dropped")
                conn.retrans = retrans
                conn.sent_at = None

    def break_long(self, conn, reason):
        conn.broken = reason
        if conn.sock is not None:
            self.selector.unregister(conn.sock)
            conn.sock.close()
            conn.sock = None

    # -- the loop
    def run(self, ready_file=None):
        for flow in self.flows:
            if flow["protocol"] == "tcp":
                self.open_long(flow)
        # The banners of the long-lived connections: read before the measurement starts.
        deadline = self.clock() + self.timeout
        while self.clock() < deadline and not all(c.banner or c.broken for c in self.long.values()):
            for key, _events in self.selector.select(0.05):
                self.on_long(key.data, self.clock())
        if ready_file:
            with open(ready_file, "w", encoding="utf-8") as handle:
                handle.write("ready\n")
        next_tick = self.clock()
        while not self.stopping or self.pending:
            now = self.clock()
            if now >= next_tick and not self.stopping:
                # What arrived while this process waited for the CPU is read before any deadline is judged.
                self.dispatch(0)
                now = self.clock()
                self.max_lag = max(self.max_lag, now - next_tick)
                for flow in self.flows:
                    self.start_attempt(flow, now)
                for conn in self.long.values():
                    self.tick_long(conn, now)
                next_tick += self.interval
                if next_tick < now:  # a stalled machine: skip the missed ticks rather than burst
                    next_tick = now + self.interval
            # Judged at a moment before the wait: whatever had arrived by then has been read.
            judged = self.clock()
            self.dispatch(max(0.0, min(next_tick - judged, 0.05)))
            for attempt in [a for a in self.pending.values() if a.deadline <= judged]:
                self.finish(attempt, False, "no answer within %.1f s" % self.timeout)
        # A last exchange proves each long-lived connection still carries data.
        for conn in self.long.values():
            if not conn.broken and conn.banner and conn.sent_at is None:
                self.tick_long(conn, self.clock())
        deadline = self.clock() + self.timeout
        while self.clock() < deadline and any(c.sent_at is not None and not c.broken for c in self.long.values()):
            for key, _events in self.selector.select(0.05):
                self.on_long(key.data, self.clock())
        for conn in self.long.values():
            if conn.sent_at is not None and not conn.broken:
                conn.broken = "no echo of the last line"

    def dispatch(self, timeout):
        for key, _events in self.selector.select(timeout):
            if isinstance(key.data, Attempt):
                self.on_attempt(key.data)
            else:
                self.on_long(key.data, self.clock())

    def stop(self, *_args):
        self.stopping = True

    def result(self):
        flows = []
        for flow in self.flows:
            entry = dict(flow, **self.stats[flow["id"]].as_dict())
            conn = self.long.get(flow["id"])
            if conn is not None:
                entry["long_lived"] = dict(conn.stats.as_dict(), survived=conn.broken is None and conn.banner,
                                           broken=conn.broken)
            flows.append(entry)
        return {"duration": round(self.clock() - self.origin, 3), "max_tick_lag": round(self.max_lag, 3),
                "flows": flows}


def probe(args):
    with open(args.flows, encoding="utf-8") as handle:
        flows = json.load(handle)
    prober = Prober(flows, args.rate, args.timeout)
    signal.signal(signal.SIGTERM, prober.stop)
    signal.signal(signal.SIGINT, prober.stop)
    prober.run(args.ready)
    temporary = args.out + ".tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(prober.result(), handle, indent=1)
    os.replace(temporary, args.out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("serve", help="answer on ports: TCP banner then echo, UDP echo")
    command.add_argument("--name", required=True)
    command.add_argument("--tcp", default="")
    command.add_argument("--udp", default="")
    command = commands.add_parser("probe", help="probe flows until SIGTERM, then write the result")
    command.add_argument("--flows", required=True, help="JSON list of {id, address, protocol, port}")
    command.add_argument("--out", required=True, help="result file (JSON)")
    command.add_argument("--rate", type=float, default=10.0, help="attempts per second per flow")
    command.add_argument("--timeout", type=float, default=2.0, help="seconds an attempt or an echo may take")
    command.add_argument("--ready", help="file written once the long-lived connections are open")
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args)
    else:
        probe(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
