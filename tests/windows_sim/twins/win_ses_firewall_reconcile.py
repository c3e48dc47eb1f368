#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TEST SIMULATOR twin of ses_evolution.firewall.win_ses_firewall_reconcile: never ships, never runs on a real host.

build_collections_path.py places it where the collection's documentation stub
is, in a test-only copy of the collection tree. It takes the module's own
argument spec from that stub's DOCUMENTATION (one source of truth) and applies
each rule with the same win_firewall_rule semantics as the simulated module.
"""

from __future__ import annotations

import copy

import yaml
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ses_sim.windows.plugins.module_utils.firewall_store import ComError, HostStore, apply_rule, find

__metaclass__ = type

# The stub's DOCUMENTATION, loaded by build_collections_path.py's copy of this file.
DOCUMENTATION = None
_KEYS = ("type", "elements", "choices", "default", "required", "aliases")


def _spec(options):
    spec = {}
    for name, option in options.items():
        spec[name] = {key: value for key, value in option.items() if key in _KEYS}
        if "suboptions" in option:
            spec[name]["options"] = _spec(option["suboptions"])
    return spec


def main():
    module = AnsibleModule(argument_spec=_spec(yaml.safe_load(DOCUMENTATION)["options"]), supports_check_mode=True)
    params = module.params
    result = {"changed": False, "created": [], "updated": [], "removed": []}
    try:
        with HostStore() as store:
            store.log_call("ses_evolution.firewall.win_ses_firewall_reconcile", module.check_mode,
                           items=len(params["rules"]) + len(params["remove"]))
            rules = store.data["rules"] if not module.check_mode else copy.deepcopy(store.data["rules"])
            drift = ["'%s': %d rule(s), planned with %d" % (name, len(find(rules, name)), int(count))
                     for name, count in params["expected_counts"].items() if len(find(rules, name)) != int(count)]
            if drift:
                module.fail_json(msg="The firewall changed since the plan was made, nothing was applied: %s"
                                 % "; ".join(drift), **result)
            for spec in params["rules"]:
                before = len(find(rules, spec["name"]))
                changed, _msg, _diff = apply_rule(rules, spec, False)
                if changed:
                    result["created" if before == 0 else "updated"].append(spec["name"])
            for name in params["remove"]:
                for rule in find(rules, name):
                    result["removed"].append(rule["Name"])
                apply_rule(rules, {"name": name, "state": "absent"}, False)
            result["changed"] = bool(result["created"] or result["updated"] or result["removed"])
            if result["changed"] and not module.check_mode:
                store.save()
    except (ComError, RuntimeError) as exc:
        module.fail_json(msg="Firewall reconcile failed: %s" % exc, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
