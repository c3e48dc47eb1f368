# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The administration console's CSV export of the agent list: which agents run which version.

The export is read by people and spreadsheets before it reaches us, so it comes
in many shapes: comma, semicolon (French and German locales) or tab separated,
UTF-8 with or without a BOM, UTF-16 (what Windows tools write, with a BOM) or
cp1252, with a title line or Excel's ``sep=`` line above the header, blank lines
and quoted fields. The header is found by column name, not by position. The
agents' gate fails closed: a file that cannot be read with certainty is an
error that names the file, the line and the fix, never an empty agent list.
"""

from __future__ import annotations

import codecs
import csv
import io
import ipaddress
import os
import re
import unicodedata

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import ses_catalog
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import SesInputError
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.versions import parse_version

__metaclass__ = type

VARIABLE = "ses_agent_export_csv"
DELIMITERS = (",", ";", "\t")
# The header must show up among the first lines: a title or "sep=" line may precede it.
HEADER_SEARCH_LINES = 20

# Header spellings, normalised (lower case, accents and punctuation folded to single
# spaces). Ordered by preference: "agent version" wins over a bare "version".
NAME_COLUMNS = (
    "agent name", "agent", "agents", "name", "agent hostname", "hostname", "host name", "host",
    "computer name", "computer", "machine name", "machine", "device name", "device",
    "endpoint name", "endpoint", "workstation", "fqdn", "dns name", "netbios name",
    "nom de l agent", "nom agent", "nom", "nom de la machine", "poste", "nom d hote",
    "nom du poste", "agentname",
)
VERSION_COLUMNS = (
    "agent version", "version of the agent", "installed agent version", "ses agent version",
    "ses version", "installed version", "client version", "software version", "version",
    "version de l agent", "version agent", "version installee", "agentversion",
)
# The agents' IP addresses, when the export has them: the agents' gate matches them with ses_agent_networks.
ADDRESS_COLUMNS = (
    "ip address", "ip addresses", "ip", "ipv4 address", "ipv6 address", "address", "addresses",
    "last ip address", "last known ip address", "adresse ip", "adresses ip", "adresse", "derniere adresse ip",
)
_ADDRESS_SPLIT = re.compile(r"[\s,;|]+")
# Cells that mean "the console does not know" (an agent that never connected):
# unknown blocks the gate like an old version, it is not a parse error.
UNKNOWN_VERSION_CELLS = ("", "-", "--", "n/a", "na", "none", "unknown", "inconnu", "inconnue", "?")


class AgentExportError(SesInputError):
    """The export cannot be read; the message names the file, the line and the fix."""


def normalise_header(cell):
    """'Version de l\u2019agent ' -> 'version de l agent'; 'Agent_Name' -> 'agent name'."""
    text = unicodedata.normalize("NFKD", str(cell))
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = re.sub(r"[^0-9a-z]+", " ", text.lower())
    return text.strip()


def decode_export(data, path="agent export"):
    """(text, encoding) of the raw bytes, by BOM first, then UTF-8, UTF-16 without BOM, cp1252."""
    boms = (
        (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
    )
    for bom, encoding in boms:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding), encoding + " with BOM"
            except UnicodeDecodeError as exc:
                raise AgentExportError(["%s: the file starts with a %s byte order mark but is not valid %s (%s); "
                                        "export the agent list again from the administration console"
                                        % (path, encoding, encoding, exc)])
    # UTF-16 without BOM: ASCII text leaves every other byte NUL.
    if len(data) >= 4 and data.count(b"\x00") * 3 >= len(data):
        encoding = "utf-16-le" if data[1:2] == b"\x00" else "utf-16-be"
        try:
            return data.decode(encoding), encoding + " (no BOM)"
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; latin-1 maps every byte, and names stay readable.
        return data.decode("latin-1"), "latin-1"


def _match_column(header, candidates, override):
    """Index of the preferred column of ``header`` for ``candidates``, or None."""
    normalised = [normalise_header(cell) for cell in header]
    if override:
        wanted = normalise_header(override)
        return normalised.index(wanted) if wanted in normalised else None
    for candidate in candidates:
        if candidate in normalised:
            return normalised.index(candidate)
    return None


def _rows(text, delimiter):
    """(physical line number, cells) for each row; the reader handles quoted fields and newlines."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"',
                        skipinitialspace=True, strict=False)
    start = 1
    for cells in reader:
        yield start, cells
        start = reader.line_num + 1


def _find_header(text, name_column, version_column):
    """(delimiter, header line, header cells, name index, version index) or None."""
    first = text.split("\n", 1)[0].strip().lower()
    explicit = None
    if first.startswith("sep=") and len(first) >= 5:
        # Excel's hint line: "sep=;" names the delimiter of the file.
        explicit = "\t" if first[4:] in ("\\t", "\t", "tab") else first[4]
    delimiters = (explicit,) if explicit else DELIMITERS
    found = []
    for delimiter in delimiters:
        for line, cells in _rows(text, delimiter):
            if line > HEADER_SEARCH_LINES:
                break
            name_index = _match_column(cells, NAME_COLUMNS, name_column)
            version_index = _match_column(cells, VERSION_COLUMNS, version_column)
            if name_index is not None and version_index is not None and name_index != version_index:
                found.append((line, -len(cells), delimiter, cells, name_index, version_index))
                break
    if not found:
        return None
    # The earliest header wins; on a tie, the delimiter that splits it into more columns.
    line, _width, delimiter, cells, name_index, version_index = min(found, key=lambda item: item[:2])
    return delimiter, line, cells, name_index, version_index


