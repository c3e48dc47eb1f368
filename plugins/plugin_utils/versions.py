# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SES Evolution version strings: parse and compare ("2.6.3", "2.7.1", "2.7.1.1204")."""

from __future__ import annotations

import re

__metaclass__ = type

_VERSION_RE = re.compile(r"^\s*v?(\d+(?:\.\d+){0,3})\s*$")


def parse_version(value):
    """Return a 4-tuple of ints, or None when ``value`` is not a version.

    Floats are refused on purpose: YAML reads ``ses_version: 2.10`` as 2.1.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    match = _VERSION_RE.match(str(value))
    if not match:
        return None
    parts = [int(part) for part in match.group(1).split(".")]
    return tuple(parts + [0] * (4 - len(parts)))


YAML_SUFFIXES = (".yml", ".yaml", ".json")


def describe_bad_version(value, where, variable, source=None):
    """The error text for a value that ``parse_version`` refused (``where``: None for a fleet setting).

    ``source``: the inventory file the value comes from; an INI file needs its own fix, since
    Ansible reads ``ses_version=2.10`` and even ``ses_version="2.10"`` there as the number 2.1.
    """
    prefix = "" if where is None else "%s: " % where
    if isinstance(value, float) and source and not str(source).lower().endswith(YAML_SUFFIXES):
        host = where[len("host '"):-1] if where and where.startswith("host '") else "HOST"
        return ("%s%s is the number %r: the INI inventory %s reads %s=2.10, and even %s=\"2.10\", as a number "
                "(2.10 becomes 2.1); in INI write it %s='\"2.10\"' (double quotes inside single quotes), or move "
                "it to a YAML file such as host_vars/%s.yml with %s: \"2.10\""
                % (prefix, variable, value, source, variable, variable, variable, host, variable))
    if isinstance(value, float):
        return ("%s%s is the number %r, and YAML may have altered it (2.10 reads as 2.1); "
                "quote it, for example %s: \"2.7.1\"" % (prefix, variable, value, variable))
    return ("%s%s is %r, which is not a version; use dotted numbers such as \"2.6.3\" or \"2.7.1\""
            % (prefix, variable, value))
