# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cleanup gates, fail closed, and the plan of what cleanup removes on each host.

The vendor keeps the old rules until every backend, agent handler and console
runs the new release. The matrix's gate reads the inventory's ``ses_version``;
cleanup also asks the hosts (what the platform role detects) and counts a host
it cannot reach, or whose version nobody can establish, as not migrated.
TCP 17000 (lifecycle ``legacy_agent``) has its own gate: every agent on 2.7.1
or later, known from the ``ses_agents`` hosts and the console's agent export.
"""

from __future__ import annotations

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import connections, ses_catalog
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.agents_gate import export_completeness
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.windows_versions import detect
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.versions import parse_version

__metaclass__ = type

LEGACY_AGENT = "legacy_agent"
# Enough old agents to act on, without printing 100,000 lines.
MAX_LISTED_AGENTS = 50


def backoffice_hosts(matrix):
    """Names of the matrix's hosts that run a backend, an agent handler or a console, sorted."""
    return sorted(name for name, host in matrix["hosts"].items()
                  if set(host["components"]) & set(ses_catalog.BACKOFFICE_COMPONENTS))


def platform_of(variables):
    """``linux`` or ``windows``, from the collection's one platform registry (every connection spelling)."""
    return connections.platform(variables.get("ansible_connection"), variables.get("ses_platform"))


def is_managed(variables, name="this host"):
    """False only for hosts marked ``ses_firewall_managed: false`` (as typed); another value is a ValueError."""
    return connections.is_managed(name, variables)


def _short(message):
    """The first line of an error, without Ansible's generic prefix."""
    text = str(message or "").strip().splitlines()[0] if message else ""
    return text[len("Task failed: "):] if text.startswith("Task failed: ") else text


def detections_from_probes(items, versions_key="ses_detected_versions"):
    """Per-host detections out of the results of the gate's probe tasks (one item per host).

    Each item is a loop result of a task delegated to the host: ``item`` is the
    host name; ``unreachable`` or ``failed`` make the host blocking; a
    ``versions_key`` entry (or ``ansible_facts[versions_key]``) carries what the
    platform detected, as ``{component: version}`` or one version for the host. A
    Windows probe runs the windows_firewall role's read_versions.ps1: its ``result.products``
    (the uninstall entries) give the host's version as the role reads it; an entry whose
    version does not parse sets ``version_error``, which blocks the host.
    Skipped items (the other platform's probe) are ignored; a host probed by
    several tasks is reachable only if every probe reached it.
    """
    detections = {}
    for item in items:
        if not isinstance(item, dict) or item.get("skipped"):
            continue
        host = item.get(item.get("ansible_loop_var") or "item")
        if not isinstance(host, str):
            continue
        entry = detections.setdefault(host, {"reachable": True, "error": None, "versions": None, "source": None})
        if item.get("unreachable"):
            entry["reachable"] = False
            entry["error"] = _short(item.get("msg")) or "unreachable"
        elif item.get("failed"):
            entry["reachable"] = False
            entry["failed"] = True
            entry["error"] = _short(item.get("msg")) or "no message"
        versions = item.get(versions_key)
        if versions is None:
            versions = (item.get("ansible_facts") or {}).get(versions_key)
        read_state = item.get("result")
        if versions is None and isinstance(read_state, dict) and "products" in read_state:
            detection = detect(read_state["products"])
            versions = detection["version"]
            entry["source"] = "registry"
            entry["notes"] = detection["notes"]
            if detection["error"]:
                # Fail closed: the host blocks, quoting the entry, instead of taking the inventory's version.
                entry["version_error"] = detection["error"]
        if isinstance(versions, dict) and "versions" in versions:
            entry["source"] = versions.get("source")
            versions = versions["versions"]
        if versions not in (None, {}, ""):
            entry["versions"] = versions
            entry["source"] = entry["source"] or "detected on the host"
    return detections


ACKNOWLEDGE_VARIABLE = "ses_cleanup_accept_command_line_version"
COMMAND_LINE = "command line"


def host_probe_results(value, token):
    """The probe results a host recorded about itself in this run, as loop items, or [].

    ``value`` is ``{"token": ..., "results": [registered results]}``; without this run's
    ``token`` it is not a probe of this run (an inventory cannot forge one), and counts for nothing.
    """
    if not token or not hasattr(value, "get") or value.get("token") != token:
        return []
    results = value.get("results")
    if not isinstance(results, (list, tuple)):
        return []
    return [result for result in results if hasattr(result, "get") and not result.get("skipped")]


