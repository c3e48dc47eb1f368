#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads, loads and commits the linux_firewall role's rules on a host, without a shell."""

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r"""
---
module: linux_ruleset
short_description: Read, load and commit the SES rules of a Linux host (nftables or iptables), one run at a time
version_added: 1.1.0
description:
  - The host side of the P(ses_evolution.firewall.linux_firewall#role) role. Every value reaches C(nft),
    C(iptables-restore) and the files as an argument or as file content, never through a shell.
  - O(state=probe) reads the live rules, the fingerprint of ours, the stored copy of the last apply, the
    persistent files, and the filter tables of the other backend that may drop what we accept (legacy
    iptables, other nftables base chains). Read only, so it runs the same in check mode.
  - O(state=apply) takes the host's lease for this run (a second run fails clearly while the first holds it),
    validates the new rules (C(nft -c), C(iptables-restore --test)), snapshots ours, arms a rollback timer
    carrying the run's token, and loads the new rules in one transaction. A rejected or failed load leaves
    the previous rules in place and no marker behind.
  - O(state=commit) disarms this run's timer (never another run's), writes the boot files atomically, stores
    the applied copy with the live fingerprint, and gives the lease back.
author:
  - ses_evolution.firewall contributors (!UNKNOWN)
options:
  state:
    description: The step to run.
    type: str
    required: true
    choices: [probe, apply, commit]
  backend:
    description: The packet filter.
    type: str
    required: true
    choices: [nftables, iptables]
  state_dir:
    description: Where the lock, lease, snapshot, timer marker and stored copy live.
    type: path
    required: true
  token:
    description: The run's token (letters, digits, C(_) and C(-), 8 to 64), with O(state=apply) and O(state=commit).
    type: str
  table:
    description: The collection's nftables table (family C(inet)).
    type: str
    default: ses_evolution
  chains:
    description: Our chains outside our table (integrate mode), as C(FAMILY TABLE CHAIN).
    type: list
    elements: str
    default: []
  bases:
    description: The base chains that hold our jump, as C(FAMILY TABLE CHAIN).
    type: list
    elements: str
    default: []
  payload:
    description:
      - With O(state=apply), what to load. nftables, C(script); iptables, C(v4) and C(v6) (C(--noflush) restore files).
      - With O(state=commit), what to store. C(desired) (the stored copy), and the boot files' content
        (nftables, C(script); iptables, C(v4) and C(v6)).
    type: dict
    default: {}
  rollback_timeout:
    description: Seconds before the previous rules come back unless O(state=commit) runs.
    type: int
    default: 90
  persist:
    description: Write the boot files.
    type: bool
    default: true
  enable_service:
    description: Enable C(nftables.service) or C(netfilter-persistent.service) when systemd runs.
    type: bool
    default: true
  nftables_file:
    description: Our nftables script, included from O(nftables_conf).
    type: path
    default: /etc/nftables.d/ses_evolution.nft
  nftables_conf:
    description: The nftables configuration loaded at boot.
    type: path
    default: /etc/nftables.conf
  rules_v4:
    description: netfilter-persistent's IPv4 file.
    type: path
    default: /etc/iptables/rules.v4
  rules_v6:
    description: netfilter-persistent's IPv6 file.
    type: path
    default: /etc/iptables/rules.v6
notes:
  - Needs C(nft) or C(iptables-restore)/C(ip6tables-restore), and C(flock) (util-linux) for the timer.
"""

EXAMPLES = r"""
- name: Read the live rules (what the role's plan filters take)
  ses_evolution.firewall.linux_ruleset:
    state: probe
    backend: nftables
    state_dir: /var/lib/ses_evolution_firewall
  register: probe
"""

RETURN = r"""
probe:
  description: With O(state=probe), the sections read, separated by lines C(--ses-evolution-probe--).
  returned: state is probe
  type: str
missing:
  description:
    - With O(state=probe), the backend's tools not found on the host (C(nft), or C(iptables-save),
      C(ip6tables-save), C(iptables-restore), C(ip6tables-restore)); C(probe) is then empty.
    - The role installs the backend's package, or stops naming it, when this is not empty.
  returned: state is probe
  type: list
  elements: str
msg:
  description: What was done.
  returned: always
  type: str
"""

