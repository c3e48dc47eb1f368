# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The drift audit's report: per host and fleet JSON and Markdown, the one-screen summary, the counts."""

from __future__ import annotations

import json
import os

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.audit import safe_name
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.files import write_atomic
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.drift import CATEGORIES

__metaclass__ = type

# The summary must fit one screen: the hosts beyond this are in the report files.
SCREEN_HOSTS = 15
COUNT_KEYS = CATEGORIES + ("widened", "unreadable")


def _counts(findings, error):
    counts = dict((key, 0) for key in COUNT_KEYS)
    for finding in findings:
        counts[finding["category"]] += 1
        counts["widened"] += 1 if finding.get("category") == "changed" and finding.get("widened") else 0
    counts["unreadable"] = 1 if error else 0
    return counts


def _order(finding):
    return (CATEGORIES.index(finding["category"]), str(finding.get("rule")), str(finding.get("where")),
            finding.get("detail", ""))


def build(hosts, phase):
    """The report of a run. ``hosts`` maps each host to {"platform", "findings" (list or None), "error"}.

    A host without findings and without an error that was not read (findings None) is unreadable: the
    audit fails closed rather than calling it clean.
    """
    entries, totals = {}, dict((key, 0) for key in COUNT_KEYS)
    for name in sorted(hosts):
        data = hosts[name] or {}
        findings = data.get("findings")
        error = data.get("error")
        if findings is None and not error:
            error = "not read (unreachable, or failed before the read)"
        findings = sorted(findings or [], key=_order)
        counts = _counts(findings, error)
        entries[name] = {"host": name, "platform": data.get("platform"), "error": error, "findings": findings,
                         "counts": counts, "clean": not findings and not error}
        for key in COUNT_KEYS:
            totals[key] += counts[key]
    dirty = [name for name in entries if not entries[name]["clean"]]
    totals.update(hosts=len(entries), hosts_with_findings=len(dirty))
    report = {"phase": phase, "totals": totals, "hosts": entries, "clean": not dirty}
    report["lines"] = screen(report)
    return report


def _line(entry):
    if entry["error"]:
        return "%s: UNREAD: %s" % (entry["host"], entry["error"])
    counts = entry["counts"]
    parts = ["%d %s" % (counts[key], key) for key in CATEGORIES if counts[key]]
    if counts["widened"]:
        parts.append("%d widened" % counts["widened"])
    return "%s: %s" % (entry["host"], ", ".join(parts) if parts else "clean")


def screen(report):
    """The one-screen summary: totals, then the hosts with findings (at most SCREEN_HOSTS)."""
    totals = report["totals"]
    lines = ["drift (phase %s): %d host(s), %d with findings: %d missing, %d extra, %d changed (%d widened), "
             "%d exposure, %d unread" % (report["phase"], totals["hosts"], totals["hosts_with_findings"],
                                         totals["missing"], totals["extra"], totals["changed"], totals["widened"],
                                         totals["exposure"], totals["unreadable"])]
    dirty = [entry for entry in report["hosts"].values() if not entry["clean"]]
    lines.extend(_line(entry) for entry in dirty[:SCREEN_HOSTS])
    if len(dirty) > SCREEN_HOSTS:
        lines.append("... and %d more host(s): see the report folder" % (len(dirty) - SCREEN_HOSTS))
    return lines


def _cell(value):
    return str(value if value is not None else "").replace("|", "\\|").replace("\n", " ")


def host_markdown(entry):
    lines = ["# Drift of %s" % _cell(entry["host"]), "", "- platform: %s" % _cell(entry["platform"]),
             "- status: %s" % ("clean" if entry["clean"] else "UNREAD: " + _cell(entry["error"]) if entry["error"]
                               else "findings"), ""]
    if entry["findings"]:
        lines.extend(["| category | rule | where | widened | detail |", "|---|---|---|---|---|"])
        lines.extend("| %s | %s | %s | %s | %s |" % (f["category"], _cell(f.get("rule")), _cell(f.get("where")),
                                                     "yes" if f.get("widened") else "", _cell(f.get("detail")))
                     for f in entry["findings"])
    elif not entry["error"]:
        lines.append("Nothing to report: the live rules are the matrix's, and nothing else opens an SES port.")
    return "\n".join(lines) + "\n"


def fleet_markdown(report):
    totals = report["totals"]
    lines = ["# SES Evolution firewall: drift and exposure", "", "Phase: %s" % report["phase"], "",
             "| hosts | with findings | missing | extra | changed | widened | exposure | unread |",
             "|---|---|---|---|---|---|---|---|",
             "| %d | %d | %d | %d | %d | %d | %d | %d |" % tuple(totals[k] for k in (
                 "hosts", "hosts_with_findings", "missing", "extra", "changed", "widened", "exposure",
                 "unreadable")), "", "## Hosts", ""]
    for entry in report["hosts"].values():
        lines.append("- [%s](hosts/%s.md): %s" % (_cell(entry["host"]), safe_name(entry["host"]),
                                                  _line(entry).split(": ", 1)[1]))
    return "\n".join(lines) + "\n"


def write(report, directory, mode):
    """Write drift.json, drift.md and hosts/<host>.{json,md} under ``directory``; return the paths."""
    directory = os.path.abspath(os.path.expanduser(directory))
    os.makedirs(os.path.join(directory, "hosts"), exist_ok=True)
    files = {os.path.join(directory, "drift.json"): json.dumps(report, indent=2, sort_keys=True) + "\n",
             os.path.join(directory, "drift.md"): fleet_markdown(report)}
    for name, entry in report["hosts"].items():
        stem = os.path.join(directory, "hosts", safe_name(name))
        files[stem + ".json"] = json.dumps(entry, indent=2, sort_keys=True) + "\n"
        files[stem + ".md"] = host_markdown(entry)
    for path, text in files.items():
        write_atomic(path, text, mode)
    return sorted(files)
