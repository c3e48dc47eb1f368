# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin: verify's probe plan from the run's matrix hand-off (logic in plugin_utils/verify.py)."""

from __future__ import annotations

from ansible import constants as C

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import ControllerAction
from ansible_collections.ses_evolution.firewall.plugins.modules import verify_probe_plan as verify_probe_plan_doc
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import handoff
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.verify import VerifyPlanError, build_plan

__metaclass__ = type


class ActionModule(ControllerAction):
    """Sets ses_verify_plan and writes each probing host's part; changes nothing on any host."""

    DOCUMENTATION = verify_probe_plan_doc.DOCUMENTATION
    INPUT_ERRORS = (VerifyPlanError, handoff.HandoffError)
    ERROR_PREFIX = "verify_probe_plan: "

    def engine(self, args, task_vars, result):
        # Read here, the matrix never goes through a template (Ansible would copy all of it).
        written = handoff.read_fleet(handoff.handoff_dir(C.DEFAULT_LOCAL_TMP, args["matrix_handoff"]))
        plan = build_plan(written.get("matrix"), written.get("fleet_hosts") or {}, args["blocked_ports"],
                          args.get("blocked_from"), args["session"])
        parts = handoff.per_host_values(
            {"listen": plan["listeners"], "probes": plan["probes_by_source"], "expect": plan["expect"]},
            {"session": plan["session"]}, plan["hosts"])
        # Written in check mode too: the run's private folder, no host's state.
        handoff.write(handoff.handoff_dir(C.DEFAULT_LOCAL_TMP, args["handoff"]), parts)
        return {"changed": False, "ansible_facts": {"ses_verify_plan": plan}}
