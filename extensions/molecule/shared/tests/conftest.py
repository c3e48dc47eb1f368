# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""testinfra hosts that are lab namespaces: every command runs under ``ip netns exec``.

testinfra's ansible backend falls back to the root namespace for local connections,
and ``--force-ansible`` costs a second per command; this backend is the local one
with the command wrapped, so a test reads exactly what the lab host sees.
"""

from __future__ import annotations

import json
import os
import shlex

import pytest
import testinfra
from testinfra.backend.local import LocalBackend

__metaclass__ = type

PREFIX = os.environ.get("SES_LAB_PREFIX", "lab-")
STATE = os.path.join(os.environ.get("SES_LAB_STATE_ROOT", "/run/ses-lab"), PREFIX)


class NetnsBackend(LocalBackend):
    """Runs each command inside one network namespace."""

    NAME = "netns"

    def __init__(self, namespace, *args, **kwargs):
        self.namespace = namespace
        super().__init__(*args, **kwargs)

    def get_pytest_id(self):
        return "netns:" + self.namespace

    def run(self, command, *args, **kwargs):
        inner = self.get_command(command, *args)
        return self.run_local("ip netns exec %s sh -c %s" % (shlex.quote(self.namespace), shlex.quote(inner)))


@pytest.fixture(scope="session")
def lab():
    path = os.path.join(STATE, "lab.json")
    if not os.path.exists(path):
        pytest.fail("no lab state in %s: run 'python3 tests/lab/lab.py up INVENTORY %s' first" % (STATE, PREFIX))
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture(scope="session")
def lab_host(lab):
    """lab_host(name) -> a testinfra Host inside that lab host's namespace."""
    cache = {}

    def get(name):
        if name not in cache:
            namespace = lab["bridge_namespace"] if name == "bridge" else lab["hosts"][name]["namespace"]
            cache[name] = testinfra.host.Host(NetnsBackend(namespace))
        return cache[name]

    return get
