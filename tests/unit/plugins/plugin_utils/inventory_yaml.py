# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads a YAML inventory into Ansible's ``groups`` and ``hostvars``, for the matrix tests.

Only the shape the fixtures use: ``all: {vars, hosts, children: {group: {vars, hosts, children}}}``.
Variable precedence follows Ansible's: ``all`` < parent group < child group (same depth:
by group name) < host. ``test_matrix_golden`` checks this loader against Ansible's own
inventory manager on every fixture, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

import yaml

__metaclass__ = type


class _Group:
    def __init__(self, name):
        self.name = name
        self.vars = {}
        self.hosts = []
        self.children = []
        self.depth = 0


def _walk(name, spec, groups, host_vars, depth):
    group = groups.setdefault(name, _Group(name))
    group.depth = max(group.depth, depth)
    spec = spec or {}
    group.vars.update(spec.get("vars") or {})
    for host, variables in (spec.get("hosts") or {}).items():
        if host not in group.hosts:
            group.hosts.append(host)
        host_vars.setdefault(host, {}).update(variables or {})
    for child, child_spec in (spec.get("children") or {}).items():
        if child not in group.children:
            group.children.append(child)
        _walk(child, child_spec, groups, host_vars, depth + 1)


def _members(group, groups):
    hosts = list(group.hosts)
    for child in group.children:
        for host in _members(groups[child], groups):
            if host not in hosts:
                hosts.append(host)
    return hosts


def load_inventory_data(data):
    """(groups, hostvars) from an inventory already parsed from YAML."""
    groups, host_vars = {}, {}
    _walk("all", (data or {}).get("all"), groups, host_vars, 0)
    members = {name: _members(group, groups) for name, group in groups.items()}
    members["all"] = list(host_vars)
    hostvars = {}
    for host, own in host_vars.items():
        merged = {}
        for group in sorted((g for g in groups.values() if host in members[g.name]),
                            key=lambda g: (g.depth, g.name)):
            merged.update(group.vars)
        merged.update(own)
        merged["inventory_hostname"] = host
        merged["group_names"] = sorted(g for g in members if g != "all" and host in members[g])
        hostvars[host] = merged
    fleet_vars = dict(groups["all"].vars) if "all" in groups else {}
    return members, hostvars, fleet_vars


def load_inventory(path):
    """(groups, hostvars, fleet_vars) from a YAML inventory file; fleet_vars are the ``all`` vars."""
    with open(path, encoding="utf-8") as handle:
        return load_inventory_data(yaml.safe_load(handle))
