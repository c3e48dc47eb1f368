# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The services of one lab host: a listener on each port its SES component serves.

Runs inside the host's network namespace (``ip netns exec NS python3 listener.py``).
TCP: accepts, writes one banner line naming the host and closes, so a probe sees a
real service. UDP: appends each datagram received to the receipt file (one line:
``udp PORT SOURCE PAYLOAD``), which is how verify confirms that a datagram arrived.
Stdlib and this checkout only: the lab must run wherever python3 and iproute2 do.
"""

from __future__ import annotations

import argparse
import selectors
import signal
import sys

from lab_sockets import bind  # the lab's one binding; this folder is on sys.path when run as a script

__metaclass__ = type


def _port_list(text):
    ports = []
    for item in (text or "").split(","):
        if item.strip():
            ports.append(int(item))
    return ports


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True, help="host name, written in the TCP banner")
    parser.add_argument("--tcp", default="", help="comma-separated TCP ports")
    parser.add_argument("--udp", default="", help="comma-separated UDP ports")
    parser.add_argument("--receipts", required=True, help="file that records every UDP datagram received")
    args = parser.parse_args(argv)

    selector = selectors.DefaultSelector()
    for port in _port_list(args.tcp):
        selector.register(bind("tcp", port), selectors.EVENT_READ, ("tcp", port))
    for port in _port_list(args.udp):
        selector.register(bind("udp", port), selectors.EVENT_READ, ("udp", port))
    banner = ("ses-lab %s\n" % args.name).encode()
    # Line-buffered so that verify reads a datagram as soon as it is received.
    receipts = open(args.receipts, "a", buffering=1, encoding="utf-8")  # pylint: disable=consider-using-with
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("listening: tcp %s udp %s" % (args.tcp or "-", args.udp or "-"), flush=True)

    while True:
        for key, _events in selector.select():
            protocol, port = key.data
            if protocol == "tcp":
                try:
                    conn, _peer = key.fileobj.accept()
                except OSError:
                    continue
                try:
                    conn.settimeout(1)
                    conn.sendall(banner)
                except OSError:
                    pass
                finally:
                    conn.close()
            else:
                try:
                    data, peer = key.fileobj.recvfrom(4096)
                except OSError:
                    continue
                text = data.decode("utf-8", "replace").replace("\n", " ").strip()
                source = peer[0][7:] if peer[0].startswith("::ffff:") else peer[0]  # IPv4 on a dual-stack socket
                receipts.write("udp %d %s %s\n" % (port, source, text))


if __name__ == "__main__":
    main()
