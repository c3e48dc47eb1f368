# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads the port table (ses_catalog) and tells, for a target release, each row's lifecycle.

A ``Catalog`` holds one table with its releases; ``VENDOR`` is the vendor's. Every
release-dependent fact (the baseline of a migration, the default target, the
agents' HTTPS release) is asked of a catalog, never written as a literal, so the
next release is new rows and one more entry in ``ses_catalog.RELEASES``.
"""

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
# What each lifecycle means, without a release number: these texts go into rule
# descriptions on the hosts, which must not change when a release is added.
LIFECYCLE_TEXT = {
    "permanent": "permanent (kept before and after the migration)",
    "legacy": "legacy (before the migration only; removed by cleanup)",
    "new": "new (from the migration's target release on)",
    "legacy_agent": "legacy_agent (for agents older than the agents' HTTPS release; removed through the agents' gate)",
}


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


class Catalog:
    """One port table and the releases at which it changes (``releases``: oldest first).

    ``installer_rules``: the Windows rules the vendor's installer creates, each
    ``{"name", "flows"}`` (the flows of the table it serves).
    """

    def __init__(self, releases, flows, agent_https_version, installer_rules=()):
        self.releases = tuple(releases)
        self.flows = tuple(flows)
        self.agent_https_version = agent_https_version
        self.installer_rules = tuple(installer_rules)

    @property
    def installer_rule_names(self):
        return tuple(rule["name"] for rule in self.installer_rules)

    @property
    def default_target(self):
        """The newest release: what a migration targets unless told otherwise."""
        return self.releases[-1]

    def target_releases(self):
        """The releases a migration may target: every one but the oldest."""
        return self.releases[1:]

    def baseline_for(self, target_version):
        """The release a migration to ``target_version`` (a version tuple) starts from, or None."""
        older = [release for release in self.releases if parse_version(release) < target_version]
        return older[-1] if older else None

    def lifecycle_of(self, row, target_version):
        """permanent / legacy / new from the row's release range, or the row's explicit override.

        Returns None for a row that exists in neither the baseline nor the target.
        """
        baseline = self.baseline_for(target_version)
        in_baseline = baseline is not None and _in_release(row, parse_version(baseline))
        in_target = _in_release(row, target_version)
        if not (in_baseline or in_target):
            return None
        if row.get("lifecycle"):
            return row["lifecycle"]
        if in_baseline and in_target:
            return "permanent"
        return "legacy" if in_baseline else "new"

    def resolve_rows(self, target_version):
        """The rows that matter when migrating to ``target_version`` (a version tuple) from its baseline."""
        resolved = []
        for row in self.flows:
            lifecycle = self.lifecycle_of(row, target_version)
            if lifecycle is not None:
                resolved.append(FlowRow(row, lifecycle))
        return resolved

    def problems(self):
        """Problems in the table itself (used by the tests, so a bad data change fails CI)."""
        problems = []
        parsed = [parse_version(release) for release in self.releases]
        if len(parsed) < 2 or None in parsed or parsed != sorted(set(parsed)):
            problems.append("releases %r: need two or more versions, oldest first, no repeats" % (self.releases,))
        if self.agent_https_version not in self.releases:
            problems.append("agent_https_version %r is not in the releases" % (self.agent_https_version,))
        ends = set(ses_catalog.COMPONENTS) | set(ses_catalog.EXTERNAL_ENDS)
        for index, row in enumerate(self.flows):
            problems.extend(_row_problems("row %d (%s)" % (index, row.get("id")), row, ends, self.releases))
        flow_ids = set(row.get("id") for row in self.flows)
        for rule in self.installer_rules:
            unknown = sorted(set(rule.get("flows") or ()) - flow_ids)
            if not rule.get("name") or not rule.get("flows") or unknown:
                problems.append("installer rule %r: needs a name and the flows it serves, all of them in the "
                                "table (unknown: %s)" % (rule.get("name"), ", ".join(unknown) or "none"))
        return problems


def _row_problems(label, row, ends, releases):
    problems = []
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
        if row.get(key) is not None and row[key] not in releases:
            problems.append("%s: %s %r is not one of the releases" % (label, key, row[key]))
    return problems


VENDOR = Catalog(ses_catalog.RELEASES, ses_catalog.FLOWS, ses_catalog.AGENT_HTTPS_VERSION,
                 ses_catalog.INSTALLER_RULES)
# The vendor's installer rules on Windows, for the renderer, drift and the installer_rules lookup.
INSTALLER_RULES = VENDOR.installer_rules
INSTALLER_RULE_NAMES = VENDOR.installer_rule_names


def lifecycle_of(row, target_version, catalog=VENDOR):
    return catalog.lifecycle_of(row, target_version)


def resolve_rows(target_version, catalog=VENDOR):
    return catalog.resolve_rows(target_version)


def check_catalog(rows=None, catalog=VENDOR):
    """Problems in a table (default: the vendor's)."""
    if rows is not None:
        catalog = Catalog(catalog.releases, rows, catalog.agent_https_version, catalog.installer_rules)
    return catalog.problems()