import hashlib
import os
import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ses_evolution.firewall.plugins.module_utils.host_state import (
    HostState,
    StateError,
    read_text,
    remove,
    write_atomic,
)

MARKER = "--ses-evolution-probe--"
JUMP_COMMENT = "ses_evolution_jump"
# The tools each backend runs; a missing one is reported by the probe, not run.
TOOLS = {"nftables": ("nft",),
         "iptables": ("iptables-save", "ip6tables-save", "iptables-restore", "ip6tables-restore")}
# The same syntax the controller enforces (plugin_utils/linux_rules.py), checked again here: nft joins
# its arguments and parses them, so a name must never carry nft syntax.
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}\Z")
_TABLE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,48}\Z")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,64}\Z")
_PATH = re.compile(r"^/[A-Za-z0-9_./@+,=-]*\Z")
_FAMILIES = ("inet", "ip", "ip6")
FINGERPRINT_PREFIX = "# live fingerprint: "


class Host:
    """One host's commands, all as argument lists."""

    def __init__(self, module):
        self.module = module
        self.params = module.params

    def run(self, args, data=None):
        rc, out, err = self.module.run_command(args, data=data, binary_data=True, check_rc=False)
        return rc, out, err

    def output(self, args):
        """Standard output of a read-only command, '' when it fails."""
        rc, out, _err = self.run(args)
        return out if rc == 0 else ""

    def has(self, tool):
        return self.module.get_bin_path(tool) is not None

    def chain_args(self, spec):
        return spec.split(" ")

    # ---------------------------------------------------------------- fingerprints
    def nft_fingerprint(self):
        parts = [self.output(["nft", "-s", "list", "table", "inet", self.params["table"]])]
        parts.extend(self.output(["nft", "-s", "list", "chain"] + self.chain_args(spec)) for spec in self.params["chains"])
        for spec in self.params["bases"]:
            lines = self.output(["nft", "-s", "list", "chain"] + self.chain_args(spec)).splitlines()
            parts.append("\n".join("%d:%s" % (number, line) for number, line in enumerate(lines, 1)
                                   if JUMP_COMMENT in line))
        return sha256("\n".join(parts))

    def iptables_fingerprint(self):
        parts = []
        for save in ("iptables-save", "ip6tables-save"):
            parts.append(save)
            count = {}
            for line in self.output([save, "-t", "filter"]).splitlines():
                words = line.split()
                if re.match(r"^:SES_(IN|OUT) ", line):
                    parts.append(words[0])
                elif re.match(r"^-A SES_(IN|OUT) ", line):
                    parts.append(line)
                elif re.match(r"^-A (INPUT|OUTPUT) ", line):
                    count[words[1]] = count.get(words[1], 0) + 1
                    if re.search(r" -j SES_(IN|OUT)$", line):
                        parts.append("%d %s" % (count[words[1]], line))
        return sha256("\n".join(parts))

    def foreign(self):
        """The other backend's filter tables: legacy iptables (when loaded) and the nftables ruleset."""
        sections = []
        for names, save in (("/proc/net/ip_tables_names", "iptables-legacy-save"),
                            ("/proc/net/ip6_tables_names", "ip6tables-legacy-save")):
            loaded = "filter" in read_text(names).split()
            sections.append(self.output([save, "-t", "filter"]) if loaded and self.has(save) else "")
        return sections

    # ---------------------------------------------------------------- probe
    def missing(self):
        """The backend's tools not found on the host (the role then installs their package or stops)."""
        return [tool for tool in TOOLS[self.params["backend"]] if not self.has(tool)]

    def probe(self):
        state = self.params["state_dir"]
        if self.params["backend"] == "nftables":
            sections = [self.output(["nft", "-j", "list", "ruleset"]), self.nft_fingerprint(),
                        read_text(os.path.join(state, "applied.nft"))] + self.foreign()
        else:
            table = self.params["table"]
            nft = self.has("nft")
            loaded = nft and self.run(["nft", "list", "table", "inet", table])[0] == 0
            version = self.output(["iptables", "--version"])
            sections = [self.output(["iptables-save", "-t", "filter"]), self.output(["ip6tables-save", "-t", "filter"]),
                        self.iptables_fingerprint(), read_text(os.path.join(state, "applied.iptables")),
                        read_text(self.params["rules_v4"]), read_text(self.params["rules_v6"]),
                        table if loaded else "", "legacy" if "legacy" in version else "nf_tables",
                        self.output(["nft", "-j", "list", "ruleset"]) if nft else ""] + self.foreign()
        return ("\n%s\n" % MARKER).join(section.rstrip("\n") for section in sections)

    # ---------------------------------------------------------------- apply
    def check(self, args, content, what):
        rc, out, err = self.run(args, data=content)
        if rc != 0:
            raise StateError("%s rejected the new rule set: nothing was changed, the previous rules stay.\n%s"
                             % (what, (err or out).strip()))

    def nft_snapshot(self):
        table = self.params["table"]
        lines = ["table inet %s" % table, "delete table inet %s" % table,
                 self.output(["nft", "list", "table", "inet", table])]
        for spec in self.params["chains"]:
            lines.append("add chain %s\nflush chain %s" % (spec, spec))
            lines.append(self.output(["nft", "list", "chain"] + self.chain_args(spec)))
        return "\n".join(lines) + "\n"

    def apply(self, host):
        state, payload = self.params["state_dir"], self.params["payload"]
        if self.params["backend"] == "nftables":
            script = payload.get("script") or ""
            write_atomic(host.path("next.nft"), script)
            self.check(["nft", "-c", "-f", host.path("next.nft")], None, "nft -c")
            snapshot = self.nft_snapshot()
            write_atomic(host.path("previous.nft"), snapshot)
            self.check(["nft", "-c", "-f", host.path("previous.nft")], None,
                       "nft -c (of the snapshot of the current rules, so refusing to apply)")
            host.arm(self.params["rollback_timeout"], "nftables")
            rc, out, err = self.run(["nft", "-f", host.path("next.nft")])
            if rc != 0:
                host.disarm()
                raise StateError("nft -f failed: the transaction was not committed, the previous rules stay.\n%s"
                                 % (err or out).strip())
        else:
            restores = (("v4", "iptables"), ("v6", "ip6tables"))
            for family, tool in restores:
                write_atomic(host.path("next." + family), payload.get(family) or "")
                self.check([tool + "-restore", "--test", "--noflush"], payload.get(family) or "",
                           tool + "-restore --test")
            for family, tool in restores:
                write_atomic(host.path("previous." + family), self.output([tool + "-save", "-t", "filter"]))
            host.arm(self.params["rollback_timeout"], "iptables")
            for family, tool in restores:
                rc, out, err = self.run([tool + "-restore", "--noflush"], data=payload.get(family) or "")
                if rc != 0:
                    # Each restore is one transaction per table: put back the family that went through.
                    for put_family, put_tool in restores:
                        self.run([put_tool + "-restore", "-T", "filter"],
                                 data=read_text(os.path.join(state, "previous." + put_family)))
                    host.disarm()
                    raise StateError("%s-restore failed: the previous rules were put back.\n%s"
                                     % (tool, (err or out).strip()))

    # ---------------------------------------------------------------- commit
    def commit(self, host):
        params, payload, notes = self.params, self.params["payload"], []
        if params["persist"]:
            if params["backend"] == "nftables":
                write_atomic(params["nftables_file"], payload.get("script") or "", 0o644)
                conf = read_text(params["nftables_conf"]) or "#!/usr/sbin/nft -f\n"
                line = 'include "%s"' % params["nftables_file"]
                if line not in conf.splitlines():
                    write_atomic(params["nftables_conf"], conf.rstrip("\n") + "\n" + line + "\n", 0o644)
                service = "nftables.service"
            else:
                write_atomic(params["rules_v4"], payload.get("v4") or "", 0o644)
                write_atomic(params["rules_v6"], payload.get("v6") or "", 0o644)
                service = "netfilter-persistent.service"
            if params["enable_service"] and os.path.isdir("/run/systemd/system") and self.has("systemctl"):
                if self.run(["systemctl", "enable", "--quiet", service])[0] != 0:
                    notes.append("could not enable %s: the rules will not come back after a reboot" % service)
        fingerprint = self.nft_fingerprint() if params["backend"] == "nftables" else self.iptables_fingerprint()
        stored = "applied.nft" if params["backend"] == "nftables" else "applied.iptables"
        write_atomic(host.path(stored), (payload.get("desired") or "") + FINGERPRINT_PREFIX + fingerprint + "\n")
        return notes


def sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_params(module):
    params = module.params
    problems = []
    if not _TABLE.match(params["table"]):
        problems.append("table %r is not a plain nft table name" % params["table"])
    for spec in params["chains"] + params["bases"]:
        parts = spec.split(" ")
        if len(parts) != 3 or parts[0] not in _FAMILIES or not all(_IDENTIFIER.match(p) for p in parts[1:]):
            problems.append("chain %r is not 'FAMILY TABLE CHAIN' with plain nft names" % spec)
    if params["state"] != "probe" and not _TOKEN.match(params["token"] or ""):
        problems.append("token must be 8 to 64 letters, digits, _ or -")
    for name in ("state_dir", "nftables_file", "nftables_conf", "rules_v4", "rules_v6"):
        if not _PATH.match(params[name] or "") or "/../" in params[name] + "/":
            problems.append("%s %r is not a plain absolute path" % (name, params[name]))
    if problems:
        module.fail_json(msg="; ".join(problems))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", required=True, choices=["probe", "apply", "commit"]),
            backend=dict(type="str", required=True, choices=["nftables", "iptables"]),
            state_dir=dict(type="path", required=True),
            token=dict(type="str", no_log=False),
            table=dict(type="str", default="ses_evolution"),
            chains=dict(type="list", elements="str", default=[]),
            bases=dict(type="list", elements="str", default=[]),
            payload=dict(type="dict", default={}),
            rollback_timeout=dict(type="int", default=90),
            persist=dict(type="bool", default=True),
            enable_service=dict(type="bool", default=True),
            nftables_file=dict(type="path", default="/etc/nftables.d/ses_evolution.nft"),
            nftables_conf=dict(type="path", default="/etc/nftables.conf"),
            rules_v4=dict(type="path", default="/etc/iptables/rules.v4"),
            rules_v6=dict(type="path", default="/etc/iptables/rules.v6"),
        ),
        supports_check_mode=True,
    )
    check_params(module)
    params, host = module.params, Host(module)
    state = HostState(params["state_dir"], params["token"])
    try:
        if params["state"] == "probe":
            missing = host.missing()
            if missing:
                module.exit_json(changed=False, probe="", missing=missing, msg="not found: " + ", ".join(missing))
            module.exit_json(changed=False, probe=host.probe(), missing=[], msg="read")
        if module.check_mode:
            module.exit_json(changed=True, msg="check mode: nothing %s" % ("loaded" if params["state"] == "apply"
                                                                           else "committed"))
        with state.locked():
            if params["state"] == "apply":
                state.take_lease(params["rollback_timeout"] + 60)
                try:
                    host.apply(state)
                except BaseException:
                    state.release_lease()
                    raise
                module.exit_json(changed=True, msg="applied; rollback armed for %d s" % params["rollback_timeout"])
            state.check_lease()
            try:
                if state.rolled_back() or not state.armed():
                    raise StateError("the rollback timer fired before the confirmation (%d s): the previous rules "
                                     "are back; raise linux_firewall_rollback_timeout" % params["rollback_timeout"])
                state.disarm()
                notes = host.commit(state)
            finally:
                state.release_lease()
            remove(state.path("next.nft"), state.path("next.v4"), state.path("next.v6"))
            module.exit_json(changed=True, msg="committed", notes=notes)
    except (StateError, OSError, IOError) as exc:
        module.fail_json(msg=str(exc))


if __name__ == "__main__":
    main()