def _component_versions(name, host, detection, inventory_source="inventory"):
    """{component: (version text or None, source)} for the host's backoffice components."""
    detected = (detection or {}).get("versions") or {}
    if not isinstance(detected, dict):
        # One version for the whole host (a detection that cannot tell components apart).
        detected = {component: detected for component in host["components"]}
    source_name = (detection or {}).get("source") or "detected on the host"
    result = {}
    for component in host["components"]:
        if component not in ses_catalog.BACKOFFICE_COMPONENTS:
            continue
        value = detected.get(component)
        if value not in (None, ""):
            result[component] = (str(value), source_name)
        else:
            result[component] = (host.get("version"), inventory_source)
    return result


def backoffice_verdict(matrix, detections, target_version=None, unmanaged=(), accept_command_line_version=False):
    """Combine inventory and detected versions into the backoffice verdict.

    ``detections`` maps host names to ``{"reachable": bool, "error": str, "versions":
    {component: version} or one version, "source": str}``. A backoffice host missing
    from it was not checked, and blocks, unless it is in ``unmanaged`` (hosts marked
    ``ses_firewall_managed: false``, which Ansible may not reach): their ``ses_version`` decides.
    A ``ses_version`` given on the command line (the matrix's ``version_source``) overrides every
    host's: a version taken from it blocks unless ``accept_command_line_version``.
    """
    inventory_source = matrix.get("version_source") or "inventory"
    # An override may only raise the bar: the plan was computed for the matrix's target.
    target_text = str(matrix["target_version"]).strip()
    target = parse_version(target_text)
    override = parse_version(target_version) if target_version not in (None, "") else target
    if target is None or override is None:
        target_text, target = "%s (unreadable target)" % (target_version or target_text), (1 << 30,) * 4
    elif override > target:
        target_text, target = str(target_version).strip(), override
    rows = []
    for name in backoffice_hosts(matrix):
        host = matrix["hosts"][name]
        detection = detections.get(name)
        row = {"host": name, "components": [c for c in host["components"] if c in ses_catalog.BACKOFFICE_COMPONENTS],
               "inventory_version": host.get("version"), "versions": {}, "reasons": []}
        if detection is None and name in unmanaged:
            row["note"] = "ses_firewall_managed is false: not contacted, ses_version decides"
        elif detection is None:
            row["reasons"].append("not checked: the gate did not reach this host")
        elif detection.get("failed"):
            row["reasons"].append("the check failed on the host: %s" % (detection.get("error") or "no message"))
        elif not detection.get("reachable", False):
            row["reasons"].append("unreachable: %s" % (detection.get("error") or "no answer"))
        if detection and detection.get("version_error"):
            row["reasons"].append(detection["version_error"])
        if detection and detection.get("notes"):
            row["note"] = "; ".join(filter(None, [row.get("note")] + list(detection["notes"])))
        for component, (version_text, source) in _component_versions(name, host, detection, inventory_source).items():
            row["versions"][component] = {"version": version_text, "source": source}
            version = parse_version(version_text) if version_text is not None else None
            if source == COMMAND_LINE and not accept_command_line_version:
                row["reasons"].append("%s: the version comes from -e ses_version on the command line, not from the "
                                      "host; remove it, or give -e %s=yes to rely on it (the audit record says so)"
                                      % (component, ACKNOWLEDGE_VARIABLE))
            if version_text is None:
                row["reasons"].append("%s: version unknown (not detected, ses_version unset)" % component)
            elif version is None:
                row["reasons"].append("%s: %r (%s) is not a version" % (component, version_text, source))
            elif version < target:
                row["reasons"].append("%s: runs %s (%s), older than %s"
                                      % (component, version_text, source, target_text))
        row["ready"] = not row["reasons"]
        rows.append(row)
    blocking = [row["host"] for row in rows if not row["ready"]]
    return {"ready": bool(rows) and not blocking, "target_version": target_text, "hosts": rows,
            "blocking_hosts": blocking, "table": backoffice_table(rows, target_text),
            "version_source": inventory_source,
            "command_line_version_accepted": bool(accept_command_line_version and inventory_source == COMMAND_LINE)}


