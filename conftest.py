# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lets plain ``pytest`` import this checkout as ``ansible_collections.ses_evolution.firewall``.

ansible-test does this by running inside an ``ansible_collections/<ns>/<name>`` tree; a
git checkout lives anywhere, so expose it through a symlink in a temporary folder.
"""

from __future__ import annotations

import os
import sys
import tempfile

__metaclass__ = type

ROOT = os.path.dirname(os.path.abspath(__file__))


def _expose_checkout():
    if os.sep + os.path.join("ansible_collections", "ses_evolution", "firewall") in ROOT:
        return  # already in a collection tree (ansible-test, an installed copy)
    base = os.path.join(tempfile.gettempdir(), "ses_evolution_firewall_pythonpath")
    link = os.path.join(base, "ansible_collections", "ses_evolution", "firewall")
    os.makedirs(os.path.dirname(link), exist_ok=True)
    if not (os.path.islink(link) and os.readlink(link) == ROOT):
        temporary = "%s.%d" % (link, os.getpid())
        os.symlink(ROOT, temporary)
        os.replace(temporary, link)
    sys.path.insert(0, base)


_expose_checkout()
