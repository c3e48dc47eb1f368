# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The next release is data: a test-only catalog adds a fictional 2.8 and nothing else changes.

In the fictional 2.8 the public API moves from TCP 10443 to TCP 11443 (a backoffice port,
so the backoffice gate governs it). Expected values below are derived by hand from that
one change and the vendor's table: for a 2.7.1 -> 2.8 migration the baseline is 2.7.1;
TCP 10443 becomes legacy, TCP 11443 new; what 2.7.1 introduced (TCP 8443 to a co-located
backend, the agents' TCP 443) is now permanent; what 2.7.1 removed (TCP 443 to a
co-located backend) is in neither release and leaves the matrix; TCP 17000 stays with
the agents' gate.
"""

from __future__ import annotations

import copy
import os
import re

import pytest

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import ses_catalog
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.catalog import LIFECYCLE_TEXT, VENDOR, Catalog
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import SesInputError
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.matrix import compute_matrix
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.render_windows import description
from ansible_collections.ses_evolution.firewall.tests.unit.plugins.plugin_utils.test_matrix_golden import (
    CASES, GOLDEN, load_inventory)

__metaclass__ = type


def _catalog_with_2_8():
    flows = copy.deepcopy(list(ses_catalog.FLOWS))
    public_api = [row for row in flows if row["id"] == "public_api_to_backend"]
    assert len(public_api) == 1
    public_api[0]["removed"] = "2.8"
    flows.append(dict(public_api[0], ports=[11443], introduced="2.8", removed=None))
    return Catalog(ses_catalog.RELEASES + ("2.8",), flows, ses_catalog.AGENT_HTTPS_VERSION)


NEXT = _catalog_with_2_8()
# bo1 backend + agent handler (co-located), ah2 a separate agent handler, con1 a console, one agent.
GROUPS = {"ses_backends": ["bo1"], "ses_agent_handlers": ["bo1", "ah2"], "ses_consoles": ["con1"],
          "ses_agents": ["pc1"]}
HOSTVARS = {
    "bo1": {"ses_address": "10.0.0.11", "ses_version": "2.7.1", "ses_public_api_clients": ["10.9.0.0/24"],
            "ses_update_server": []},
    "ah2": {"ses_address": "10.0.0.12", "ses_version": "2.8"},
    "con1": {"ses_address": "10.0.0.21", "ses_version": "2.8"},
    "pc1": {"ses_address": "10.0.1.1", "ses_version": "2.7.1"},
}
# (direction, protocol, port, lifecycle) of every rule, by host, for 2.7.1 -> 2.8 (from the docstring).
EXPECTED_2_8 = {
    "bo1": {("in", "tcp", 8443, "permanent"),      # from con1 and ah2: co-located since 2.7.1
            ("in", "tcp", 10443, "legacy"),        # public API before 2.8
            ("in", "tcp", 11443, "new"),           # public API from 2.8
            ("in", "tcp", 17000, "legacy_agent"),  # agents older than 2.7.1
            ("in", "tcp", 443, "permanent"),       # agents 2.7.1 or later
            # SQL Server (no server named: any address, with a warning), unchanged by 2.8.
            ("out", "tcp", 1433, "permanent"), ("out", "tcp", 1434, "permanent"), ("out", "udp", 1434, "permanent")},
    "ah2": {("out", "tcp", 8443, "permanent"), ("in", "tcp", 17000, "legacy_agent"), ("in", "tcp", 443, "permanent")},
    "con1": {("out", "tcp", 8443, "permanent")},
    "pc1": {("out", "tcp", 17000, "legacy_agent"), ("out", "tcp", 443, "permanent")},
}


def _rules(matrix, key="rules"):
    return {name: {(r["direction"], r["protocol"], r["port"], r["lifecycle"]) for r in host[key]}
            for name, host in matrix["hosts"].items()}


def test_the_test_catalog_is_valid():
    assert NEXT.problems() == []
    assert NEXT.target_releases() == ("2.7.1", "2.8")
    assert NEXT.default_target == "2.8"


def test_migrate_to_2_8_from_2_7_1():
    matrix = compute_matrix(GROUPS, HOSTVARS, "migrate", "2.8", catalog=NEXT)
    assert matrix["baseline_version"] == "2.7.1"
    assert matrix["target_version"] == "2.8"
    assert _rules(matrix) == EXPECTED_2_8
    assert all(not host["retired_rules"] for host in matrix["hosts"].values())


def test_cleanup_to_2_8_drops_only_the_port_2_8_moved():
    matrix = compute_matrix(GROUPS, HOSTVARS, "cleanup", "2.8", catalog=NEXT)
    kept = {name: {rule for rule in rules if rule[3] != "legacy"} for name, rules in EXPECTED_2_8.items()}
    assert _rules(matrix) == kept
    assert _rules(matrix, "retired_rules") == {"bo1": {("in", "tcp", 10443, "legacy")}, "ah2": set(),
                                               "con1": set(), "pc1": set()}
    # bo1 still runs 2.7.1: the cleanup is a preview and the gate names it against 2.8.
    assert matrix["preview"] is True
    assert matrix["gate"]["blocking_reasons"] == {"bo1": "runs 2.7.1, older than 2.8"}
    assert matrix["gate"]["agents_ready"] is True  # the agents' release did not move


def test_the_default_target_is_the_newest_release():
    assert compute_matrix(GROUPS, HOSTVARS, catalog=NEXT)["target_version"] == "2.8"
    assert compute_matrix(GROUPS, HOSTVARS)["target_version"] == "2.7.1"


def test_a_target_between_releases_names_the_catalogs_releases():
    with pytest.raises(SesInputError) as error:
        compute_matrix(GROUPS, HOSTVARS, "migrate", "2.7.5", catalog=NEXT)
    assert "it changes at 2.7.1, 2.8" in str(error.value)
    assert 'set ses_target_version: "2.8"' in str(error.value)


@pytest.mark.parametrize("case", CASES)
def test_adding_a_release_changes_nothing_for_the_earlier_migration(case):
    """The golden fleets targeted at 2.7.1 give the same rules, and the same Windows descriptions."""
    groups, hostvars, fleet_vars = load_inventory(os.path.join(GOLDEN, case, "inventory.yml"))
    arguments = dict(phase=fleet_vars.get("ses_phase", "migrate"), target_version="2.7.1",
                     group_names=fleet_vars.get("ses_groups"))
    before = compute_matrix(groups, hostvars, **arguments)
    after = compute_matrix(groups, hostvars, catalog=NEXT, **arguments)
    assert after == before
    assert [description(rule) for host in after["hosts"].values() for rule in host["rules"]] == \
        [description(rule) for host in before["hosts"].values() for rule in host["rules"]]


def test_rule_descriptions_name_no_release():
    """A description on a Windows host must not change when a release is added."""
    for text in LIFECYCLE_TEXT.values():
        assert not re.search(r"\d+\.\d+", text), text
    matrix = compute_matrix(GROUPS, HOSTVARS, "migrate", "2.8", catalog=NEXT)
    for host in matrix["hosts"].values():
        for rule in host["rules"]:
            lifecycle_part = description(rule).split(". Lifecycle: ")[1].split(". Flow ")[0]
            assert not re.search(r"\d+\.\d+", lifecycle_part), lifecycle_part


def test_no_release_literal_outside_the_catalog():
    """Release numbers live in ses_catalog.py; code elsewhere asks the catalog (docs and examples may quote them)."""
    root = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "plugins", "plugin_utils")
    offenders = []
    for name in sorted(os.listdir(root)):
        if not name.endswith(".py") or name in ("ses_catalog.py", "versions.py"):
            continue
        with open(os.path.join(root, name), encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                code = line.split("#", 1)[0]
                if re.search(r"[\"']2\.[67](\.\d+)?[\"']", code) or re.search(r"older than 2\.7", code):
                    offenders.append("%s:%d: %s" % (name, number, line.strip()))
    assert offenders == [], "\n".join(offenders)


def test_vendor_catalog_is_the_module_data():
    assert VENDOR.releases == ses_catalog.RELEASES
    assert VENDOR.flows == tuple(ses_catalog.FLOWS)


# The code of the collection (not its docs, nor the tests and the Windows simulator, which
# copy the vendor's page by hand to check the catalog against it).
_CODE_DIRS = ("plugins", "roles", "playbooks")
_CODE_SUFFIXES = (".py", ".yml", ".yaml", ".ps1", ".j2")


def _code_lines(root):
    for folder in _CODE_DIRS:
        for directory, _dirs, files in os.walk(os.path.join(root, folder)):
            for name in sorted(files):
                if not name.endswith(_CODE_SUFFIXES):
                    continue
                path = os.path.join(directory, name)
                with open(path, encoding="utf-8") as handle:
                    for number, line in enumerate(handle, 1):
                        yield os.path.relpath(path, root), number, line.split("#", 1)[0]


def test_no_installer_rule_name_outside_the_catalog():
    """The installer's Windows rule names live in ses_catalog.py; code, role defaults and playbooks import them.

    Any "(TCP-In)" name counts, with or without the page's missing spaces, so that a new
    installer rule written straight into a role or a renderer fails here too.
    """
    root = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
    offenders = ["%s:%d: %s" % (path, number, code.strip()) for path, number, code in _code_lines(root)
                 if re.search(r"\(\s*tcp\s*-\s*in\s*\)", code, re.IGNORECASE)
                 and not path.endswith(os.path.join("plugin_utils", "ses_catalog.py"))]
    assert offenders == [], "\n".join(offenders)
