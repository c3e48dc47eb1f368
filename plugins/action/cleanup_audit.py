# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin: the cleanup audit record, written on the controller (logic in plugin_utils/audit.py)."""

from __future__ import annotations

import getpass
import os
import socket

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import argument_spec_from_doc, plain
from ansible_collections.ses_evolution.firewall.plugins.modules import cleanup_audit as cleanup_audit_doc
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import audit

__metaclass__ = type

ARGUMENT_SPEC = argument_spec_from_doc(cleanup_audit_doc.DOCUMENTATION)


class ActionModule(ActionBase):
    """Writes one host's part, or the whole record; never touches the managed host."""

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars or {})
        del tmp  # no remote files
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        args = plain(args)
        directory = os.path.abspath(os.path.expanduser(args["audit_dir"]))
        try:
            mode = audit.file_mode(args.get("mode"), "ses_audit_mode")
        except ValueError as exc:
            raise AnsibleActionFail("cleanup_audit: %s" % exc)
        run = args["run"]
        if not run.get("run_id"):
            raise AnsibleActionFail("cleanup_audit: run.run_id is required; it names the record files")
        check_mode = self._task.check_mode
        try:
            if args["finalize"]:
                # Who ran it, as the controller knows it, unless the playbook said so.
                run.setdefault("user", os.environ.get("SUDO_USER") or getpass.getuser())
                run.setdefault("controller", socket.gethostname())
                entries = audit.read_host_entries(directory, run["run_id"])
                record = audit.build_record(run, entries)
                base = os.path.join(directory, audit.safe_name(run["run_id"]))
                result["files"] = [base + ".json", base + ".md"]
                if not check_mode:
                    result["files"] = audit.write_record(directory, record, mode)
                result["summary"] = record["summary"]
            elif args.get("host"):
                entry = audit.host_entry(args["host"], args["platform"], args["removed"], args["kept"],
                                         args.get("started"), args.get("finished"), args["status"],
                                         args.get("details"))
                result["files"] = [audit.host_entry_path(directory, run["run_id"], args["host"])]
                if not check_mode:
                    result["files"] = [audit.write_host_entry(directory, run["run_id"], entry, mode)]
            else:
                raise AnsibleActionFail("cleanup_audit: give host (one host's part) or finalize: true (the record)")
        except OSError as exc:
            raise AnsibleActionFail("cleanup_audit: cannot write into %s (%s); set ses_audit_dir to a writable "
                                    "directory on the controller" % (directory, exc))
        result["changed"] = not check_mode
        return result
