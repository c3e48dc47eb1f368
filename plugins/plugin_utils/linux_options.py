# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The linux_firewall role's options, converted by type and checked once, on the controller.

Values come from the inventory and from ``-e``, where ``-e flag=false`` arrives
as the string ``"false"`` (true for Jinja). Every option is converted here,
strictly: a string that is not clearly a boolean, a number or a safe path is
refused with the variable's name and the fix, before anything runs on a host.
Nothing returned here can carry shell or nft syntax.
"""

from __future__ import annotations

import re

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import connections, linux_backends
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import SesInputError
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.values import to_bool
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.linux_rules import (
    check_extra_statements,
    check_nft_chain_spec,
    check_nft_table,
)

__metaclass__ = type

PREFIX = "linux_firewall_"
# Path characters that mean something to nft's include line, to a shell, or end a line.
_PATH = re.compile(r"^/[A-Za-z0-9_./@+,=-]*\Z")

BOOLEANS = ("filter_outbound", "allow_icmp", "iptables_final_drop", "persist", "enable_service",
            "install_packages")
# name: (lowest, highest, nullable)
INTEGERS = {
    "management_port": (1, 65535, False),
    "rollback_timeout": (5, 86400, False),
    "confirm_timeout": (1, 86400, False),
    "confirm_port": (1, 65535, True),
}
CHOICES = {
    "backend": ("nftables", "iptables"),
    "nftables_mode": ("standalone", "integrate"),
    "conflict_action": ("warn", "fail"),
}
PATHS = ("state_dir", "nftables_file", "nftables_conf", "iptables_rules_v4", "iptables_rules_v6")


def to_int(value, variable, lowest, highest, problems, nullable=False):
    """``value`` as an integer in [lowest, highest]; records a problem otherwise."""
    if value is None or (nullable and isinstance(value, str) and value.strip().lower() in ("", "none", "null")):
        if nullable:
            return None
        problems.append("%s must be set (an integer from %d to %d)" % (variable, lowest, highest))
        return None
    number = None
    if not isinstance(value, bool):
        try:
            number = int(str(value).strip(), 10) if isinstance(value, str) else int(value)
            if not isinstance(value, str) and number != value:
                number = None
        except (TypeError, ValueError):
            number = None
    if number is None or not lowest <= number <= highest:
        problems.append("%s must be an integer from %d to %d, got %r" % (variable, lowest, highest, value))
        return None
    return number


def to_path(value, variable, problems):
    """An absolute path made of plain characters (no quotes, spaces, '..' or control characters)."""
    text = value if isinstance(value, str) else ""
    parts = text.split("/")
    if not _PATH.match(text) or ".." in parts or text.rstrip("/") == "" or len(text) > 1024:
        problems.append("%s must be an absolute path of letters, digits and _./@+,=- (no '..', spaces, quotes "
                        "or newlines), got %r" % (variable, value))
        return None
    return text


def to_list(value, variable, problems, nullable=False):
    """``value`` as a list of strings (a lone string typed with -e is not a list)."""
    if value is None:
        return None if nullable else []
    if isinstance(value, (str, bytes)) or hasattr(value, "keys") or not hasattr(value, "__iter__"):
        problems.append("%s must be a list; with -e, pass it as JSON: -e '{\"%s\": [...]}', got %r"
                        % (variable, variable, value))
        return None
    items = list(value)
    for item in items:
        if not isinstance(item, str):
            problems.append("%s must hold strings, got %r" % (variable, item))
            return None
    return items


def check_options(raw):
    """The role's options from ``raw`` ({variable name: value}), converted and checked.

    ``raw`` holds the ``linux_firewall_*`` variables plus ``ansible_connection``
    and ``ansible_port``. Returns a dict keyed by the name without the prefix,
    with ``remote`` (whether the connection can be cut by the host's filter).
    Raises SesInputError listing every problem.
    """
    problems = []
    options = {}
    for name in BOOLEANS:
        options[name] = to_bool(raw.get(PREFIX + name), PREFIX + name, problems)
    for name, (lowest, highest, nullable) in INTEGERS.items():
        options[name] = to_int(raw.get(PREFIX + name), PREFIX + name, lowest, highest, problems, nullable)
    for name, choices in CHOICES.items():
        value = raw.get(PREFIX + name)
        options[name] = value if value in choices else None
        if options[name] is None:
            problems.append("%s must be one of %s, got %r" % (PREFIX + name, ", ".join(choices), value))
    # What the role installs when the backend's tools are missing (and install_packages allows it).
    backend = linux_backends.BACKENDS.get(options["backend"])
    options["packages"] = list(backend.packages) if backend else []
    for name in PATHS:
        options[name] = to_path(raw.get(PREFIX + name), PREFIX + name, problems)
    options["nftables_table"] = check_nft_table(raw.get(PREFIX + "nftables_table"), PREFIX + "nftables_table",
                                                problems)
    # Our chains outside our table (integrate mode) and the base chains that jump to them, as
    # 'FAMILY TABLE CHAIN': the probe's fingerprint and the rollback snapshot cover them.
    options["nft_chains"], options["nft_bases"] = [], []
    for name, suffix in (("nftables_jump_from", "_input"), ("nftables_jump_from_output", "_output")):
        value = raw.get(PREFIX + name)
        spec = None if value in (None, "") else check_nft_chain_spec(value, PREFIX + name, problems)
        options[name] = " ".join(spec) if spec else None
        if spec and options["nftables_table"]:
            options["nft_bases"].append(options[name])
            options["nft_chains"].append("%s %s %s%s" % (spec[0], spec[1], options["nftables_table"], suffix))
    options["management_sources"] = to_list(raw.get(PREFIX + "management_sources"),
                                            PREFIX + "management_sources", problems, nullable=True)
    for name in ("extra_input", "extra_output"):
        items = to_list(raw.get(PREFIX + name), PREFIX + name, problems)
        if items and options["backend"]:
            check_extra_statements(items, options["backend"], PREFIX + name, problems)
        options[name] = items or []

    override = to_bool(raw.get(PREFIX + "connection_remote"), PREFIX + "connection_remote", problems, True)
    options["connection"] = connections.connection_name(raw.get("ansible_connection"))
    options["remote"] = connections.is_remote(options["connection"]) if override is None else override
    options["ansible_port"] = to_int(raw.get("ansible_port", 22), "ansible_port", 1, 65535, problems)

    if options["rollback_timeout"] is not None and options["confirm_timeout"] is not None:
        confirmations = 1 if options["confirm_port"] is None else 2
        if options["rollback_timeout"] <= options["confirm_timeout"] * confirmations:
            problems.append("%srollback_timeout (%d s) must be longer than the confirmation may take (%d x "
                            "%sconfirm_timeout %d s), or the timer would undo a change the controller is still "
                            "confirming" % (PREFIX, options["rollback_timeout"], confirmations, PREFIX,
                                            options["confirm_timeout"]))
    if options["nftables_mode"] == "integrate" and options["backend"] == "nftables" \
            and raw.get(PREFIX + "nftables_jump_from") in (None, ""):
        problems.append("%snftables_jump_from must name a base chain as 'FAMILY TABLE CHAIN' in integrate mode, "
                        "for example 'inet filter input'" % PREFIX)
    if problems:
        raise SesInputError(problems)
    return options
