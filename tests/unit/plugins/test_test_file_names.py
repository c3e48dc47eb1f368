# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every test file has its own name: pytest imports test files by their base name (tests/ has no packages),
so two files of one name anywhere under tests/ stop the whole run at collection ("import file mismatch")."""

from __future__ import annotations

import collections
import os

__metaclass__ = type

TESTS = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))


def test_no_two_test_files_share_a_name():
    places = collections.defaultdict(list)
    for folder, _dirs, files in os.walk(TESTS):
        for name in files:
            if name.startswith("test_") and name.endswith(".py"):
                places[name].append(os.path.relpath(os.path.join(folder, name), TESTS))
    shared = {name: paths for name, paths in places.items() if len(paths) > 1}
    assert not shared, "rename one of each: %s" % shared
    assert len(places) > 50  # not vacuous: the walk found the suite
