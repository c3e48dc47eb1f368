# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin: the flows crossing perimeter devices as aerleon policies (logic in plugin_utils/perimeter.py)."""

from __future__ import annotations

import os

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import ControllerAction
from ansible_collections.ses_evolution.firewall.plugins.modules import perimeter_export as perimeter_export_doc
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import perimeter
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.audit import file_mode
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.files import unchanged, write_atomic
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import SesInputError

__metaclass__ = type


class ActionModule(ControllerAction):
    """Validates every input, builds the policies, renders them when aerleon is there, then writes."""

    DOCUMENTATION = perimeter_export_doc.DOCUMENTATION
    # Bad input, and a report directory that cannot be written (the message names the file).
    INPUT_ERRORS = (SesInputError, ValueError, OSError)

    def engine(self, args, task_vars, result):
        files, export, rendered, mode = self._build(args, result)
        directory = os.path.join(os.path.abspath(os.path.expanduser(args["report_dir"])), "perimeter",
                                 export["phase"])
        changed = False
        for name, text in sorted(files.items()):
            path = os.path.join(directory, name)
            if unchanged(path, text, mode):
                continue
            changed = True
            if not self.check_mode:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                write_atomic(path, text, mode)
        return dict(changed=changed, directory=directory,
                    summary=perimeter.summary_lines(export, directory, rendered), files=sorted(files),
                    rendered=rendered, targets=export["targets"],
                    devices={device: {key: entry[key] for key in ("zones", "terms", "dropped_terms")}
                             for device, entry in export["devices"].items()})

    @staticmethod
    def _build(args, result):
        """Every input checked and every file's text built, before anything is written."""
        mode = file_mode(args.get("report_mode"), "report_mode")
        requested = perimeter.parse_targets(args["targets"])
        export = perimeter.build_export(args["matrix"], args["zones"], args["devices"], requested)
        files = {"def/ses_networks.yaml": perimeter.dump_yaml(export["networks"]),
                 "def/ses_services.yaml": perimeter.dump_yaml(export["services"])}
        for device, entry in export["devices"].items():
            files["policies/pol/%s.yaml" % device] = perimeter.dump_yaml(entry["policy"])
        rendered = False
        if requested and args["render"]:
            try:
                outputs = {device: perimeter.render(export, device, requested) for device in export["devices"]}
            except ImportError:
                result.setdefault("warnings", []).append(
                    "aerleon is not installed on the controller: the policies are written but not rendered for "
                    "%s; pip install aerleon, or render them with your own aerleon" % ", ".join(requested))
            else:
                rendered = True
                for generated in outputs.values():
                    files.update(("out/%s" % name, text) for name, text in generated.items())
        return files, export, rendered, mode
