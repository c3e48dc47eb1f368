# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TEST SIMULATOR of ansible.windows.win_ping: answers for a simulated host whose store exists."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ses_sim.windows.plugins.module_utils.firewall_store import HostStore

__metaclass__ = type


def main():
    module = AnsibleModule(argument_spec={"data": {"type": "str", "default": "pong"}}, supports_check_mode=True)
    if module.params["data"] == "crash":
        raise Exception("boom")
    try:
        with HostStore() as store:
            store.log_call("ansible.windows.win_ping", module.check_mode)
    except RuntimeError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, ping=module.params["data"])


if __name__ == "__main__":
    main()
