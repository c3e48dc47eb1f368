# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin: the SES Evolution port matrix of the whole fleet, computed once on the controller.

The computing is in plugins/plugin_utils (matrix.py, report.py); this wrapper
only reads the inventory, converts Ansible's value types to plain Python, and
writes the report files.
"""

from __future__ import annotations

import os

from ansible import constants as C
from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.plugins.action import ActionBase
from ansible.utils.vars import load_extra_vars

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import argument_spec_from_doc, plain
from ansible_collections.ses_evolution.firewall.plugins.modules import port_matrix as port_matrix_doc
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import connections, fleet_settings, handoff
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.catalog import VENDOR
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.cleanup_gate import backoffice_hosts
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.audit import file_mode
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import ProblemCollector, SesInputError
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.files import AtomicWriteError, write_if_changed
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.fleet_settings import FLEET_VARIABLES
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.fleet import (
    COMMON_VARIABLES, COMPONENT_VARIABLES, resolve_group_names)
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.matrix import compute_matrix
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.report import render_all, summarize

__metaclass__ = type

ARGUMENT_SPEC = argument_spec_from_doc(port_matrix_doc.DOCUMENTATION)


class ActionModule(ActionBase):
    """Reads the SES groups and the hosts' ses_* variables, returns the matrix as the ses_port_matrix fact."""

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp  # no remote files

        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)

        # Fleet-wide settings come from the controller's view (command line, group all,
        # localhost), never from the host a play runs this task for.
        fleet = fleet_values(task_vars, self._templar)
        command_line = command_line_variables(self._loader)
        phase = _first(args.get("phase"), fleet.get("ses_phase"), "migrate")
        target_version = _first(args.get("target_version"), fleet.get("ses_target_version"),
                                VENDOR.default_target)
        group_override = _first(args.get("groups"), fleet.get("ses_groups"), None)

        groups = task_vars.get("groups") or {}
        try:
            problem = fleet_settings.phase_conflict(args.get("phase"), command_line)
            if problem:
                raise SesInputError([problem])
            members, hostvars, host_settings, strays = self._read_inventory(groups, task_vars.get("hostvars"),
                                                                            group_override)
            # The play host too: a playbook's own tasks read the fleet settings from it (the first host of the limit).
            play_host = plain(task_vars.get("inventory_hostname") or "localhost")
            for variable in FLEET_VARIABLES:
                if variable in task_vars:
                    host_settings.setdefault(play_host, {})[variable] = plain(self._templar.template(task_vars[variable]))
            problems = fleet_settings.setting_conflicts(fleet, host_settings)
            # The cleanup's switches, converted once for the whole playbook and checked before any host is touched.
            if phase == "cleanup":
                switches, switch_problems = fleet_settings.cleanup_switches(fleet)
                problems.extend(switch_problems)
            # Checked here, before any host is touched, though only the report and audit tasks use them.
            for variable in ("ses_audit_mode", "ses_report_mode"):
                try:
                    file_mode(fleet.get(variable), variable)
                except ValueError as exc:
                    problems.append(str(exc))
            if problems:
                raise SesInputError(problems)
            matrix = compute_matrix(members, hostvars, phase=phase, target_version=target_version,
                                    group_names=group_override, inventory_groups=groups,
                                    unrelated_groups=fleet.get("ses_unrelated_groups"),
                                    allow_any_network=fleet.get("ses_allow_any_network", False))
            # Platform, remote, managed of each host (the one platform registry), read in the same pass.
            handling = connections.fleet_handling(matrix["hosts"], hostvars)
        except SesInputError as exc:
            result.update(failed=True, changed=False, msg=str(exc), problems=exc.problems)
            return result

        if "ses_version" in command_line:
            # Every host's ses_version is the command line's: the gates must not take it for the hosts' own.
            matrix["version_source"] = "command line"
            matrix["warnings"].append(
                "-e ses_version=%s overrides the version of every host: the gates read it instead of the inventory's; "
                "cleanup refuses it unless -e ses_cleanup_accept_command_line_version=yes" % command_line["ses_version"])
        else:
            matrix["version_source"] = "inventory"
        if strays:
            matrix["warnings"].append(
                "host(s) %s%s carry ses_version but are in no SES group, so no rule and no gate covers them; add "
                "them to their SES group, or remove ses_version from them"
                % (", ".join(strays[:10]), " and %d more" % (len(strays) - 10) if len(strays) > 10 else ""))
        result["changed"] = False
        if matrix["warnings"]:
            result["warnings"] = list(matrix["warnings"])
        # The managed hosts with rules to apply, and with legacy rules to remove: the only hosts the
        # per-host plays enter.
        targets = {key: connections.hosts_with_work(matrix["hosts"], handling, key) for key in ("rules", "retired_rules")}
        # The managed backoffice hosts by platform: the cleanup gate probes them.
        targets["backoffice"] = {platform: [name for name in backoffice_hosts(matrix) if handling[name]["managed"]
                                            and handling[name]["platform"] == platform]
                                 for platform in connections.PLATFORMS}
        if args["set_fact"]:
            result["ansible_facts"] = {"ses_fleet_targets": targets}
            if phase == "cleanup":
                result["ansible_facts"]["ses_cleanup_switches"] = switches
            if args["matrix_fact"]:
                result["ansible_facts"].update(ses_port_matrix=matrix, ses_fleet_hosts=handling)
        # Counts for a console summary, so a playbook need not walk the whole matrix in Jinja.
        result["summary"] = summarize(matrix)
        if args.get("handoff"):
            result["handoff"] = self._write_handoff(args["handoff"], matrix)
        if args.get("matrix_handoff"):
            try:
                handoff.write_fleet(handoff.handoff_dir(C.DEFAULT_LOCAL_TMP, args["matrix_handoff"]),
                                    {"matrix": matrix, "fleet_hosts": handling})
            except handoff.HandoffError as exc:
                raise AnsibleActionFail("matrix_handoff: %s" % exc)
        if args.get("report_dir"):
            try:
                mode = file_mode(_first(args.get("report_mode"), fleet.get("ses_report_mode")), "report_mode")
            except ValueError as exc:
                raise AnsibleActionFail(str(exc))
            written, changed = self._write_report(args["report_dir"], matrix, mode)
            result["report_files"] = written
            result["report_changed"] = changed
            result["changed"] = bool(changed)
        return result

    def _read_inventory(self, groups, hostvars, group_override):
        """The SES groups' members and, per host, only the variables the model reads.

        hostvars[name] makes Ansible compute that host's whole variable set, which is
        the cost on large fleets; agents are read for the three common variables only.
        """
        problems = ProblemCollector()
        names = resolve_group_names(group_override, problems)
        problems.raise_if_any()  # compute_matrix words these; stop before reading any host
        wanted = {}
        members = {}
        for component, group in names.items():
            listed = [plain(name) for name in groups.get(group) or ()]
            members[group] = listed
            variables = COMMON_VARIABLES + COMPONENT_VARIABLES.get(component, ()) + connections.HANDLING_VARIABLES
            for name in listed:
                wanted.setdefault(name, set()).update(variables)
        values, settings, strays = {}, {}, []
        if hostvars is None:
            return members, values, settings, strays
        problems = ProblemCollector()
        for name, variables in wanted.items():
            host_vars = hostvars[name]
            picked = {}
            for variable in FLEET_VARIABLES:
                if variable in host_vars:
                    settings.setdefault(name, {})[variable] = plain(host_vars[variable])
            for variable in variables:
                if variable not in host_vars:
                    continue
                try:
                    picked[variable] = plain(host_vars[variable])
                except AnsibleError as exc:
                    problems.add("host '%s': %s could not be templated (%s); fix the variable's value"
                                 % (name, variable, to_text(exc).splitlines()[0]))
            if isinstance(picked.get("ses_version"), float) and "inventory_file" in host_vars:
                # INI reads 2.10 as 2.1: the error's fix depends on the file the host comes from.
                picked["inventory_file"] = plain(host_vars["inventory_file"])
            values[name] = picked
        problems.raise_if_any()
        # A host with a version but in no SES group is probably misfiled (a group name off by a letter).
        for name in groups.get("all") or ():
            if name not in wanted and "ses_version" in hostvars[name]:
                strays.append(plain(name))
        return members, values, settings, sorted(strays)

    @staticmethod
    def _write_handoff(name, matrix):
        """Each host's rules as a file of the run's private temporary directory, for a later play.

        Written in check mode too: it is no change to any host, and the later play needs it there as well.
        """
        try:
            directory = handoff.handoff_dir(C.DEFAULT_LOCAL_TMP, name)
            files = handoff.write(directory, {host: entry["rules"] for host, entry in matrix["hosts"].items()})
        except handoff.HandoffError as exc:
            raise AnsibleActionFail("handoff: %s" % exc)
        return {"name": name, "hosts": len(matrix["hosts"]), "files": files}

    def _write_report(self, report_dir, matrix, mode):
        """Write the three files atomically, each only when its content changed. Honours check mode."""
        report_dir = os.path.abspath(os.path.expanduser(report_dir))
        files = render_all(matrix)
        written, changed = [], []
        check_mode = self._task.check_mode
        if not check_mode:
            try:
                os.makedirs(report_dir, exist_ok=True)
            except OSError as exc:
                raise AnsibleActionFail("report_dir %s cannot be created: %s" % (report_dir, exc))
        for filename, content in files.items():
            path = os.path.join(report_dir, filename)
            written.append(path)
            try:
                if write_if_changed(path, to_bytes(content), mode, dry_run=check_mode):
                    changed.append(path)
            except AtomicWriteError as exc:
                raise AnsibleActionFail(str(exc))
        return written, changed


def _first(*values):
    for value in values:
        if value is not None:
            return plain(value)
    return None


def command_line_variables(loader):
    """The variables given with -e (parsed once per run by Ansible itself)."""
    try:
        return plain(load_extra_vars(loader)) or {}
    except (AnsibleError, OSError):
        return {}


def fleet_values(task_vars, templar):
    """The fleet-wide settings as the controller sees them: -e, group all, localhost's own variables."""
    source = task_vars
    hostvars = task_vars.get("hostvars")
    if hostvars is not None:
        try:
            source = hostvars["localhost"]
        except (KeyError, AnsibleError):
            source = task_vars
    values = {}
    for variable in FLEET_VARIABLES:
        if variable in source:
            value = source[variable]
            values[variable] = plain(templar.template(value) if source is task_vars else value)
    return values
