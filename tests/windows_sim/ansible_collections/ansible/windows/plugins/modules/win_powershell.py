# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TEST SIMULATOR of ansible.windows.win_powershell: never ships, never runs on a real host.

PowerShell cannot run here, so this does not interpret scripts: it recognises
the collection's own scripts by their marker line and returns what they
return, computed from the simulated host's store. Any other script fails, so
a test can never pass by running a script nobody simulated. Check mode
behaves as the real module: without SupportsShouldProcess the script is
skipped and the module reports changed.
"""

from __future__ import annotations

import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ses_sim.windows.plugins.module_utils.firewall_store import (
    HostStore, read_state, read_versions, reconcile)

__metaclass__ = type

ARGUMENT_SPEC = {
    "script": {"type": "str"},
    "path": {"type": "str"},
    "parameters": {"type": "dict"},
    "arguments": {"type": "list", "elements": "str"},
    "chdir": {"type": "str"},
    "creates": {"type": "str"},
    "removes": {"type": "str"},
    "depth": {"type": "int", "default": 2},
    "error_action": {"type": "str", "default": "continue", "choices": ["silently_continue", "continue", "stop"]},
    "executable": {"type": "str"},
    "remote_src": {"type": "bool", "default": False},
    "sensitive_parameters": {"type": "list", "elements": "dict"},
}
_SHOULD_PROCESS = re.compile(r"\[CmdletBinding\((?:[\w=\$]+,\s*)?SupportsShouldProcess(?:=\$true)?(?:,\s*[\w=\$]+)?\)\]")
_MARKER = re.compile(r"^#\s*ses_evolution\.firewall:(\w+)", re.MULTILINE)
# A property the script sets through a typed helper ("[Some.Type]::PutApplicationName(")
# rather than a plain COM assignment, which cannot clear a program.
_TYPED_SETTER = re.compile(r"\]::Put(ApplicationName|ServiceName)\(")


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True,
                           required_one_of=[["script", "path"]], mutually_exclusive=[["script", "path"]])
    script = module.params["script"]
    if script is None:
        module.fail_json(msg="the simulator runs only inline scripts (script:), not path:")
    if module.check_mode and not _SHOULD_PROCESS.search(script):
        module.exit_json(changed=True, msg="skipped, running in check mode")
    marker = _MARKER.search(script)
    if marker is None:
        module.fail_json(msg="simulated win_powershell: this script has no '# ses_evolution.firewall:<name>' marker, "
                             "and the simulator cannot run PowerShell")
    parameters = module.params["parameters"] or {}
    changed, failed = False, False
    try:
        with HostStore() as store:
            store.log_call("ansible.windows.win_powershell:" + marker.group(1), module.check_mode)
            if marker.group(1) == "read_state":
                missing = [key for key in ("Group", "Prefix") if key not in parameters]
                if missing:
                    module.fail_json(msg="read_state: missing mandatory parameter(s) %s" % ", ".join(missing))
                unknown = set(parameters) - {"Group", "Prefix", "InstallerNames", "Keywords", "Capture", "Exposure"}
                if unknown:
                    module.fail_json(msg="read_state: no parameter named %s" % ", ".join(sorted(unknown)))
                result = read_state(store.data, parameters["Group"], parameters["Prefix"],
                                    parameters.get("InstallerNames") or [], parameters.get("Keywords") or [],
                                    parameters.get("Capture") is True, parameters.get("Exposure") is True)
            elif marker.group(1) == "read_versions":
                if parameters:
                    module.fail_json(msg="read_versions: no parameter named %s" % ", ".join(sorted(parameters)))
                result = read_versions(store.data)
            elif marker.group(1) == "reconcile":
                unknown = set(parameters) - {"Rules", "Remove", "ExpectedCounts", "Installer"}
                if unknown:
                    module.fail_json(msg="reconcile: no parameter named %s" % ", ".join(sorted(unknown)))
                # The script declares SupportsShouldProcess: in check mode it runs and changes nothing.
                changed, result, failed = reconcile(store.data["rules"], parameters.get("Rules") or [],
                                                    parameters.get("Remove") or [],
                                                    parameters.get("ExpectedCounts") or {}, module.check_mode,
                                                    typed=set(_TYPED_SETTER.findall(script)),
                                                    installer=parameters.get("Installer") or [])
                if changed and not module.check_mode:
                    store.save()
            else:
                module.fail_json(msg="simulated win_powershell: no simulation for script %r" % marker.group(1))
    except RuntimeError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=changed, failed=failed, result=result, output=[], error=[], warning=[], verbose=[],
                     debug=[], information=[], host_out="", host_err="")


if __name__ == "__main__":
    main()
