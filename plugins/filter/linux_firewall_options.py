# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter linux_firewall_options: the linux_firewall role's options, converted by type and checked."""

from __future__ import annotations

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import FilterDoc

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.linux_options import check_options

__metaclass__ = type

DOCUMENTATION = r"""
---
name: linux_firewall_options
short_description: The linux_firewall role's options, converted by type and checked before any host is touched
version_added: 1.1.0
description:
  - Takes the role's C(linux_firewall_*) variables as given (from the inventory or C(-e), where C(-e flag=false)
    arrives as the string C("false")) plus C(ansible_connection) and C(ansible_port), and returns them converted
    by type.
  - Booleans accept C(true)/C(false), C(yes)/C(no), C(on)/C(off), C(1)/C(0) in any case; anything else
    (C(maybe)) is refused. Integers are checked against their range; paths must be absolute and plain (no
    quotes, spaces, C(..) or newlines); nft table and chain names must follow nft's identifier syntax;
    each raw statement of C(linux_firewall_extra_input) / C(linux_firewall_extra_output) must be one rule
    statement on one line (no newline, no C(;), balanced braces and quotes, no top-level command).
  - Decides once whether the connection can be cut by the host's packet filter (C(remote)) - every
    connection plugin but C(local) and C(ansible.builtin.local) - unless C(linux_firewall_connection_remote) says.
  - Fails with every problem at once, each naming the variable and the fix.
author:
  - ses_evolution.firewall contributors
options:
  _input:
    description: The role's variables by full name, plus C(ansible_connection) and C(ansible_port).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Check the role's options
  ansible.builtin.set_fact:
    options: "{{ {'linux_firewall_filter_outbound': 'false', ...} | ses_evolution.firewall.linux_firewall_options }}"
  # options: {"filter_outbound": false, "remote": true, "connection": "ssh", ...}
"""

RETURN = r"""
_value:
  description: The options by name without the C(linux_firewall_) prefix, converted, plus C(remote),
    C(connection) and C(ansible_port).
  type: dict
"""


_DOC = FilterDoc(DOCUMENTATION)


def linux_firewall_options(*args, **kwargs):
    """The role's options, converted and checked; the filter's own arguments validated against DOCUMENTATION."""
    return _DOC.run(check_options, args, kwargs)


class FilterModule:
    """The linux_firewall_options filter."""

    def filters(self):
        return {"linux_firewall_options": linux_firewall_options}
