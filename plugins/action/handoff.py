# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin: write a per-host hand-off for a later play (file layout in plugin_utils/handoff.py)."""

from __future__ import annotations

from ansible import constants as C
from ansible.plugins.action import ActionBase

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import argument_spec_from_doc, plain
from ansible_collections.ses_evolution.firewall.plugins.modules import handoff as handoff_doc
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import handoff

__metaclass__ = type

ARGUMENT_SPEC = argument_spec_from_doc(handoff_doc.DOCUMENTATION)


def per_host_values(per_host, common, hosts=()):
    """{host: common + {key: per_host[key][host]}} for every host of hosts or named in a per_host mapping."""
    values = {host: dict(common) for host in hosts}
    for key, mapping in per_host.items():
        if not isinstance(mapping, dict):
            raise handoff.HandoffError("per_host.%s must map host names to values, got %s"
                                       % (key, type(mapping).__name__))
        for host, value in mapping.items():
            values.setdefault(host, dict(common))[key] = value
    return values


class ActionModule(ActionBase):
    """Writes <local tmp>/ses_handoff/<name>/; changes nothing on any host."""

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # no remote files
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        try:
            values = per_host_values(plain(args["per_host"]), plain(args["common"]), plain(args["hosts"]))
            directory = handoff.handoff_dir(C.DEFAULT_LOCAL_TMP, args["name"])
            files = handoff.write(directory, values)
        except handoff.HandoffError as exc:
            result.update(failed=True, changed=False, msg="handoff: %s" % exc)
            return result
        result.update(changed=False, hosts=len(values), files=files)
        return result
