# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cleanup audit record: JSON for tools, Markdown for people, one part per host written as it finishes."""

from __future__ import annotations

import json
import os

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.audit import (
    build_record, host_entry, read_host_entries, render_markdown, safe_name, write_host_entry, write_record)

__metaclass__ = type

RULE_443 = {"name": "in_console_to_backend_tcp443_legacy", "direction": "in", "protocol": "tcp", "port": 443,
            "peers": ["10.0.0.21/32"], "lifecycle": "legacy", "flow": "console_to_backend", "purpose": "x"}
RULE_8443 = dict(RULE_443, name="in_console_to_backend_tcp8443_new", port=8443, lifecycle="new")
RUN = {"run_id": "20261126T140000Z-1234", "started": "2026-11-26T14:00:00Z", "finished": "2026-11-26T14:01:10Z",
       "user": "alice", "controller": "ctl1", "playbook": "ses_evolution.firewall.cleanup",
       "inventory": ["/srv/inv.yml"], "limit": None, "target_version": "2.7.1", "agents_removed": False,
       "gate_table": ["host  components  reports  verdict", "bo1  backend  backend 2.7.1 (inventory)  ready"]}


def _entries():
    return [
        host_entry("con1", "linux", [], [RULE_8443], "2026-11-26T14:00:30Z", "2026-11-26T14:00:40Z"),
        host_entry("bo1", "windows", [RULE_443], [RULE_8443], "2026-11-26T14:00:05Z", "2026-11-26T14:00:20Z"),
    ]


def test_host_entry_keeps_what_identifies_a_rule():
    entry = _entries()[1]
    assert entry["rules_removed"] == [{"name": "in_console_to_backend_tcp443_legacy", "direction": "in",
                                       "protocol": "tcp", "port": 443, "peers": ["10.0.0.21/32"],
                                       "lifecycle": "legacy", "flow": "console_to_backend"}]
    assert entry["rules_removed_count"] == 1 and entry["rules_kept_count"] == 1
    assert entry["started"] == "2026-11-26T14:00:05Z"


def test_record_sorts_hosts_and_sums():
    record = build_record(RUN, _entries())
    assert [entry["host"] for entry in record["hosts"]] == ["bo1", "con1"]
    assert record["summary"] == {"hosts": 2, "hosts_with_removals": 1, "rules_removed": 1, "failed_hosts": []}
    assert record["run"]["user"] == "alice"


def test_markdown_names_host_rule_time_and_who():
    text = render_markdown(build_record(RUN, _entries()))
    assert text.startswith("# SES Evolution firewall cleanup: audit record\n")
    assert "- **Run by**: alice" in text
    assert "- **Limit**" not in text  # unset values are left out
    assert "| in_console_to_backend_tcp443_legacy | in | tcp/443 | 10.0.0.21/32 | legacy |" in text
    assert "## bo1" in text and "started 2026-11-26T14:00:05Z" in text
    assert "## con1" in text and "No rule removed." in text
    assert "status: nothing_to_remove" in text and "status: removed" in text
    assert "1 rule(s) removed on 1 of 2 host(s)." in text
    assert "```\nhost  components  reports  verdict\n" in text


def test_failed_host_is_listed():
    entries = _entries() + [host_entry("ah2", "linux", [], [], "t0", "t1", status="failed")]
    record = build_record(RUN, entries)
    assert record["summary"]["failed_hosts"] == ["ah2"]
    assert "Failed: ah2." in render_markdown(record)


def test_files_round_trip(tmp_path):
    directory = str(tmp_path / "audit")
    for entry in _entries():
        write_host_entry(directory, RUN["run_id"], entry)
    assert os.listdir(os.path.join(directory, RUN["run_id"] + ".hosts")) != []
    entries = read_host_entries(directory, RUN["run_id"])
    assert [entry["host"] for entry in entries] == ["bo1", "con1"]
    paths = write_record(directory, build_record(RUN, entries))
    assert paths == [os.path.join(directory, RUN["run_id"] + ".json"), os.path.join(directory, RUN["run_id"] + ".md")]
    with open(paths[0], encoding="utf-8") as stream:
        assert json.load(stream)["hosts"][0]["rules_removed"][0]["port"] == 443
    assert not [name for name in os.listdir(directory) if name.startswith(".tmp-")]


def test_read_without_entries_and_safe_names(tmp_path):
    assert read_host_entries(str(tmp_path), "nothing") == []
    assert safe_name("../etc/passwd").startswith("etc_passwd~") and "/" not in safe_name("../etc/passwd")
    assert safe_name("web-01.corp.example") == "web-01.corp.example"


def test_the_record_says_when_versions_came_from_the_command_line():
    run = dict(RUN, version_source="command line", command_line_version_accepted=True)
    text = render_markdown(build_record(run, _entries()))
    assert "- **Versions from**: command line" in text
    assert "- **Command-line ses_version acknowledged**: True" in text
