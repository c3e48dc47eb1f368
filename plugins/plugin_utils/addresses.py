# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Addresses, CIDR lists and port lists from the inventory, validated and collapsed."""

from __future__ import annotations

import ipaddress
import socket

__metaclass__ = type

ANY = "any"
_ADDRESS_TYPES = (ipaddress.IPv4Address, ipaddress.IPv6Address)
PROTOCOLS = ("tcp", "udp")


def parse_host_address(value):
    """An inventory host's address as an ip_address, or None when it is not one."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        # Fast path for the common dotted quad (100,000 agents): inet_pton accepts exactly
        # four decimal octets without leading zeros, which ipaddress also accepts.
        return ipaddress.IPv4Address(socket.inet_pton(socket.AF_INET, text))
    except OSError:
        pass
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    # An IPv6 zone ("fe80::1%eth0") is local to one machine: no firewall rule can carry it.
    if getattr(address, "scope_id", None):
        return None
    return address


def describe_zone(value):
    """Why a text holding an IPv6 zone is refused ("" when it holds none)."""
    if isinstance(value, str) and "%" in value:
        return " (it carries an IPv6 zone, %s, which firewall rules cannot use: drop it)" % value[value.index("%"):]
    return ""


ALLOW_WORLD_VARIABLE = "ses_allow_any_network"


def parse_networks(value, where, variable, problems, allow_world=False):
    """A list of CIDRs (or ["any"], alone) as ip_network objects; None means any.

    Host bits set ("10.1.2.3/16") are an error: the rule would not be what the user meant.
    "any" beside other CIDRs is an error (which did the user mean?), and so are 0.0.0.0/0
    and ::/0 unless ``allow_world`` (ses_allow_any_network): every address is a decision.
    """
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        problems.add("%s: %s must be a list of CIDRs such as [\"10.20.0.0/16\"], got %r"
                     % (where, variable, value))
        return []
    if any(str(item).strip().lower() == ANY for item in value):
        if len(value) == 1:
            return None
        problems.add("%s: %s holds %r: 'any' must be the only element of the list; write [\"any\"] to allow every "
                     "address, or remove 'any' to keep only the CIDRs" % (where, variable, list(value)))
        return []
    networks = []
    for item in value:
        text = str(item).strip()
        try:
            network = ipaddress.ip_network(text, strict=True)
            if getattr(network.network_address, "scope_id", None):
                raise ValueError("its IPv6 zone %s cannot scope a firewall rule"
                                 % text[text.index("%"):].split("/", maxsplit=1)[0])
            if network.prefixlen == 0 and not allow_world:
                problems.add("%s: %s holds %r, which is every IPv%d address; write [\"any\"] if every address is "
                             "meant, or set %s: true to accept it" % (where, variable, item, network.version,
                                                                      ALLOW_WORLD_VARIABLE))
                continue
            networks.append(network)
        except ValueError as exc:
            fix = _suggest_network(text)
            problems.add("%s: %s holds %r, which is not a CIDR (%s)%s"
                         % (where, variable, item, exc, fix))
    return networks


def _suggest_network(text):
    if "%" in text:
        return "; write it without the zone, as in 2001:db8::/64"
    try:
        return "; did you mean %s?" % ipaddress.ip_network(text, strict=False)
    except ValueError:
        return "; write it as 10.20.0.0/16 or 2001:db8::/64"


def _merged_spans(networks, version):
    """Sorted, merged [start, end) integer spans of the networks (or single addresses) of one IP version."""
    bits = 32 if version == 4 else 128
    spans = sorted((int(net), 1) if isinstance(net, _ADDRESS_TYPES) else
                   (int(net.network_address), 1 << (bits - net.prefixlen))
                   for net in networks if net.version == version)
    merged = []
    for start, size in spans:
        end = start + size
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1][1] = end
        else:
            merged.append([start, end])
    return merged, bits


def _cidr_blocks(networks, version):
    """(first address, prefix length) of the fewest aligned blocks covering exactly the networks.

    Integer arithmetic instead of ipaddress.collapse_addresses: same (unique) result,
    fast enough for 100,000 agent addresses and hundreds of agent handlers.
    """
    merged, bits = _merged_spans(networks, version)
    for start, end in merged:
        while start < end:
            align = (start & -start).bit_length() - 1 if start else bits
            size = min(align, (end - start).bit_length() - 1)
            yield start, bits - size
            start += 1 << size


def collapse_networks(networks):
    """The fewest networks covering exactly ``networks``, IPv4 first (None, meaning any, stays None).

    Items may also be single addresses (ip_address objects), each counting as a /32 or /128.
    """
    if networks is None:
        return None
    return [ipaddress.ip_network((start, prefix)) if version == 4 else ipaddress.IPv6Network((start, prefix))
            for version in (4, 6) for start, prefix in _cidr_blocks(networks, version)]


def collapse(networks):
    """The fewest CIDRs covering exactly ``networks`` (IPv4 first, then IPv6), as strings.

    None stands for "any" and wins over everything.
    """
    if networks is None:
        return [ANY]
    return (["%s/%d" % (socket.inet_ntoa(start.to_bytes(4, "big")), prefix)
             for start, prefix in _cidr_blocks(networks, 4)]
            + ["%s/%d" % (ipaddress.IPv6Address(start), prefix) for start, prefix in _cidr_blocks(networks, 6)])


def address_text(address):
    """An address as text, the same as str(address), faster for IPv4."""
    if address.version == 4:
        return socket.inet_ntoa(int(address).to_bytes(4, "big"))
    return str(address)


def host_network(address):
    """A single address as a /32 or /128 network (built from the integer: no second parse of the text)."""
    network_type = ipaddress.IPv4Network if address.version == 4 else ipaddress.IPv6Network
    return network_type((int(address), address.max_prefixlen))


def parse_ports(value, where, variable, problems):
    """A port list such as ["tcp/1433", "udp/1434"] as sorted (protocol, port) pairs."""
    if not isinstance(value, (list, tuple)) or not value:
        problems.add("%s: %s must be a non-empty list such as [\"tcp/1433\", \"udp/1434\"], got %r"
                     % (where, variable, value))
        return []
    pairs = set()
    for item in value:
        protocol, _sep, port_text = str(item).strip().lower().partition("/")
        if protocol not in PROTOCOLS:
            problems.add("%s: %s holds %r: the protocol must be tcp or udp, as in \"tcp/1433\""
                         % (where, variable, item))
            continue
        # ASCII digits only: "²".isdigit() is true, and int("²") raises.
        if not (port_text.isascii() and port_text.isdigit()) or not 1 <= int(port_text) <= 65535:
            problems.add("%s: %s holds %r: the port must be a number from 1 to 65535, as in \"udp/514\""
                         % (where, variable, item))
            continue
        pairs.add((protocol, int(port_text)))
    return sorted(pairs)
