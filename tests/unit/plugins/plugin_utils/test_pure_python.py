# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine under plugins/plugin_utils is pure Python: only ansible_glue.py, the Ansible-facing side, imports Ansible."""

from __future__ import annotations

import ast
import os

import pytest

__metaclass__ = type

PLUGIN_UTILS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "plugins", "plugin_utils")
GLUE = "ansible_glue.py"


def _imports(path):
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


@pytest.mark.parametrize("name", sorted(name for name in os.listdir(PLUGIN_UTILS)
                                        if name.endswith(".py") and name not in (GLUE, "__init__.py")))
def test_the_engine_imports_no_ansible(name):
    imported = list(_imports(os.path.join(PLUGIN_UTILS, name)))
    assert not [module for module in imported if module == "ansible" or module.startswith("ansible.")]
    assert not [module for module in imported if module.endswith("ansible_glue")]
