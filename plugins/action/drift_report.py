# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin: the drift playbook's report (logic in plugin_utils/drift_report.py)."""

from __future__ import annotations

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import ControllerAction, plain
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.audit import file_mode
from ansible_collections.ses_evolution.firewall.plugins.modules import drift_report as drift_report_doc
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import drift_report

__metaclass__ = type

VARIABLES = {"findings": "ses_drift_findings", "error": "ses_drift_error", "platform": "ses_drift_host_platform"}


class ActionModule(ControllerAction):
    """Builds the report from the hosts' variables; writes only on the controller."""

    DOCUMENTATION = drift_report_doc.DOCUMENTATION
    # A bad mode, or a report directory that cannot be written.
    INPUT_ERRORS = (ValueError, OSError)
    ERROR_PREFIX = "drift_report: "

    def engine(self, args, task_vars, result):
        hostvars = task_vars.get("hostvars") or {}
        hosts = {}
        for name in args["hosts"]:
            variables = hostvars[name] if name in hostvars else {}
            hosts[name] = dict((key, plain(variables[variable]) if variable in variables else None)
                               for key, variable in VARIABLES.items())
        report = drift_report.build(hosts, args["phase"])
        files = []
        if args.get("report_dir"):
            mode = file_mode(args.get("report_mode"), "ses_drift_report_mode")
            files = drift_report.write(report, args["report_dir"], mode)
        return dict(changed=False, report=report, files=files)
