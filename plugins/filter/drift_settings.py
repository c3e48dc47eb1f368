# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter drift_settings: the drift playbook's settings, checked before any host is read."""

from __future__ import annotations

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import FilterDoc
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import drift

__metaclass__ = type

DOCUMENTATION = r"""
---
name: drift_settings
short_description: The drift playbook's settings, converted and checked, and the SES ports to watch
version_added: 1.2.0
description:
  - Converts C(ses_drift_report_only) strictly (C(-e ses_drift_report_only=false) is false, C(maybe) is refused),
    checks C(ses_drift_report_dir) and C(ses_drift_ports), and lists the SES ports whose exposure the audit
    looks for - the vendor's TCP 443, 8443, 10443 and 17000, every port of the matrix (the SQL and syslog
    ports as configured) and C(ses_drift_ports).
  - A bad value fails naming the variable, before any host is read. Lives in C(plugin_utils/drift.py).
options:
  _input:
    description: The settings as given (C(ses_drift_report_only), C(ses_drift_ports), C(ses_drift_report_dir)).
    type: dict
    required: true
  matrix_hosts:
    description: The matrix's C(hosts) (C(ses_port_matrix.hosts)).
    type: dict
    required: true
positional: _input, matrix_hosts
"""

EXAMPLES = r"""
- name: Check the settings
  ansible.builtin.set_fact:
    settings: >-
      {{ {'ses_drift_report_only': 'no', 'ses_drift_ports': ['tcp/8080'], 'ses_drift_report_dir': '/var/tmp/drift'}
         | ses_evolution.firewall.drift_settings(ses_port_matrix.hosts) }}
  # {"report_only": false, "report_dir": "/var/tmp/drift", "ports": [["tcp", 443], ..., ["tcp", 8080], ...]}
"""

RETURN = r"""
_value:
  description: C(report_only) (bool), C(report_dir), C(ports) (C([protocol, port]) pairs, sorted).
  type: dict
"""

_DOC = FilterDoc(DOCUMENTATION)


def drift_settings(*args, **kwargs):
    """The checked settings."""
    return _DOC.run(drift.settings, args, kwargs)


class FilterModule:
    """The drift_settings filter."""

    def filters(self):
        return {"drift_settings": drift_settings}
