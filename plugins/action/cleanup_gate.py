# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin: the cleanup gates and plan (logic in plugin_utils/cleanup_gate.py)."""

from __future__ import annotations

import datetime

from ansible import constants as C
from ansible.plugins.action import ActionBase

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import argument_spec_from_doc, plain
from ansible_collections.ses_evolution.firewall.plugins.modules import cleanup_gate as cleanup_gate_doc
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import cleanup_gate, connections, handoff

__metaclass__ = type

ARGUMENT_SPEC = argument_spec_from_doc(cleanup_gate_doc.DOCUMENTATION)


def _probe_items(probes):
    """Loop items of every registered probe result (a result without a loop counts as one item)."""
    items = []
    for probe in probes:
        if isinstance(probe, dict) and isinstance(probe.get("results"), list):
            items.extend(probe["results"])
        elif isinstance(probe, dict):
            items.append(probe)
    return items


def _load_matrix(args):
    """(matrix, fleet_hosts or None) from the matrix argument or the run's hand-off; ValueError when wrong."""
    if (args.get("matrix") is None) == (args.get("matrix_handoff") is None):
        raise ValueError("give exactly one of matrix and matrix_handoff")
    fleet_hosts = None
    if args.get("matrix_handoff"):
        written = handoff.read_fleet(handoff.handoff_dir(C.DEFAULT_LOCAL_TMP, args["matrix_handoff"]))
        matrix, fleet_hosts = written.get("matrix") or {}, written.get("fleet_hosts")
    else:
        matrix = plain(args["matrix"])
    if not isinstance(matrix.get("hosts"), dict) or matrix.get("phase") != "cleanup":
        raise ValueError("matrix must be the port matrix of phase cleanup (ses_port_matrix from "
                         "ses_evolution.firewall.port_matrix with phase: cleanup); got phase %r" % matrix.get("phase"))
    return matrix, fleet_hosts


class ActionModule(ActionBase):
    """Returns the fact ses_cleanup_gate; a closed gate is data, not a failure (the playbook stops on it)."""

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp  # no remote files
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        try:
            matrix, fleet_hosts = _load_matrix(args)
        except (ValueError, handoff.HandoffError) as exc:
            result.update(failed=True, changed=False, msg="cleanup_gate: %s" % exc)
            return result

        hostvars = task_vars.get("hostvars") or {}
        unmanaged = set()
        for name in cleanup_gate.backoffice_hosts(matrix):
            variables = hostvars[name] if name in hostvars else {}
            value = variables.get("ses_firewall_managed", True)
            try:
                if not cleanup_gate.is_managed({"ses_firewall_managed": plain(self._templar.template(value))}, name):
                    unmanaged.add(name)
            except ValueError as exc:
                result.update(failed=True, changed=False, msg="cleanup_gate: %s" % exc)
                return result

        items = _probe_items(plain(args["probes"]))
        # Probes that ran on the hosts themselves (in parallel), recorded with this run's token.
        variable, token = args.get("host_probe_variable"), args.get("host_probe_token")
        if variable and token:
            for name in cleanup_gate.backoffice_hosts(matrix):
                variables = hostvars[name] if name in hostvars else {}
                recorded = plain(variables[variable]) if variable in variables else None
                # Each result counts for this host whatever item it names (a loop over the host itself, or not).
                items.extend(dict(result, item=name, ansible_loop_var="item")
                             for result in _probe_items(cleanup_gate.host_probe_results(recorded, token)))
        detections = cleanup_gate.detections_from_probes(items)
        backoffice = cleanup_gate.backoffice_verdict(matrix, detections, plain(args.get("target_version")),
                                                     unmanaged, args["accept_command_line_version"])
        agent_export = plain(args.get("agent_export"))
        if agent_export is not None and (agent_export.get("failed") or "agents" not in agent_export):
            result.update(failed=True, changed=False,
                          msg="cleanup_gate: agent_export is not a successful result of "
                              "ses_evolution.firewall.agent_export: %s" % agent_export.get("msg", "no agents"))
            return result
        agents = cleanup_gate.agents_verdict(matrix, args["agents"], agent_export, args.get("minimum_agents"))
        plan = cleanup_gate.cleanup_plan(matrix, agents)
        refusal = cleanup_gate.refusal_lines(backoffice, agents)
        run = None if refusal else self._run_record(task_vars, args, backoffice, agents)
        if fleet_hosts is None:  # the matrix came as an argument: read the handling of the hosts with removals
            removing = [name for name, entry in plan.items() if entry["removed"] and name in hostvars]
            try:
                fleet_hosts = connections.fleet_handling(
                    removing, {name: {key: plain(hostvars[name][key]) for key in connections.HANDLING_VARIABLES
                                      if key in hostvars[name]} for name in removing})
            except ValueError as exc:
                result.update(failed=True, changed=False, msg="cleanup_gate: %s" % exc)
                return result
        targets = connections.hosts_with_work(plan, fleet_hosts, "removed")
        gate = {
            "ready": backoffice["ready"],
            "blocking_hosts": backoffice["blocking_hosts"],
            "backoffice": backoffice,
            "agents": agents,
            "agents_table": cleanup_gate.agents_table(agents),
            "targets": targets,
            "plan": plan,
            "dry_run": cleanup_gate.plan_lines(plan) + cleanup_gate.reminders(agents),
            "refusal": refusal,
            # This run's record, only when both gates pass; the playbook copies it with set_fact, so the
            # record it uses is always this run's (the gate fact is recomputed by every run).
            "run": run,
            "rules_to_remove": sum(len(entry["removed"]) for entry in plan.values()),
        }
        if args.get("handoff"):
            # The removal play's input, past both gates and the confirmation only: a host without it removes nothing.
            del gate["plan"]
            if run and args["confirm"]:
                try:
                    handoff.write(handoff.handoff_dir(C.DEFAULT_LOCAL_TMP, args["handoff"]),
                                  {name: {"plan": plan[name], "ready": backoffice["ready"], "run": run}
                                   for name in targets})
                except handoff.HandoffError as exc:
                    result.update(failed=True, changed=False, msg="cleanup_gate: handoff: %s" % exc)
                    return result
            else:
                gate["targets"] = []
        result["changed"] = False
        result["ansible_facts"] = {"ses_cleanup_gate": gate}
        return result

    def _run_record(self, task_vars, args, backoffice, agents):
        """This run's record (the gates passed): what the audit record says about the run."""
        now = datetime.datetime.now(datetime.timezone.utc)
        return {
            "gate_passed": True,
            "confirmed": bool(args["confirm"]),
            "run_id": now.strftime("%Y%m%dT%H%M%S%fZ"),
            "started": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "playbook": "ses_evolution.firewall.cleanup",
            "ansible_version": plain((task_vars.get("ansible_version") or {}).get("full")),
            "inventory": plain(task_vars.get("ansible_inventory_sources") or []),
            "limit": plain(task_vars.get("ansible_limit")),
            "check_mode": bool(self._task.check_mode),
            "target_version": backoffice["target_version"],
            "version_source": backoffice["version_source"],
            "command_line_version_accepted": backoffice["command_line_version_accepted"],
            "agents_removed": agents["remove_legacy_agent"],
            "agent_sources": agents["sources"],
            "gate_table": backoffice["table"],
        }