def backoffice_table(rows, target_text):
    """Lines of a table a person reads in the play output: blocking hosts first."""
    header = ("host", "components", "reports", "verdict")
    body = []
    for row in sorted(rows, key=lambda r: (r["ready"], r["host"])):
        reports = ", ".join("%s %s (%s)" % (component, info["version"] or "unknown", info["source"])
                            for component, info in row["versions"].items())
        verdict = "ready" if row["ready"] else "BLOCKS: " + "; ".join(row["reasons"])
        if row.get("note"):
            verdict += " (%s)" % row["note"]
        body.append((row["host"], "+".join(row["components"]), reports or "-", verdict))
    widths = [max(len(line[i]) for line in [header] + body) for i in range(3)]
    lines = ["Backoffice at %s or later (every backend, agent handler and console of the inventory):" % target_text]
    for line in [header] + body:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(line[:3], widths)) + "  " + line[3])
    return lines


def agents_verdict(matrix, requested, export=None, minimum_agents=None):
    """The agents' gate for TCP 17000. ``export`` is a parsed agent export (agent_export) or None.

    ``minimum_agents``: the user's floor (ses_agent_export_min_agents), e.g. the expected agent count.
    """
    minimum = ses_catalog.AGENT_HTTPS_VERSION
    result = {"requested": bool(requested), "ready": False, "remove_legacy_agent": False,
              "minimum_version": minimum, "old_agents": [], "old_agent_count": 0, "reasons": [],
              "checked_agents": 0, "sources": [], "networks": []}
    if not requested:
        result["reasons"].append("TCP 17000 (legacy_agent) stays: the agents' gate was not requested "
                                 "(add -e ses_cleanup_agents=true once every agent runs %s or later)" % minimum)
        return result
    old = []
    agent_hosts = sorted(name for name, host in matrix["hosts"].items() if "agent" in host["components"])
    if agent_hosts:
        result["sources"].append("ses_agents hosts (%d)" % len(agent_hosts))
        result["checked_agents"] += len(agent_hosts)
        threshold = parse_version(minimum)
        for name in agent_hosts:
            text = matrix["hosts"][name].get("version")
            version = parse_version(text) if text is not None else None
            if version is None:
                old.append({"name": name, "version": text, "source": "ses_version",
                            "reason": "ses_version is not set: the version is unknown"})
            elif version < threshold:
                old.append({"name": name, "version": text, "source": "ses_version",
                            "reason": "runs %s, older than %s" % (text, minimum)})
    if export is not None:
        result["sources"].append("%s (%d agents)" % (export["path"], export["agent_count"]))
        result["checked_agents"] += export["agent_count"]
        for agent in export["old_agents"]:
            old.append({"name": agent["name"], "version": agent["version"],
                        "source": "%s line %d" % (export["path"], agent["line"]), "reason": agent["reason"]})
    networks = matrix["gate"].get("agent_networks_unverified") or []
    if networks and export is None:
        result["reasons"].append(
            "agent handler(s) %s serve agents listed in ses_agent_networks, whose versions the inventory does not "
            "know: export the agent list as CSV from the administration console and pass it with "
            "-e ses_agent_export_csv=PATH" % ", ".join(networks))
    if not agent_hosts and export is None and not networks:
        result["reasons"].append(
            "no agent is known (no ses_agents host, no agent export): pass the console's agent export with "
            "-e ses_agent_export_csv=PATH")
    completeness, result["networks"] = export_completeness(matrix, export, agent_hosts, minimum_agents)
    result["reasons"].extend(completeness)
    if old:
        result["reasons"].append("%d agent(s) older than %s or of unknown version still need TCP 17000; upgrade "
                                 "them first" % (len(old), minimum))
    result["old_agents"] = old[:MAX_LISTED_AGENTS]
    result["old_agent_count"] = len(old)
    result["ready"] = not result["reasons"]
    result["remove_legacy_agent"] = result["ready"]
    return result