def _describe_first_lines(text):
    lines = [line.strip() for line in text.splitlines() if line.strip()][:3]
    if not lines:
        return "the file is empty"
    return "its first lines are: " + " | ".join(repr(line[:120]) for line in lines)


def parse_agent_export(data, path="agent export", name_column=None, version_column=None,
                       minimum_version=ses_catalog.AGENT_HTTPS_VERSION):
    """Parse the bytes of an export. Return a dict with every agent and those older than ``minimum_version``.

    ``old_agents`` holds agents below the minimum and agents whose version the console
    did not know (an empty or "N/A" cell): both keep needing TCP 17000 as far as we can tell.
    """
    text, encoding = decode_export(data, path)
    # A BOM can survive twice (a tool re-saving an export); line ends are normalised for the reader.
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    header = _find_header(text, name_column, version_column)
    if header is None:
        which = []
        if version_column or name_column:
            which.append("the columns named by ses_agent_export_name_column / ses_agent_export_version_column "
                         "(%r / %r)" % (name_column, version_column))
        raise AgentExportError([
            "%s: no header with an agent name column and an agent version column in the first %d lines (%s); "
            "%sexport the agent list from the administration console with its name and version columns, or "
            "name the columns with ses_agent_export_name_column and ses_agent_export_version_column"
            % (path, HEADER_SEARCH_LINES, _describe_first_lines(text),
               ("looked for %s; " % which[0]) if which else "")])
    delimiter, header_line, header_cells, name_index, version_index = header
    address_index = _match_column(header_cells, ADDRESS_COLUMNS, None)
    if address_index in (name_index, version_index):
        address_index = None
    minimum = parse_version(minimum_version)

    agents, old_agents, problems = [], [], []
    for line, cells in _rows(text, delimiter):
        if line <= header_line or not any(cell.strip() for cell in cells):
            continue
        if len(cells) <= max(name_index, version_index):
            problems.append("%s, line %d: %d field(s) where the header (line %d) has %d; the line is cut or uses "
                            "another delimiter than %r: fix that line or export the list again"
                            % (path, line, len(cells), header_line, len(header_cells), delimiter))
            continue
        name = cells[name_index].strip()
        version_text = cells[version_index].strip()
        if not name:
            problems.append("%s, line %d: the agent name (column %r) is empty; fix the line or remove it"
                            % (path, line, header_cells[name_index]))
            continue
        agent = {"name": name, "version": version_text or None, "line": line,
                 "addresses": _addresses(cells[address_index]) if address_index is not None
                 and address_index < len(cells) else []}
        if version_text.lower() in UNKNOWN_VERSION_CELLS:
            agent["version"] = None
            agents.append(agent)
            old_agents.append(dict(agent, reason="version unknown to the console"))
            continue
        version = parse_version(version_text)
        if version is None:
            problems.append("%s, line %d: agent %r has the version %r (column %r), which is not a version; "
                            "expected dotted numbers such as 2.7.1 or 2.7.1.1204: fix the cell or export the "
                            "list again" % (path, line, name, version_text, header_cells[version_index]))
            continue
        agents.append(agent)
        if version < minimum:
            old_agents.append(dict(agent, reason="runs %s, older than %s" % (version_text, minimum_version)))
    if problems:
        raise AgentExportError(problems)
    if not agents:
        raise AgentExportError(["%s: the header is on line %d but no agent follows it; an empty list cannot prove "
                                "that every agent is on %s: export the full agent list"
                                % (path, header_line, minimum_version)])
    return {
        "path": path,
        "encoding": encoding,
        "delimiter": delimiter,
        "header_line": header_line,
        "name_column": header_cells[name_index].strip(),
        "version_column": header_cells[version_index].strip(),
        "address_column": header_cells[address_index].strip() if address_index is not None else None,
        "agents": agents,
        "agent_count": len(agents),
        "old_agents": old_agents,
        "old_agent_count": len(old_agents),
        "minimum_version": minimum_version,
    }


def _addresses(cell):
    """The IP addresses of an address cell ("10.8.1.5, fe80::1"); words that are not addresses are left out."""
    found = []
    for token in _ADDRESS_SPLIT.split(cell.strip()):
        try:
            found.append(str(ipaddress.ip_address(token)))
        except ValueError:
            continue
    return found


def read_agent_export(path, name_column=None, version_column=None,
                      minimum_version=ses_catalog.AGENT_HTTPS_VERSION):
    """Read and parse the export at ``path`` (on the controller)."""
    if not isinstance(path, str) or not path.strip():
        raise AgentExportError(["%s is %r; set it to the path of the agent list exported as CSV from the "
                                "administration console" % (VARIABLE, path)])
    path = os.path.expanduser(path)
    if not os.path.exists(path):
        raise AgentExportError(["%s: the file %s does not exist; export the agent list as CSV from the "
                                "administration console and set %s to its path on the controller"
                                % (VARIABLE, path, VARIABLE)])
    if os.path.isdir(path):
        raise AgentExportError(["%s: %s is a directory; set %s to the CSV file itself" % (VARIABLE, path, VARIABLE)])
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise AgentExportError(["%s: cannot read %s (%s); make it readable by the user that runs Ansible"
                                % (VARIABLE, path, exc.strerror or exc)])
    return parse_agent_export(data, path, name_column, version_column, minimum_version)
