# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The summary of a run that applied rules: one line a host, totals, the hosts that failed."""

from __future__ import annotations

import re

__metaclass__ = type

NOT_APPLIED = "not applied (skipped, unmanaged, not reached, or a later wave)"


def _status(result, error):
    if error is not None:
        return "FAILED: " + re.sub(r"\s+", " ", str(error)).strip()
    if result is None:
        return NOT_APPLIED
    if result.get("check_mode") in (True, "True", "true"):
        return "check mode: would " + ("change" if result.get("changed") in (True, "True", "true") else "not change")
    return "changed" if result.get("changed") in (True, "True", "true") else "unchanged"


def apply_summary(hosts):
    """``hosts`` maps each host to {"result": the role's result or None, "error": text or None}.

    Returns {"rows": [{host, status, added, removed, warnings, line}], "lines": [the header line, then one line
    a host], "failed": [hosts], "added": total, "removed": total}.
    """
    rows = []
    for host in sorted(hosts):
        result, error = hosts[host].get("result"), hosts[host].get("error")
        status = _status(result, error)
        added = int((result or {}).get("added_count") or 0)
        removed = int((result or {}).get("removed_count") or 0)
        warnings = list((result or {}).get("warnings") or [])
        line = "%s: %s (+%d -%d rules)%s" % (host, status, added, removed,
                                             (" WARNING: " + " ".join(warnings)) if warnings else "")
        rows.append({"host": host, "status": status, "added": added, "removed": removed, "warnings": warnings,
                     "line": line})
    failed = [row["host"] for row in rows if row["status"].startswith("FAILED")]
    added, removed = sum(row["added"] for row in rows), sum(row["removed"] for row in rows)
    header = "hosts: %d, rules added: %d, removed: %d, failed: %d" % (len(rows), added, removed, len(failed))
    return {"rows": rows, "lines": [header] + [row["line"] for row in rows], "failed": failed,
            "added": added, "removed": removed}


def cleanup_summary(gate, record, check_mode):
    """The cleanup's closing ``lines`` and its ``stats`` for AWX, from the gate's fact and the audit record.

    ``gate``: the fact ses_cleanup_gate; ``record``: the registered result of cleanup_audit with finalize
    (its ``summary`` and ``files``); ``check_mode``: the run's check mode (no record is written then).
    """
    counts = (record or {}).get("summary") or {}
    agents = gate.get("agents") or {}
    planned = int(gate.get("rules_to_remove") or 0)
    if check_mode:
        first = ("Check mode: nothing was changed and no audit record was written; the plan removes %d rule(s) "
                 "(see the diff above)." % planned)
    else:
        first = "%s rule(s) removed on %s of %s host(s). Audit record: %s" % (
            counts.get("rules_removed", 0), counts.get("hosts_with_removals", 0), counts.get("hosts", 0),
            ", ".join((record or {}).get("files") or []))
    if agents.get("remove_legacy_agent"):
        second = 'TCP 17000 removed: make sure "Enable old communication protocol" is off in every agent handler group.'
    else:
        second = ("TCP 17000 (agents older than %s) stays; remove it later with -e ses_cleanup_agents=true."
                  % agents.get("minimum_version"))
    stats = {"check_mode": bool(check_mode), "planned": planned, "removed": int(counts.get("rules_removed") or 0),
             "hosts_with_removals": int(counts.get("hosts_with_removals") or 0),
             "failed": len(counts.get("failed_hosts") or []), "agents_removed": bool(agents.get("remove_legacy_agent"))}
    return {"lines": [first, second], "stats": stats}