def agents_table(verdict):
    """Lines a person reads: why the agents' gate refused, and the agents still old."""
    lines = ["Agents' gate (TCP 17000, agents older than %s):" % verdict["minimum_version"]]
    lines.extend("  - " + reason for reason in verdict["reasons"])
    if verdict.get("networks"):
        width = max(len(entry["network"]) for entry in verdict["networks"] + [{"network": "agent network"}])
        lines.append("  %s  export rows" % "agent network".ljust(width))
        lines.extend("  %s  %d%s" % (entry["network"].ljust(width), entry["rows"], "" if entry["rows"] else "  REFUSED")
                     for entry in verdict["networks"])
    for agent in verdict["old_agents"]:
        lines.append("  %s  %s  (%s; %s)"
                     % (agent["name"], agent["version"] or "unknown", agent["source"], agent["reason"]))
    hidden = verdict["old_agent_count"] - len(verdict["old_agents"])
    if hidden > 0:
        lines.append("  ... and %d more" % hidden)
    return lines


def refusal_lines(backoffice, agents):
    """Why the cleanup stops, as lines (the gate's table, then the verdict), or [] when both gates pass.

    The agents' gate speaks only when the backoffice's passed: the user fixes one thing at a time.
    """
    if not backoffice["ready"]:
        return list(backoffice["table"]) + [
            "Cleanup refused: %s cannot be shown to run %s or later (unreachable, version unknown or older, or "
            "taken from -e ses_version; table above). The vendor keeps the old rules until every backend, agent "
            "handler and console runs the new release. Nothing was changed."
            % (", ".join(backoffice["blocking_hosts"]), backoffice["target_version"])]
    if agents["requested"] and not agents["ready"]:
        return agents_table(agents) + [
            "The agents' gate refused (table above): TCP 17000 stays while any agent may run a version older than "
            "%s. Run without -e ses_cleanup_agents=true to remove only the legacy backoffice rules. Nothing was "
            "changed." % agents["minimum_version"]]
    return []


def reminders(agents):
    """What the user must also do by hand once the cleanup removes TCP 17000."""
    if not agents.get("remove_legacy_agent"):
        return []
    return ['TCP 17000 is removed with the agents\' gate: in the administration console, turn off "Enable old '
            'communication protocol" in every agent handler group, so that no agent handler keeps serving the old '
            'protocol.']


def cleanup_plan(matrix, agents):
    """Per host: the rules to keep (what the role applies) and the rules cleanup removes.

    The matrix's cleanup phase already left the ``legacy`` rules out (they are its
    ``retired_rules``); TCP 17000 goes too when the agents' gate passed.
    """
    drop_agents = bool(agents and agents.get("remove_legacy_agent"))
    plan = {}
    for name, host in sorted(matrix["hosts"].items()):
        keep = [rule for rule in host["rules"] if not (drop_agents and rule["lifecycle"] == LEGACY_AGENT)]
        removed = list(host.get("retired_rules") or [])
        if drop_agents:
            removed.extend(rule for rule in host["rules"] if rule["lifecycle"] == LEGACY_AGENT)
        plan[name] = {"components": host["components"], "rules": keep, "removed": removed,
                      "removed_names": sorted(rule["name"] for rule in removed)}
    return plan


MAX_LISTED_HOSTS = 20


def _rule_line(rule):
    return ("    - %s (%s %s/%d, peers %s, %s)"
            % (rule["name"], rule["direction"], rule["protocol"], rule["port"], ",".join(rule["peers"]),
               rule["lifecycle"]))


def _names(names):
    shown = ", ".join(names[:MAX_LISTED_HOSTS])
    hidden = len(names) - MAX_LISTED_HOSTS
    return shown + (" and %d more" % hidden if hidden > 0 else "")


def plan_lines(plan):
    """The dry run: what cleanup would remove on each host.

    Agent hosts share one rule list, so they make one block whatever their number;
    hosts with nothing to remove make one line.
    """
    lines, idle, agents = [], [], []
    for name, entry in sorted(plan.items()):
        if entry["components"] == ["agent"]:
            agents.append(name)
        elif not entry["removed"]:
            idle.append(name)
        else:
            lines.append("%s: would remove %d rule(s), keep %d" % (name, len(entry["removed"]), len(entry["rules"])))
            lines.extend(_rule_line(rule) for rule in entry["removed"])
    if agents:
        entry = plan[agents[0]]
        if entry["removed"]:
            lines.append("agents (%d host(s): %s): would remove %d rule(s) each, keep %d"
                         % (len(agents), _names(agents), len(entry["removed"]), len(entry["rules"])))
            lines.extend(_rule_line(rule) for rule in entry["removed"])
        else:
            idle.append("the %d agent host(s)" % len(agents))
    if idle:
        lines.append("nothing to remove on: %s" % _names(idle))
    return lines
