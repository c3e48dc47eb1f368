# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lets plain ``pytest`` import this checkout as ``ansible_collections.ses_evolution.firewall``.

ansible-test does this by running inside an ``ansible_collections/<ns>/<name>`` tree; a
git checkout lives anywhere, so expose it through a symlink in a temporary folder.
"""

from __future__ import annotations

import importlib.util
import os

__metaclass__ = type

ROOT = os.path.dirname(os.path.abspath(__file__))


def _collection_path():
    """tests/collection_path.py, loaded by path: the collection is not importable before it runs."""
    spec = importlib.util.spec_from_file_location("ses_collection_path", os.path.join(ROOT, "tests", "collection_path.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_collection_path().expose(ROOT)
