# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin: verify's probe plan from the run's matrix hand-off (logic in plugin_utils/verify.py)."""

from __future__ import annotations

from ansible import constants as C
from ansible.plugins.action import ActionBase

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import argument_spec_from_doc, plain
from ansible_collections.ses_evolution.firewall.plugins.modules import verify_probe_plan as verify_probe_plan_doc
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import handoff
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.verify import VerifyPlanError, build_plan

__metaclass__ = type

ARGUMENT_SPEC = argument_spec_from_doc(verify_probe_plan_doc.DOCUMENTATION)


class ActionModule(ActionBase):
    """Sets ses_verify_plan and writes each probing host's part; changes nothing on any host."""

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars or {})
        del tmp  # no remote files
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        try:
            written = handoff.read_fleet(handoff.handoff_dir(C.DEFAULT_LOCAL_TMP, args["matrix_handoff"]))
            plan = build_plan(written.get("matrix"), written.get("fleet_hosts") or {}, plain(args["blocked_ports"]),
                              plain(args.get("blocked_from")), plain(args["session"]))
            parts = {host: {"session": plan["session"]} for host in plan["hosts"]}
            for key, mapping in (("listen", plan["listeners"]), ("probes", plan["probes_by_source"]),
                                 ("expect", plan["expect"])):
                for host, value in mapping.items():
                    parts[host][key] = value
            handoff.write(handoff.handoff_dir(C.DEFAULT_LOCAL_TMP, args["handoff"]), parts)
        except (VerifyPlanError, handoff.HandoffError) as exc:
            result.update(failed=True, changed=False, msg="verify_probe_plan: %s" % exc)
            return result
        result.update(changed=False, ansible_facts={"ses_verify_plan": plan})
        return result
