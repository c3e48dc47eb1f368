# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads the port table (ses_catalog) and tells, for a target release, each row's lifecycle."""

from __future__ import annotations

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import ses_catalog
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.versions import parse_version

__metaclass__ = type

LIFECYCLES = ("permanent", "legacy", "new", "legacy_agent")
# Which lifecycles each phase keeps. Cleanup drops "legacy"; "legacy_agent" (TCP 17000)
# goes only through the agents' own gate.
PHASE_LIFECYCLES = {
    "migrate": frozenset(("permanent", "legacy", "new", "legacy_agent")),
    "cleanup": frozenset(("permanent", "new", "legacy_agent")),
}
TOPOLOGIES = ("any", "co_located", "separate")


class FlowRow:
    """One row of the port table, resolved for a target release."""

    __slots__ = ("id", "source", "destination", "protocol", "ports", "topology",
                 "lifecycle", "purpose", "ports_setting")

    def __init__(self, row, lifecycle):
        self.id = row["id"]
        self.source = row["source"]
        self.destination = row["destination"]
        self.protocol = row["protocol"]
        self.ports = tuple(row["ports"])
        self.topology = row.get("topology", "any")
        self.lifecycle = lifecycle
        self.purpose = row["purpose"]
        self.ports_setting = row.get("ports_setting")

    def applies_to_backend(self, co_located):
        if self.topology == "any":
            return True
        return (self.topology == "co_located") == co_located


def _in_release(row, version):
    introduced = row.get("introduced")
    removed = row.get("removed")
    if introduced is not None and version < parse_version(introduced):
        return False
    if removed is not None and version >= parse_version(removed):
        return False
    return True


def lifecycle_of(row, target_version):
    """permanent / legacy / new from the row's release range, or the row's explicit override.

    Returns None for a row that exists in neither the baseline nor the target.
    """
    in_baseline = _in_release(row, parse_version(ses_catalog.BASELINE_VERSION))
    in_target = _in_release(row, target_version)
    if not (in_baseline or in_target):
        return None
    if row.get("lifecycle"):
        return row["lifecycle"]
    if in_baseline and in_target:
        return "permanent"
    return "legacy" if in_baseline else "new"


def target_releases(rows=ses_catalog.FLOWS):
    """The releases a migration may target: those at which the table changes, newer than the baseline."""
    baseline = parse_version(ses_catalog.BASELINE_VERSION)
    changes = set(row[key] for row in rows for key in ("introduced", "removed") if row.get(key))
    return tuple(sorted((release for release in changes if parse_version(release) > baseline), key=parse_version))


def resolve_rows(target_version, rows=ses_catalog.FLOWS):
    """The rows that matter when migrating from the baseline to ``target_version`` (a version tuple)."""
    resolved = []
    for row in rows:
        lifecycle = lifecycle_of(row, target_version)
        if lifecycle is not None:
            resolved.append(FlowRow(row, lifecycle))
    return resolved


def check_catalog(rows=ses_catalog.FLOWS):
    """Problems in the table itself (used by the tests, so a bad data change fails CI)."""
    ends = set(ses_catalog.COMPONENTS) | set(ses_catalog.EXTERNAL_ENDS)
    problems = []
    for index, row in enumerate(rows):
        label = "row %d (%s)" % (index, row.get("id"))
        for end in ("source", "destination"):
            if row.get(end) not in ends:
                problems.append("%s: unknown %s %r" % (label, end, row.get(end)))
        if row.get("protocol") not in ("tcp", "udp"):
            problems.append("%s: protocol must be tcp or udp" % label)
        if not row.get("ports") or not all(isinstance(p, int) and 1 <= p <= 65535 for p in row["ports"]):
            problems.append("%s: ports must be integers from 1 to 65535" % label)
        if row.get("topology", "any") not in TOPOLOGIES:
            problems.append("%s: topology must be one of %s" % (label, ", ".join(TOPOLOGIES)))
        if row.get("topology", "any") != "any" and "backend" not in (row["source"], row["destination"]):
            problems.append("%s: a topology applies only to flows with a backend end" % label)
        if row.get("lifecycle") not in (None,) + LIFECYCLES:
            problems.append("%s: lifecycle must be one of %s" % (label, ", ".join(LIFECYCLES)))
        for key in ("introduced", "removed"):
            if row.get(key) is not None and row[key] not in ses_catalog.KNOWN_RELEASES:
                problems.append("%s: %s %r is not in KNOWN_RELEASES" % (label, key, row[key]))
    return problems
