# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The integer CIDR collapse and the fast address paths give exactly what the ipaddress module gives."""

from __future__ import annotations

import ipaddress
import random

import pytest

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.addresses import (
    address_text, collapse, collapse_networks, host_network, parse_host_address)

__metaclass__ = type


def reference(networks):
    v4 = [net for net in networks if net.version == 4]
    v6 = [net for net in networks if net.version == 6]
    return [str(net) for net in ipaddress.collapse_addresses(v4)] + [str(net) for net in ipaddress.collapse_addresses(v6)]


def random_networks(rng):
    networks = []
    for _index in range(rng.randint(0, 40)):
        if rng.random() < 0.7:
            prefix = rng.choice([32, 32, 32, 31, 30, 29, 28, 24, 8, 0])
            start = rng.choice([0, 0xFFFFFFFF, rng.getrandbits(32), 0x0A000000 + rng.getrandbits(6)])
            networks.append(ipaddress.IPv4Network((start, prefix), strict=False))
        else:
            prefix = rng.choice([128, 127, 120, 64, 0])
            start = rng.choice([0, (1 << 128) - 1, rng.getrandbits(128), (0x20010DB8 << 96) + rng.getrandbits(5)])
            networks.append(ipaddress.IPv6Network((start, prefix), strict=False))
    return networks


@pytest.mark.parametrize("seed", range(20))
def test_collapse_matches_ipaddress(seed):
    rng = random.Random(seed)
    for _trial in range(100):
        networks = random_networks(rng)
        expected = reference(networks)
        assert collapse(networks) == expected
        assert [str(net) for net in collapse_networks(networks)] == expected


def test_collapse_of_blocks():
    # 500 consecutive addresses from 10.128.0.0: 256 + 128 + 64 + 32 + 16 + 4.
    first = ipaddress.ip_address("10.128.0.0")
    networks = [host_network(first + offset) for offset in range(500)]
    assert collapse(networks) == ["10.128.0.0/24", "10.128.1.0/25", "10.128.1.128/26", "10.128.1.192/27",
                                  "10.128.1.224/28", "10.128.1.240/30"]
    assert collapse(None) == ["any"] and collapse_networks(None) is None and collapse([]) == []


@pytest.mark.parametrize("text", ["10.0.0.1", " 10.0.0.1 ", "010.0.0.1", "1.2.3", "1.2.3.4.5", "256.1.1.1",
                                  "0.0.0.0", "255.255.255.255", "1.2.3.04", "::1", "2001:DB8::1", "1.2.3.4/32",
                                  "", "0x1.1.1.1", "::ffff:10.0.0.1"])
def test_parse_host_address_matches_ipaddress(text):
    try:
        expected = ipaddress.ip_address(text.strip())
    except ValueError:
        expected = None
    got = parse_host_address(text)
    assert got == expected and got.__class__ is expected.__class__
    if got is not None:
        assert address_text(got) == str(expected)
        assert host_network(got) == ipaddress.ip_network(expected)


def test_collapse_takes_single_addresses():
    addresses = [ipaddress.ip_address("10.0.0.%d" % last) for last in (0, 1, 2, 3, 5)]
    addresses.append(ipaddress.ip_address("2001:db8::1"))
    expected = ["10.0.0.0/30", "10.0.0.5/32", "2001:db8::1/128"]
    assert [str(net) for net in collapse_networks(addresses)] == expected
    assert collapse(addresses) == expected
