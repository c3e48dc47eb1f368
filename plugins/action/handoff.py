# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin: write a per-host hand-off for a later play (file layout in plugin_utils/handoff.py)."""

from __future__ import annotations

from ansible import constants as C

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import ControllerAction
from ansible_collections.ses_evolution.firewall.plugins.modules import handoff as handoff_doc
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import handoff
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.handoff import per_host_values

__metaclass__ = type


class ActionModule(ControllerAction):
    """Writes <local tmp>/ses_handoff/<name>/; changes nothing on any host."""

    DOCUMENTATION = handoff_doc.DOCUMENTATION
    INPUT_ERRORS = (handoff.HandoffError,)
    ERROR_PREFIX = "handoff: "

    def engine(self, args, task_vars, result):
        values = per_host_values(args["per_host"], args["common"], args["hosts"])
        directory = handoff.handoff_dir(C.DEFAULT_LOCAL_TMP, args["name"])
        files = handoff.write(directory, values)
        return dict(changed=False, hosts=len(values), files=files)
