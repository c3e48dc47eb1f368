# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The installer_rules lookup: the catalog's installer rules (the role's default; the windows_sim scenario runs it)."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleLookupError

from ansible_collections.ses_evolution.firewall.plugins.lookup.installer_rules import LookupModule
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import ses_catalog

__metaclass__ = type


def _lookup():
    return LookupModule()


def test_returns_the_catalogs_installer_rules():
    assert _lookup().run([], variables={}) == [dict(rule) for rule in ses_catalog.INSTALLER_RULES]


def test_a_play_cannot_change_the_catalog():
    rules = _lookup().run([], variables={})
    rules[0]["flows"].append("console_to_backend")
    rules[0]["name"] = "changed"
    assert _lookup().run([], variables={}) == [dict(rule) for rule in ses_catalog.INSTALLER_RULES]
    assert ses_catalog.INSTALLER_RULES[0]["flows"] == ["agent_to_agent_handler"]


def test_terms_are_refused():
    with pytest.raises(AnsibleLookupError, match="takes no terms"):
        _lookup().run(["backend"], variables={})
