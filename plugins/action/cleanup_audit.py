# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin: the cleanup audit record, written on the controller (logic in plugin_utils/audit.py)."""

from __future__ import annotations

import getpass
import os
import socket

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import ControllerAction
from ansible_collections.ses_evolution.firewall.plugins.modules import cleanup_audit as cleanup_audit_doc
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import audit
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import SesInputError

__metaclass__ = type


class ActionModule(ControllerAction):
    """Writes one host's part, or the whole record; never touches the managed host."""

    DOCUMENTATION = cleanup_audit_doc.DOCUMENTATION
    ERROR_PREFIX = "cleanup_audit: "

    def engine(self, args, task_vars, result):
        directory = os.path.abspath(os.path.expanduser(args["audit_dir"]))
        mode = audit.file_mode(args.get("mode"), "ses_audit_mode")
        run = args["run"]
        if not run.get("run_id"):
            raise SesInputError(["run.run_id is required; it names the record files"])
        try:
            if args["finalize"]:
                # Who ran it, as the controller knows it, unless the playbook said so.
                run.setdefault("user", os.environ.get("SUDO_USER") or getpass.getuser())
                run.setdefault("controller", socket.gethostname())
                entries = audit.read_host_entries(directory, run["run_id"])
                record = audit.build_record(run, entries)
                base = os.path.join(directory, audit.safe_name(run["run_id"]))
                result["files"] = [base + ".json", base + ".md"]
                if not self.check_mode:
                    result["files"] = audit.write_record(directory, record, mode)
                result["summary"] = record["summary"]
            elif args.get("host"):
                entry = audit.host_entry(args["host"], args["platform"], args["removed"], args["kept"],
                                         args.get("started"), args.get("finished"), args["status"],
                                         args.get("details"))
                result["files"] = [audit.host_entry_path(directory, run["run_id"], args["host"])]
                if not self.check_mode:
                    result["files"] = [audit.write_host_entry(directory, run["run_id"], entry, mode)]
            else:
                raise SesInputError(["give host (one host's part) or finalize: true (the record)"])
        except OSError as exc:
            raise SesInputError(["cannot write into %s (%s); set ses_audit_dir to a writable directory on the "
                                 "controller" % (directory, exc)]) from exc
        return {"changed": not self.check_mode}
