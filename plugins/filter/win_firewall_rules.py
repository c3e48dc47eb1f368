# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for the Windows role: render, plan and read the host state (logic in plugin_utils/render_windows.py)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: win_firewall_rules
short_description: A host's SES matrix rules as community.windows.win_firewall_rule parameters
version_added: 1.0.0
description:
  - Turns the matrix rules of one host (C(ses_port_matrix.hosts[host].rules)) into one parameter dict per
    rule for M(community.windows.win_firewall_rule), every comparable option set explicitly.
  - Names are C(SES Evolution - <rule name>), all in the group C(SES Evolution (managed)).
  - Outbound rules are left out when O(filter_outbound) is false.
options:
  _input:
    description: The host's matrix rules (name, direction, protocol, port, peers, purpose, lifecycle, flow, peer_component).
    type: list
    elements: dict
    required: true
  profiles:
    description: Firewall profiles the rules apply to.
    type: list
    elements: str
    default: [domain, private, public]
  filter_outbound:
    description: Whether outbound rules are rendered.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Render a backend's rules
  ansible.builtin.debug:
    msg: "{{ ses_port_matrix.hosts['bo1'].rules | ses_evolution.firewall.win_firewall_rules }}"
  # => [{"name": "SES Evolution - in_console_to_backend_tcp8443_new", "group": "SES Evolution (managed)",
  #      "direction": "in", "action": "allow", "protocol": "tcp", "localport": "8443", "remoteport": "any",
  #      "localip": "any", "remoteip": "10.77.0.21/32", "program": "any", "service": "any",
  #      "profiles": ["domain", "private", "public"], "enabled": true, "state": "present",
  #      "description": "Communication of the administration console with the backend. Lifecycle: new ..."}, ...]
"""

RETURN = r"""
_value:
  description: One dict of win_firewall_rule options per rule.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import render_windows
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import SesInputError

__metaclass__ = type


def _plain(value):
    """Ansible's tagged containers and strings as plain Python for the pure-Python code."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, dict) or hasattr(value, "items"):
        return {_plain(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _run(function, *args, **kwargs):
    try:
        return function(*[_plain(arg) for arg in args], **{key: _plain(value) for key, value in kwargs.items()})
    except SesInputError as exc:
        raise AnsibleFilterError(str(exc)) from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError("%s: malformed input (%s: %s)" % (function.__name__, type(exc).__name__, exc)) from exc


def win_firewall_rules(rules, profiles=render_windows.PROFILES, filter_outbound=True):
    return _run(render_windows.render_rules, rules, profiles=profiles, filter_outbound=filter_outbound)


def win_firewall_plan(rules, existing, profiles=render_windows.PROFILES, filter_outbound=True,
                      installer_mode="adopt", installer_rules=render_windows.INSTALLER_RULES):
    return _run(render_windows.plan, rules, existing, profiles=profiles, filter_outbound=filter_outbound,
                installer_mode=installer_mode, installer_rules=installer_rules)


def win_firewall_host_state(read_result, profiles=render_windows.PROFILES, filter_outbound="auto",
                            inventory_version=None, target_version="2.7.1"):
    state = _run(render_windows.host_state, read_result, profiles=profiles, filter_outbound=filter_outbound,
                 inventory_version=inventory_version)
    state["migrated"] = render_windows.is_migrated(state["version"], _plain(target_version))
    return state


class FilterModule:
    def filters(self):
        return {
            "win_firewall_rules": win_firewall_rules,
            "win_firewall_plan": win_firewall_plan,
            "win_firewall_host_state": win_firewall_host_state,
        }
