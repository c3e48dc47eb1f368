# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TEST SIMULATOR of community.windows.win_firewall_rule (3.1.0): never ships, never runs on a real host.

Same options, same matching, same comparison as the PowerShell module (see
ses_sim.windows firewall_store); the rules live in the simulated host's JSON
store. Unlike the real (legacy-argument) module, an unknown option fails, so a
misspelt option shows up in the tests instead of being ignored on Windows.
"""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ses_sim.windows.plugins.module_utils.firewall_store import (
    ARGUMENT_SPEC, ComError, HostStore, apply_rule, legacy_options)

__metaclass__ = type


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    try:
        options = legacy_options(module.params)
        with HostStore() as store:
            store.log_call("community.windows.win_firewall_rule", module.check_mode)
            changed, msg, diff = apply_rule(store.data["rules"], options, module.check_mode)
            if changed and not module.check_mode:
                store.save()
    except (ComError, RuntimeError) as exc:
        module.fail_json(msg=str(exc))
    result = {"changed": changed, "msg": msg}
    if module._diff:
        result["diff"] = {"prepared": diff}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
