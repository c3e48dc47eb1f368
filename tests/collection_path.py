# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Makes a checkout importable as ``ansible_collections.ses_evolution.firewall`` (pytest, the lab).

ansible-test runs inside an ``ansible_collections/<ns>/<name>`` tree; a git
checkout lives anywhere, so it is exposed through a symlink in a temporary
folder. The folder is per checkout (named after a hash of its path): two
checkouts never repoint each other's link mid-run.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile

__metaclass__ = type

MARKER = os.sep + os.path.join("ansible_collections", "ses_evolution", "firewall")


def expose(root):
    """Put the folder that makes ``root`` importable first on sys.path; returns that folder."""
    root = os.path.abspath(root)
    if root.endswith(MARKER):
        base = root[: -len(MARKER)]  # already in a collection tree (ansible-test, an installed copy)
    else:
        digest = hashlib.sha256(root.encode("utf-8")).hexdigest()[:12]
        base = os.path.join(tempfile.gettempdir(), "ses_evolution_firewall_pythonpath-" + digest)
        link = os.path.join(base, "ansible_collections", "ses_evolution", "firewall")
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if not (os.path.islink(link) and os.readlink(link) == root):
            temporary = "%s.%d" % (link, os.getpid())
            os.symlink(root, temporary)
            os.replace(temporary, link)
    if base not in sys.path:
        sys.path.insert(0, base)
    return base
