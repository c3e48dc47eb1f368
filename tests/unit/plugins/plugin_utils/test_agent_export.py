# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The console's agent export: header, delimiter and encoding found by the parser, errors that say where.

The expected agents and the "still older than 2.7.1" lists are read off each
fixture by hand (the vendor's rule: agents below 2.7.1 need TCP 17000).
"""

from __future__ import annotations

import pytest

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.agent_export import (
    AgentExportError, decode_export, normalise_header, parse_agent_export, read_agent_export)
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import SesInputError

__metaclass__ = type

# Exports as they look once a spreadsheet has been through them, written as bytes by the
# tests (stored files with byte order marks and CRLF would trip the repository's own checks).
EXPORTS = {
    # French locale, semicolon, UTF-16 LE with BOM (Excel "Unicode text", Windows tools), CRLF, a
    # quoted name holding the delimiter, a blank line.
    "agents_fr_semicolon_utf16le_bom.csv": b"\xff\xfe" + (
        "Nom de l'agent;Version de l'agent;Statut;Groupe d'agents;Derni\u00e8re connexion\r\n"
        "PC-COMPTA-01;2.7.1.1204;Connect\u00e9;Comptabilit\u00e9;26/11/2026 09:12\r\n"
        "PC-COMPTA-02;2.6.3.877;Connect\u00e9;Comptabilit\u00e9;26/11/2026 09:10\r\n"
        "\r\n"
        "\"SRV-FICHIERS; b\u00e2timent B\";2.7.1;D\u00e9connect\u00e9;Serveurs;25/11/2026 18:00\r\n"
        "PORTABLE-DIRECTION;2.7.2;Connect\u00e9;Direction;26/11/2026 08:55\r\n").encode("utf-16-le"),
    # English, comma, UTF-8 with BOM, Excel's "sep=," line, quoted fields with commas, a policy
    # version column before the agent version column.
    "agents_en_comma_utf8_bom.csv": b"\xef\xbb\xbf" + (
        'sep=,\r\n'
        '"Agent name","Policy version","Agent version","Agent handler group","OS"\r\n'
        '"ws-0001.corp.example","12","2.7.1.1204","Default, Paris","Windows 11"\r\n'
        '"ws-0002.corp.example","12","2.7.1.1204","Default, Paris","Windows 10"\r\n'
        '"ws-0003.corp.example","11","2.6.1.502","Default, Lyon","Windows 10"\r\n').encode("utf-8"),
    # Tab separated, cp1252 without BOM, a title line and a blank line above the header.
    "agents_tab_cp1252_title.csv": (
        "Export of the agent list - 26/11/2026 \u2013 Operation dashboard\r\n"
        "\r\n"
        "Name\tVersion\tStatus\r\n"
        "Poste-R\u00e9ception\t2.7.1\tConnected\r\n"
        "Poste-Entrep\u00f4t\t2.7.1.1300\tConnected\r\n").encode("cp1252"),
}


@pytest.fixture
def exports(tmp_path):
    """The exports above as files: {name: path}."""
    paths = {}
    for name, data in EXPORTS.items():
        (tmp_path / name).write_bytes(data)
        paths[name] = str(tmp_path / name)
    return paths


ROWS = [("Agent name", "Agent version", "Status"),
        ("ws-01", "2.7.1.1204", "Connected"),
        ("ws-02", "2.6.3", "Connected"),
        ("ws-03", "2.7.1", "Disconnected")]


def _text(delimiter, rows=None, newline="\r\n"):
    rows = ROWS if rows is None else rows
    return newline.join(delimiter.join(cells) for cells in rows) + newline


def _names(result, key="agents"):
    return [agent["name"] for agent in result[key]]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
@pytest.mark.parametrize("encoding, bom", [
    ("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"),
    ("cp1252", b""), ("utf-16-le", b""),
])
def test_every_delimiter_and_encoding(delimiter, encoding, bom):
    data = bom + _text(delimiter).encode(encoding)
    result = parse_agent_export(data, "agents.csv")
    assert result["delimiter"] == delimiter
    assert _names(result) == ["ws-01", "ws-02", "ws-03"]
    assert _names(result, "old_agents") == ["ws-02"]
    assert result["old_agents"][0]["line"] == 3
    assert result["name_column"] == "Agent name" and result["version_column"] == "Agent version"


def test_bom_is_reported_and_stripped():
    result = parse_agent_export(b"\xff\xfe" + _text(";").encode("utf-16-le"), "a.csv")
    assert result["encoding"] == "utf-16-le with BOM"
    assert result["name_column"] == "Agent name"


def test_french_utf16_export(exports):
    result = read_agent_export(exports["agents_fr_semicolon_utf16le_bom.csv"])
    assert result["delimiter"] == ";"
    assert result["encoding"].startswith("utf-16-le")
    assert result["version_column"] == "Version de l'agent"
    # The quoted name holds the delimiter; the blank line 4 is skipped but still counted.
    assert _names(result) == ["PC-COMPTA-01", "PC-COMPTA-02", "SRV-FICHIERS; bâtiment B", "PORTABLE-DIRECTION"]
    assert [(a["name"], a["line"]) for a in result["old_agents"]] == [("PC-COMPTA-02", 3)]


def test_english_export_prefers_agent_version_over_policy_version(exports):
    result = read_agent_export(exports["agents_en_comma_utf8_bom.csv"])
    assert result["header_line"] == 2  # "sep=," comes first
    assert result["version_column"] == "Agent version"
    assert [a["version"] for a in result["agents"]] == ["2.7.1.1204", "2.7.1.1204", "2.6.1.502"]
    assert _names(result, "old_agents") == ["ws-0003.corp.example"]


def test_tab_cp1252_export_with_title_line(exports):
    result = read_agent_export(exports["agents_tab_cp1252_title.csv"])
    assert result["encoding"] == "cp1252"
    assert result["delimiter"] == "\t"
    assert result["header_line"] == 3
    assert _names(result) == ["Poste-Réception", "Poste-Entrepôt"]
    assert result["old_agents"] == []


@pytest.mark.parametrize("name, version", [
    ("AGENT NAME", "AGENT VERSION"), ("agent_name", "agent_version"), ("Hostname", "Version"),
    ("Computer name", "Installed version"), ("Nom", "Version"), ("  Name ", " Version "),
    ("AgentName", "AgentVersion"), ("Nom de la machine", "Version installée"),
])
def test_header_spellings(name, version):
    rows = [(name, "Status", version), ("pc1", "ok", "2.6.0"), ("pc2", "ok", "2.7.1")]
    result = parse_agent_export(_text(";", rows).encode("utf-8"), "a.csv")
    assert _names(result, "old_agents") == ["pc1"]


def test_column_overrides():
    rows = [("Endpoint label", "Build", "Policy version"), ("pc1", "2.7.1", "2.0"), ("pc2", "2.6.9", "3.0")]
    with pytest.raises(AgentExportError, match="no header"):
        parse_agent_export(_text(",", rows).encode(), "a.csv")
    result = parse_agent_export(_text(",", rows).encode(), "a.csv", name_column="endpoint label",
                                version_column="BUILD")
    assert _names(result, "old_agents") == ["pc2"]


def test_unknown_version_cells_block_but_do_not_fail():
    rows = [("Name", "Version"), ("pc1", "2.7.1"), ("pc2", ""), ("pc3", "N/A"), ("pc4", "Unknown")]
    result = parse_agent_export(_text(",", rows).encode(), "a.csv")
    assert _names(result, "old_agents") == ["pc2", "pc3", "pc4"]
    assert result["old_agents"][0]["reason"] == "version unknown to the console"


def test_unix_and_old_mac_line_ends():
    for newline in ("\n", "\r"):
        result = parse_agent_export(_text(",", newline=newline).encode(), "a.csv")
        assert _names(result, "old_agents") == ["ws-02"]


def test_quoted_field_with_newline_keeps_line_numbers():
    text = 'Name,Version\r\n"pc1\r\nsecond line",2.7.1\r\npc2,nope\r\n'
    with pytest.raises(AgentExportError) as caught:
        parse_agent_export(text.encode(), "a.csv")
    assert "a.csv, line 4: agent 'pc2' has the version 'nope'" in str(caught.value)


def test_boundary_versions():
    rows = [("Name", "Version"), ("a", "2.7.0.9999"), ("b", "2.7.1.0"), ("c", "2.7.1"), ("d", "3"), ("e", "v2.6")]
    result = parse_agent_export(_text(",", rows).encode(), "a.csv")
    assert _names(result, "old_agents") == ["a", "e"]


# Bad input: every message names the file, the line when there is one, and the fix.

def test_missing_file(tmp_path):
    path = str(tmp_path / "nope.csv")
    with pytest.raises(SesInputError) as caught:
        read_agent_export(path)
    message = str(caught.value)
    assert path in message and "does not exist" in message and "ses_agent_export_csv" in message
    assert "export the agent list as CSV" in message


def test_directory_and_empty_path(tmp_path):
    with pytest.raises(AgentExportError, match="is a directory"):
        read_agent_export(str(tmp_path))
    with pytest.raises(AgentExportError, match="ses_agent_export_csv is ''"):
        read_agent_export("")


def test_no_version_column():
    rows = [("Agent name", "Status", "OS"), ("pc1", "Connected", "Windows 11")]
    with pytest.raises(AgentExportError) as caught:
        parse_agent_export(_text(";", rows).encode(), "/tmp/export.csv")
    message = str(caught.value)
    assert message.startswith("/tmp/export.csv: no header with an agent name column and an agent version column")
    assert "'Agent name;Status;OS'" in message
    assert "ses_agent_export_version_column" in message


def test_unparseable_version_names_line_and_column():
    rows = [("Name", "Version"), ("pc1", "2.7.1"), ("pc2", "2.7.x"), ("pc3", "soon")]
    with pytest.raises(AgentExportError) as caught:
        parse_agent_export(_text(",", rows).encode(), "agents.csv")
    problems = caught.value.problems
    assert len(problems) == 2
    assert problems[0].startswith("agents.csv, line 3: agent 'pc2' has the version '2.7.x' (column 'Version'), "
                                  "which is not a version")
    assert "line 4" in problems[1]


def test_cut_line():
    text = "Name;Status;Version\r\npc1;ok;2.7.1\r\npc2;ok\r\n"
    with pytest.raises(AgentExportError, match=r"a.csv, line 3: 2 field\(s\) where the header \(line 1\) has 3"):
        parse_agent_export(text.encode(), "a.csv")


def test_header_without_agents_fails_closed():
    with pytest.raises(AgentExportError, match="no agent follows it; an empty list cannot prove"):
        parse_agent_export(b"Name,Version\r\n\r\n", "a.csv")


@pytest.mark.parametrize("data", [b"", b"\x00\x01\x02garbage\xff", b"just some text\nwithout columns\n"])
def test_not_an_export(data):
    with pytest.raises(AgentExportError, match="a.csv: no header"):
        parse_agent_export(data, "a.csv")


def test_empty_name_is_an_error():
    with pytest.raises(AgentExportError, match="line 2: the agent name .* is empty"):
        parse_agent_export(b"Name,Version\r\n,2.7.1\r\n", "a.csv")


def test_decode_fallbacks():
    assert decode_export("é".encode("utf-8")) == ("é", "utf-8")
    assert decode_export("é".encode("cp1252")) == ("é", "cp1252")
    assert decode_export(b"\x81") == ("\x81", "latin-1")
    assert normalise_header("Version de l\u2019agent") == "version de l agent"
