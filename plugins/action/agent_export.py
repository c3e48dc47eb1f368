# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin: the console's agent export, read on the controller (logic in plugin_utils/agent_export.py)."""

from __future__ import annotations

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import ControllerAction
from ansible_collections.ses_evolution.firewall.plugins.modules import agent_export as agent_export_doc
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.agent_export import read_agent_export
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import SesInputError

__metaclass__ = type


class ActionModule(ControllerAction):
    """Parses the export; fails with the file, line and fix when it cannot be read with certainty."""

    DOCUMENTATION = agent_export_doc.DOCUMENTATION
    INPUT_ERRORS = (SesInputError,)

    def engine(self, args, task_vars, result):
        export = read_agent_export(args["path"], args.get("name_column"), args.get("version_column"),
                                   args["minimum_version"])
        return dict(export, changed=False)
