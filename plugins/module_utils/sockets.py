# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Listening sockets for the verify probe (ses_probe) and the lab's listener: one copy."""

from __future__ import annotations

import socket

__metaclass__ = type


def bind_dual_stack(protocol, port, reuse_address=False):
    """A non-blocking socket bound on every address, IPv4 and IPv6 when the kernel has IPv6.

    ``protocol`` is ``tcp`` (listening) or ``udp``. Raises OSError (the socket closed)
    when the port is taken.
    """
    kind = socket.SOCK_STREAM if protocol == "tcp" else socket.SOCK_DGRAM
    try:
        sock = socket.socket(socket.AF_INET6, kind)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        address = ("::", port)
    except OSError:
        sock = socket.socket(socket.AF_INET, kind)
        address = ("0.0.0.0", port)
    try:
        if reuse_address:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        if protocol == "tcp":
            sock.listen(64)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock
