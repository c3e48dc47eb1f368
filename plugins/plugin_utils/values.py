# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Values as a user types them: ``-e flag=false`` arrives as the string "false", and must mean false."""

from __future__ import annotations

__metaclass__ = type

_TRUE = frozenset(("true", "yes", "on", "1", "y", "t"))
_FALSE = frozenset(("false", "no", "off", "0", "n", "f"))


def to_bool(value, variable, problems, nullable=False):
    """``value`` as a boolean, the way a user types it with -e; records a problem otherwise."""
    if value is None and nullable:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower() if isinstance(value, str) else None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    problems.append("%s must be a boolean (true/false, yes/no, on/off, 1/0), got %r"
                    % (variable, value))
    return None
