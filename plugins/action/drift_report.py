# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin: the drift playbook's report (logic in plugin_utils/drift_report.py)."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import argument_spec_from_doc, plain
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.audit import file_mode
from ansible_collections.ses_evolution.firewall.plugins.modules import drift_report as drift_report_doc
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import drift_report

__metaclass__ = type

ARGUMENT_SPEC = argument_spec_from_doc(drift_report_doc.DOCUMENTATION)
VARIABLES = {"findings": "ses_drift_findings", "error": "ses_drift_error", "platform": "ses_drift_host_platform"}


class ActionModule(ActionBase):
    """Builds the report from the hosts' variables; writes only on the controller."""

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp  # no remote files
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        hostvars = task_vars.get("hostvars") or {}
        hosts = {}
        for name in plain(args["hosts"]):
            variables = hostvars[name] if name in hostvars else {}
            hosts[name] = dict((key, plain(variables[variable]) if variable in variables else None)
                               for key, variable in VARIABLES.items())
        report = drift_report.build(hosts, args["phase"])
        files = []
        if args.get("report_dir"):
            try:
                mode = file_mode(plain(args.get("report_mode")), "ses_drift_report_mode")
                files = drift_report.write(report, args["report_dir"], mode)
            except (ValueError, OSError) as exc:
                raise AnsibleActionFail("drift_report: %s" % exc)
        result.update(changed=False, report=report, files=files)
        return result
