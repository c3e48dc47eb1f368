# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Addresses, CIDR lists and port lists: validation, and collapse to the fewest exact CIDRs."""

from __future__ import annotations

import ipaddress
import random

import pytest

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.addresses import (
    collapse, parse_host_address, parse_networks, parse_ports)
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import ProblemCollector
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.matrix import compute_matrix

__metaclass__ = type


def _nets(*texts):
    return [ipaddress.ip_network(text) for text in texts]


@pytest.mark.parametrize("given, collapsed", [
    (("10.1.0.0/25", "10.1.0.128/25"), ["10.1.0.0/24"]),
    # Exact: three /24s are a /23 and a /24, never widened to the /22.
    (("10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"), ["10.0.0.0/23", "10.0.2.0/24"]),
    # Adjacent but not aligned: 10.0.0.1 and 10.0.0.2 are not a /31.
    (("10.0.0.1/32", "10.0.0.2/32"), ["10.0.0.1/32", "10.0.0.2/32"]),
    (("10.0.0.2/32", "10.0.0.3/32"), ["10.0.0.2/31"]),
    # Contained and duplicated networks disappear.
    (("10.0.0.0/16", "10.0.5.0/24", "10.0.0.0/16"), ["10.0.0.0/16"]),
    # IPv6 is kept apart and comes after IPv4, collapsed on its own.
    (("2001:db8::/65", "10.0.0.0/8", "2001:db8:0:0:8000::/65"), ["10.0.0.0/8", "2001:db8::/64"]),
    (("2001:db8::1/128", "192.0.2.1/32"), ["192.0.2.1/32", "2001:db8::1/128"]),
    # An IPv4-mapped IPv6 address stays IPv6: it is not merged with the IPv4 one.
    (("::ffff:192.0.2.1/128", "192.0.2.1/32"), ["192.0.2.1/32", "::ffff:c000:201/128"]),
    ((), []),
    # The edges of the address spaces.
    (("0.0.0.0/1", "128.0.0.0/1"), ["0.0.0.0/0"]),
    (("0.0.0.0/32", "0.0.0.1/32"), ["0.0.0.0/31"]),
    (("255.255.255.254/32", "255.255.255.255/32"), ["255.255.255.254/31"]),
    (("0.0.0.0/0", "10.0.0.0/8"), ["0.0.0.0/0"]),
    (("::/1", "8000::/1"), ["::/0"]),
    (("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/128", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"),
     ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127"]),
    (("::/128",), ["::/128"]),
])
def test_collapse(given, collapsed):
    assert collapse(_nets(*given)) == collapsed


def test_any_alone_means_any_and_beside_cidrs_is_refused():
    assert collapse(None) == ["any"]
    problems = ProblemCollector()
    assert parse_networks("ANY", "host 'h'", "ses_agent_networks", problems) is None
    assert parse_networks([" any "], "host 'h'", "ses_agent_networks", problems) is None
    assert problems.problems == []
    assert parse_networks(["10.0.0.0/8", "any"], "host 'h'", "ses_agent_networks", problems) == []
    assert "'any' must be the only element" in problems.problems[0]


@pytest.mark.parametrize("world", ["0.0.0.0/0", "::/0"])
def test_every_address_needs_the_opt_in(world):
    problems = ProblemCollector()
    assert parse_networks([world], "host 'h'", "ses_update_server", problems) == []
    assert "set ses_allow_any_network: true" in problems.problems[0]
    assert [str(n) for n in parse_networks([world], "host 'h'", "ses_update_server", problems, True)] == [world]


def test_256_hosts_collapse_to_their_block():
    hosts = [ipaddress.ip_network("10.9.8.%d/32" % i) for i in range(256)]
    random.Random(7).shuffle(hosts)
    assert collapse(hosts) == ["10.9.8.0/24"]


def test_collapse_is_exact_on_random_sets():
    """The collapsed CIDRs cover exactly the addresses given: no more, no less."""
    rng = random.Random(2026)
    for _round in range(200):
        prefixes = [rng.choice((27, 28, 30, 31, 32, 32, 32)) for _item in range(rng.randrange(1, 12))]
        networks = [ipaddress.ip_network("10.0.0.%d/%d" % (rng.randrange(0, 256), prefix), strict=False)
                    for prefix in prefixes]
        wanted = {address for net in networks for address in net}
        result = [ipaddress.ip_network(text) for text in collapse(networks)]
        got = [address for net in result for address in net]
        assert len(got) == len(set(got)) == len(wanted) and set(got) == wanted
        # Fewest: no two results can merge into one CIDR.
        assert list(ipaddress.collapse_addresses(result)) == result


def test_collapse_is_exact_on_random_ipv6_and_wide_sets():
    """Wide IPv4 ranges and IPv6 ranges: the union is kept exactly (compared as address ranges)."""
    rng = random.Random(1204)
    for _round in range(300):
        networks = []
        for _item in range(rng.randrange(1, 10)):
            version_bits = rng.choice((32, 128))
            prefix = rng.randrange(version_bits - 12, version_bits + 1)
            base = rng.randrange(0, 64) << (version_bits - 8)  # a few neighbouring regions, so merges happen
            start = base + (rng.randrange(0, 1 << 12) << (version_bits - prefix) if prefix < version_bits else
                            rng.randrange(0, 1 << 12))
            network_type = ipaddress.IPv4Network if version_bits == 32 else ipaddress.IPv6Network
            networks.append(network_type((start % (1 << version_bits), prefix), strict=False))
        result = [ipaddress.ip_network(text) for text in collapse(networks)]
        for version in (4, 6):
            assert _spans([n for n in result if n.version == version]) == \
                _spans([n for n in networks if n.version == version])
        assert [n.version for n in result] == sorted(n.version for n in result)
        assert list(ipaddress.collapse_addresses([n for n in result if n.version == 4])) + \
            list(ipaddress.collapse_addresses([n for n in result if n.version == 6])) == result


def _spans(networks):
    """The networks as merged [first, last] integer ranges."""
    spans = []
    for net in sorted(networks, key=lambda n: int(n.network_address)):
        first, last = int(net.network_address), int(net.broadcast_address)
        if spans and first <= spans[-1][1] + 1:
            spans[-1][1] = max(spans[-1][1], last)
        else:
            spans.append([first, last])
    return spans


def test_agent_peers_collapse_exactly_in_the_matrix():
    """Agent hosts in contiguous blocks plus a network: the agent handler's peers are the exact union."""
    agents = {"agent-%d" % i: {"ses_address": "10.3.%d.%d" % (i // 256, i % 256), "ses_version": "2.7.1"}
              for i in range(0, 600)}
    hostvars = dict(agents)
    hostvars["bo1"] = {"ses_address": "192.0.2.10"}
    hostvars["ah1"] = {"ses_address": "192.0.2.20", "ses_agent_networks": ["10.3.3.0/24", "2001:db8::/64"]}
    groups = {"ses_backends": ["bo1"], "ses_agent_handlers": ["ah1"], "ses_agents": sorted(agents)}
    matrix = compute_matrix(groups, hostvars)
    rules = {rule["name"]: rule for rule in matrix["hosts"]["ah1"]["rules"]}
    # 600 agents = 10.3.0.0 - 10.3.2.87: 10.3.0.0/23, 10.3.2.0/26, 10.3.2.64/28, 10.3.2.80/29; plus 10.3.3.0/24.
    expected = ["10.3.0.0/23", "10.3.2.0/26", "10.3.2.64/28", "10.3.2.80/29", "10.3.3.0/24", "2001:db8::/64"]
    assert rules["in_agent_to_agent_handler_tcp443_new"]["peers"] == expected
    assert rules["in_agent_to_agent_handler_tcp17000_legacy_agent"]["peers"] == expected


def test_no_agent_known_means_any_on_the_agent_rules_only():
    groups = {"ses_backends": ["bo1"], "ses_agent_handlers": ["ah1"]}
    hostvars = {"bo1": {"ses_address": "192.0.2.10"}, "ah1": {"ses_address": "192.0.2.20"}}
    rules = {rule["name"]: rule for rule in compute_matrix(groups, hostvars)["hosts"]["ah1"]["rules"]}
    assert rules["in_agent_to_agent_handler_tcp443_new"]["peers"] == ["any"]
    assert rules["out_agent_handler_to_backend_tcp443_permanent"]["peers"] == ["192.0.2.10/32"]


def test_an_agent_network_of_any_wins_over_known_agents():
    groups = {"ses_backends": ["bo1"], "ses_agent_handlers": ["ah1"], "ses_agents": ["pc1"]}
    hostvars = {"bo1": {"ses_address": "192.0.2.10"},
                "ah1": {"ses_address": "192.0.2.20", "ses_agent_networks": ["any"]},
                "pc1": {"ses_address": "10.0.0.1"}}
    rules = {rule["name"]: rule for rule in compute_matrix(groups, hostvars)["hosts"]["ah1"]["rules"]}
    assert rules["in_agent_to_agent_handler_tcp443_new"]["peers"] == ["any"]


@pytest.mark.parametrize("text, address", [
    ("192.0.2.10", "192.0.2.10"),
    (" 192.0.2.10 ", "192.0.2.10"),
    ("2001:DB8:0::10", "2001:db8::10"),
])
def test_host_address(text, address):
    assert str(parse_host_address(text)) == address


@pytest.mark.parametrize("value", ["bo1.corp.example", "192.0.2.300", "192.0.2.0/24", "fe80::1%eth0", "", None,
                                   3232235786])
def test_not_a_host_address(value):
    assert parse_host_address(value) is None


def test_networks_reports_every_bad_item_with_the_variable():
    problems = ProblemCollector()
    networks = parse_networks(["10.0.0.0/8", "10.1.2.3/16", "bogus", "2001:db8::/64"],
                              "host 'ah1'", "ses_agent_networks", problems)
    assert [str(net) for net in networks] == ["10.0.0.0/8", "2001:db8::/64"]
    assert len(problems.problems) == 2
    assert "'10.1.2.3/16'" in problems.problems[0] and "did you mean 10.1.0.0/16?" in problems.problems[0]
    assert "'bogus'" in problems.problems[1] and "write it as" in problems.problems[1]
    assert all(p.startswith("host 'ah1': ses_agent_networks") for p in problems.problems)


def test_a_single_cidr_string_is_a_list_of_one():
    problems = ProblemCollector()
    assert [str(n) for n in parse_networks("198.51.100.7/32", "host 'bo1'", "ses_update_server", problems)] == \
        ["198.51.100.7/32"]
    assert problems.problems == []


def test_ports_are_normalised_deduplicated_and_sorted():
    problems = ProblemCollector()
    assert parse_ports(["UDP/1434", "tcp/1433", " tcp/1433 ", "Tcp/1434"], "host 's'", "ses_sql_ports",
                       problems) == [("tcp", 1433), ("tcp", 1434), ("udp", 1434)]
    assert problems.problems == []


@pytest.mark.parametrize("value, complaint", [
    (["tcp/0"], "from 1 to 65535"),
    (["tcp/65536"], "from 1 to 65535"),
    (["tcp/-1"], "from 1 to 65535"),
    (["tcp/"], "from 1 to 65535"),
    (["icmp/514"], "tcp or udp"),
    (["1433"], "tcp or udp"),
    ([], "non-empty list"),
    ("tcp/1433", "non-empty list"),
])
def test_bad_ports(value, complaint):
    problems = ProblemCollector()
    parse_ports(value, "host 's'", "ses_sql_ports", problems)
    assert len(problems.problems) == 1 and complaint in problems.problems[0]
    assert "host 's'" in problems.problems[0] and "ses_sql_ports" in problems.problems[0]


def test_port_limits_are_accepted():
    problems = ProblemCollector()
    assert parse_ports(["tcp/1", "udp/65535"], "host 's'", "ses_sql_ports", problems) == \
        [("tcp", 1), ("udp", 65535)]
    assert problems.problems == []
