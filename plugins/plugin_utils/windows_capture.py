# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The capture of a real Windows host (playbook windows_facts.yml): one JSON document per host.

The document records what the role's read scripts return on the host, so that the
Windows simulator (tests/windows_sim) can start from it: a real host's capture
becomes a test fixture as it is. Its schema is versioned by ``format``; docs/windows.md
describes it.
"""

from __future__ import annotations

import json
import os
import re

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import ProblemCollector, SesInputError
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.fleet import resolve_group_names

__metaclass__ = type

FORMAT = 1
KIND = "ses_evolution.firewall.windows_facts"
# The host name becomes a file name on the controller: no path separator, no leading dot.
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,252}")
BACKOFFICE = ("backend", "agent_handler", "console")


def _records(value, what, host):
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise SesInputError(["host %s: the capture's %s read returned %r, not a list of records; run the capture "
                             "again, and check the role's read scripts ran (ansible.windows.win_powershell)"
                             % (host, what, type(value).__name__)])
    return value


def capture(state, host, versions, directory, group_names=(), ses_groups=None, captured_at=None):
    """The capture of ``host``: {"path": file on the controller, "content": JSON text, "document": the data}.

    ``state``: read_state.ps1's result run with -Capture; ``versions``: read_versions.ps1's;
    ``group_names``: the host's inventory groups (its SES components are recorded, so a
    fixture knows what the host runs); ``ses_groups``: the inventory's group names override.
    """
    problems = ProblemCollector()
    host = str(host)
    if not _FILE_NAME.fullmatch(host):
        problems.add("host %r: its inventory name cannot be a capture file name (letters, digits, '.', '_', '-'; "
                     "not starting with a dot); capture it under an inventory alias with such a name" % (host,))
    if not isinstance(directory, str) or not directory.strip() or "\0" in directory:
        problems.add("ses_windows_facts_dir must be a folder path on the controller, got %r; e.g. "
                     "-e ses_windows_facts_dir=./ses_windows_facts" % (directory,))
    names = resolve_group_names(ses_groups, problems)
    problems.raise_if_any()
    state = state if isinstance(state, dict) else {}
    versions = versions if isinstance(versions, dict) else {}
    groups = set(group_names or ())
    document = {
        "format": FORMAT,
        "kind": KIND,
        "host": host,
        "captured_at": captured_at,
        "components": [component for component in BACKOFFICE if names[component] in groups],
        "rules": _records(state.get("rules"), "firewall rules", host),
        "profiles": _records(state.get("profiles"), "firewall profiles", host),
        "policy": _records(state.get("policy", []), "Group Policy profiles", host),
        "policy_error": state.get("policy_error"),
        "products": _records(versions.get("products"), "uninstall entries", host),
    }
    # Absolute on the controller: the file tasks run delegated, in another working folder.
    return {"path": os.path.join(os.path.abspath(directory), host + ".json"), "document": document,
            "content": json.dumps(document, indent=1, sort_keys=True) + "\n"}
