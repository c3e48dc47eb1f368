# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SES Evolution version of a Windows host, from its uninstall registry entries (read_versions.ps1).

No public page documents the components' entries, so the reading is strict
where a wrong answer would open the cleanup gate:

- only entries published by Stormshield count (a repackaged or look-alike entry
  says nothing about SES);
- ``SystemComponent`` entries (hidden parts of another product), update entries
  (``ParentKeyName``) and leftovers (no ``UninstallString``: nothing installed
  behind them) are skipped, and said so;
- an entry of Stormshield that is not recognised as a backoffice component is
  reported, never dropped without a word;
- a backoffice entry whose version does not parse makes the host's version
  unreadable: the gate blocks that host and quotes the string (fail closed),
  rather than falling back to the inventory's ``ses_version``.
"""

from __future__ import annotations

import re

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.versions import parse_version

__metaclass__ = type

# Entries that carry an SES Evolution backoffice version. The agent has its own
# entry on machines that run one; its version says nothing about the backoffice.
PRODUCT_RE = re.compile(r"stormshield.*evolution|ses\s+evolution", re.IGNORECASE)
AGENT_ONLY_RE = re.compile(r"\bagent\b(?!\s*handler)", re.IGNORECASE)
PUBLISHER_RE = re.compile(r"stormshield", re.IGNORECASE)


def _flag(value):
    """A registry DWORD as read through PowerShell (1, "1", True): set or not."""
    return str(value).strip().lower() in ("1", "true")


def classify(products):
    """Sort uninstall entries: {"versions": [(parsed, text, name)], "unparsed": [(name, text)], "notes": [...]}."""
    versions, unparsed, notes = [], [], []
    for product in products or []:
        if not isinstance(product, dict):
            continue
        name = str(product.get("DisplayName") or "").strip()
        publisher = str(product.get("Publisher") or "").strip()
        text = str(product.get("DisplayVersion") or "").strip()
        if not PUBLISHER_RE.search(publisher):
            if PRODUCT_RE.search(name) or PUBLISHER_RE.search(name):
                notes.append("uninstall entry %r ignored: its publisher is %r, not Stormshield" % (name, publisher))
            continue
        if _flag(product.get("SystemComponent")):
            notes.append("uninstall entry %r ignored: SystemComponent (a hidden part of another product)" % name)
            continue
        if product.get("ParentKeyName"):
            notes.append("uninstall entry %r ignored: an update of %r" % (name, product.get("ParentKeyName")))
            continue
        if "HasUninstallString" in product and not _flag(product.get("HasUninstallString")):
            notes.append("uninstall entry %r ignored: a leftover (no UninstallString)" % name)
            continue
        if not PRODUCT_RE.search(name):
            notes.append("uninstall entry %r (version %r) of Stormshield is not recognised as an SES Evolution "
                         "component; ignored" % (name, text))
            continue
        if AGENT_ONLY_RE.search(name):
            continue
        parsed = parse_version(text)
        if parsed is None:
            unparsed.append((name, text))
        else:
            versions.append((parsed, text, name))
    return {"versions": versions, "unparsed": unparsed, "notes": notes}


def detect(products):
    """The host's backoffice version from its uninstall entries.

    Returns {"version": the lowest version as text, or None; "error": why the
    version cannot be read (an entry whose version does not parse), or None;
    "notes": entries skipped or not recognised}. The lowest, because a host is
    as migrated as its oldest component. With ``error`` the version is None
    and must not be replaced by the inventory's.
    """
    found = classify(products)
    error = None
    if found["unparsed"]:
        error = "; ".join("uninstall entry %r has the version %r, which is not a version: the host's SES version "
                          "cannot be established (repair or upgrade that component, or remove the stale entry)"
                          % (name, text) for name, text in found["unparsed"])
    version = None if error or not found["versions"] else min(found["versions"])[1]
    return {"version": version, "error": error, "notes": found["notes"]}
