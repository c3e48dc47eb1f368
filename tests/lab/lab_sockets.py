# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The listening sockets of the lab's tools (listener.py, prober.py serve), written once.

Both run as scripts inside a lab host's namespace (``ip netns exec NS python3 TOOL``),
so this folder is on their ``sys.path`` and they import this module by name. The
binding itself is the collection's (module_utils/sockets.py, which the ses_probe
module uses on the managed hosts), so the lab listens the way verify does. The lab
rebinds a port a moment after the previous listener of a run stopped: hence
SO_REUSEADDR, which ses_probe does not need.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import collection_path  # noqa: E402  pylint: disable=wrong-import-position

collection_path.expose(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
# pylint: disable-next=wrong-import-position
from ansible_collections.ses_evolution.firewall.plugins.module_utils.sockets import bind_dual_stack  # noqa: E402

__metaclass__ = type


def bind(protocol, port):
    """A non-blocking socket bound on every address of the namespace, IPv4 and IPv6 (``tcp`` listens)."""
    return bind_dual_stack(protocol, port, reuse_address=True)
