# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cleanup audit record: which rules were removed on which host, when, and by whom.

Removing firewall rules is the step change boards ask about afterwards, so every
confirmed cleanup leaves a JSON record (for tools) and a Markdown record (for
people) on the controller. Each host's part is written as soon as that host is
done, so a run that stops half-way still leaves a trace of what it changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re

# write_atomic stays importable from here: the audit and report writers of other modules import it so.
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.files import write_atomic

__metaclass__ = type

RECORD_VERSION = 1
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
# Records describe the whole backoffice: readable by their owner only, unless the user sets another mode.
DEFAULT_MODE = 0o600


def safe_name(text):
    """A file-name-safe form of a host name or run id, unique per name.

    A plain name (letters, digits, "_", ".", "-"; not starting with a dot or ending
    with one) stays as it is; any other gets a hash of the original, so that bo1é,
    bo1. and .bo1 never share bo1's file.
    """
    text = str(text)
    if _PLAIN.match(text) and not text.endswith(".") and not _SAFE.search(text):
        return text
    stem = _SAFE.sub("_", text).strip("._")[:60] or "unnamed"
    return "%s~%s" % (stem, hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12])


def file_mode(value, variable):
    """A file mode from the user: None (0600), an int, or octal text such as "0640" (what -e gives)."""
    if value is None or value == "":
        return DEFAULT_MODE
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError("%s is %r; give an octal file mode such as \"0600\" or \"0640\"" % (variable, value))
    if isinstance(value, str):
        text = value.strip().lower()
        text = text[2:] if text.startswith("0o") else text
        if not text or any(char not in "01234567" for char in text):
            raise ValueError("%s is %r; give an octal file mode such as \"0600\" or \"0640\"" % (variable, value))
        value = int(text, 8)
    if not 0 <= value <= 0o777:
        raise ValueError("%s is %r; give a file mode from 0000 to 0777, such as \"0600\"" % (variable, value))
    return value


def host_entry(host, platform, removed_rules, kept_rules, started, finished, status="removed", details=None):
    """One host's part of the record. ``removed_rules`` are rule dicts of the matrix."""
    if status == "removed" and not removed_rules:
        status = "nothing_to_remove"
    return {
        "host": host,
        "platform": platform,
        "status": status,
        "started": started,
        "finished": finished,
        "rules_removed": [
            {key: rule.get(key) for key in ("name", "direction", "protocol", "port", "peers", "lifecycle", "flow")}
            for rule in removed_rules
        ],
        "rules_removed_count": len(removed_rules),
        "rules_kept_count": len(kept_rules),
        "details": details or {},
    }


def build_record(run, hosts):
    """The whole record: ``run`` says who ran what (user, controller, command, gate), ``hosts`` the host entries."""
    entries = sorted(hosts, key=lambda entry: entry["host"])
    return {
        "record_version": RECORD_VERSION,
        "kind": "ses_evolution.firewall.cleanup",
        "run": dict(run),
        "hosts": entries,
        "summary": {
            "hosts": len(entries),
            "hosts_with_removals": sum(1 for entry in entries if entry["rules_removed"]),
            "rules_removed": sum(entry["rules_removed_count"] for entry in entries),
            "failed_hosts": sorted(entry["host"] for entry in entries if entry["status"] == "failed"),
        },
    }


def _cell(value):
    return str(value).replace("|", "\\|").replace("\n", " ")


def render_markdown(record):
    """The record as Markdown: the run, then one table per host of the rules removed."""
    run = record["run"]
    lines = ["# SES Evolution firewall cleanup: audit record", ""]
    for label, key in (("Run id", "run_id"), ("Started (UTC)", "started"), ("Finished (UTC)", "finished"),
                       ("Run by", "user"), ("Controller", "controller"), ("Playbook", "playbook"),
                       ("Ansible", "ansible_version"), ("Inventory", "inventory"), ("Limit", "limit"),
                       ("Target version", "target_version"), ("Versions from", "version_source"),
                       ("Command-line ses_version acknowledged", "command_line_version_accepted"),
                       ("TCP 17000 removed (agents' gate)", "agents_removed")):
        if key in run and run[key] not in (None, "", []):
            value = run[key]
            if isinstance(value, list):
                value = ", ".join(str(item) for item in value)
            lines.append("- **%s**: %s" % (label, _cell(value)))
    gate = run.get("gate_table") or []
    if gate:
        lines.extend(["", "## Gate", "", "```"] + [str(line) for line in gate] + ["```"])
    summary = record["summary"]
    counts = (summary["rules_removed"], summary["hosts_with_removals"], summary["hosts"])
    lines.extend(["", "## Summary", "", "%d rule(s) removed on %d of %d host(s)." % counts])
    if summary["failed_hosts"]:
        lines.append("Failed: %s." % ", ".join(summary["failed_hosts"]))
    for entry in record["hosts"]:
        lines.extend(["", "## %s" % entry["host"], "",
                      "- platform: %s; status: %s; started %s; finished %s; rules kept: %d"
                      % (entry["platform"], entry["status"], entry["started"], entry["finished"],
                         entry["rules_kept_count"]), ""])
        if not entry["rules_removed"]:
            lines.append("No rule removed.")
            continue
        lines.extend(["| rule | direction | protocol/port | peers | lifecycle |", "|---|---|---|---|---|"])
        for rule in entry["rules_removed"]:
            lines.append("| %s | %s | %s/%s | %s | %s |" % (
                _cell(rule["name"]), rule["direction"], rule["protocol"], rule["port"],
                _cell(", ".join(rule.get("peers") or [])), rule["lifecycle"]))
    return "\n".join(lines) + "\n"


def host_entry_path(directory, run_id, host):
    """Where one host's part goes: ``<directory>/<run_id>.hosts/<host>.json``."""
    return os.path.join(directory, "%s.hosts" % safe_name(run_id), "%s.json" % safe_name(host))


def write_host_entry(directory, run_id, entry, mode=DEFAULT_MODE):
    """Write one host's part under ``<directory>/<run_id>.hosts/``; return the path."""
    path = host_entry_path(directory, run_id, entry["host"])
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    write_atomic(path, json.dumps(entry, indent=2, sort_keys=True) + "\n", mode)
    return path


def read_host_entries(directory, run_id):
    """Every host part written for ``run_id`` so far."""
    folder = os.path.join(directory, "%s.hosts" % safe_name(run_id))
    if not os.path.isdir(folder):
        return []
    entries = []
    for name in sorted(os.listdir(folder)):
        if name.endswith(".json"):
            with open(os.path.join(folder, name), encoding="utf-8") as stream:
                entries.append(json.load(stream))
    return entries


def write_record(directory, record, mode=DEFAULT_MODE):
    """Write ``<run_id>.json`` and ``<run_id>.md`` into ``directory``; return both paths."""
    os.makedirs(directory, exist_ok=True)
    base = os.path.join(directory, safe_name(record["run"]["run_id"]))
    write_atomic(base + ".json", json.dumps(record, indent=2, sort_keys=True) + "\n", mode)
    write_atomic(base + ".md", render_markdown(record), mode)
    return [base + ".json", base + ".md"]
