# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin: the console's agent export, read on the controller (logic in plugin_utils/agent_export.py)."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import argument_spec_from_doc, plain
from ansible_collections.ses_evolution.firewall.plugins.modules import agent_export as agent_export_doc
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.agent_export import read_agent_export
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import SesInputError

__metaclass__ = type

ARGUMENT_SPEC = argument_spec_from_doc(agent_export_doc.DOCUMENTATION)


class ActionModule(ActionBase):
    """Parses the export; fails with the file, line and fix when it cannot be read with certainty."""

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars or {})
        del tmp  # no remote files
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        try:
            export = read_agent_export(plain(args["path"]), plain(args.get("name_column")),
                                       plain(args.get("version_column")), plain(args["minimum_version"]))
        except SesInputError as exc:
            result.update(failed=True, changed=False, msg=str(exc), problems=exc.problems)
            return result
        result.update(export)
        result["changed"] = False
        return result
