# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-host hand-off files: one play writes each host's value, a later play reads only its own.

A value kept on localhost and read as hostvars['localhost'][...] costs the whole
value on every read, because Ansible rebuilds localhost's variables each time
(with 10,000 agents the fleet matrix made that about 1.5 s per host). Written
here instead, each host reads one small file. Hosts with equal values (all the
agents of a matrix) share one file through the index, so 10,000 agents cost a
few files, not 10,000.

Layout of a hand-off directory: each value file holds one JSON value, and is
named after the write that made it, so a second write never changes a file the
first one's index names. index.txt holds, on its first line, the JSON list of
the value files, then one line per host: the host name as a JSON string, a tab,
and the position of its file in that list. Every host reads the index, so a
reader finds its own line with a byte search instead of parsing 10,000 of them.
Files are written atomically, the index last, so a reader sees the old or the
new set, never half.
"""

from __future__ import annotations

import hashlib
import json
import os
import re

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.files import AtomicWriteError, write_atomic

__metaclass__ = type

INDEX = "index.txt"
# The one fleet-wide value of a hand-off (the whole matrix), beside the per-host files.
FLEET = "fleet.json"
SUBDIR = "ses_handoff"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")


class HandoffError(Exception):
    """A hand-off that cannot be written or read; the message says what to do."""


def handoff_dir(base, name):
    """The directory of the hand-off called name under base (the run's private temporary directory)."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise HandoffError("hand-off name %r: use 1 to 64 letters, digits, '_', '.' or '-', starting with a "
                           "letter or digit" % (name,))
    return os.path.join(base, SUBDIR, name)


def per_host_values(per_host, common, hosts=()):
    """{host: common + {key: per_host[key][host]}} for every host of hosts or named in a per_host mapping."""
    values = {host: dict(common) for host in hosts}
    for key, mapping in per_host.items():
        if not isinstance(mapping, dict):
            raise HandoffError("per_host.%s must map host names to values, got %s" % (key, type(mapping).__name__))
        for host, value in mapping.items():
            values.setdefault(host, dict(common))[key] = value
    return values


def _make_dir(directory):
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
    except OSError as exc:
        raise HandoffError("cannot create the hand-off directory %s: %s" % (directory, exc)) from exc


def write(directory, values):
    """Write values (host name -> JSON-serialisable value). Returns the number of distinct value files."""
    _make_dir(directory)
    prefix = os.urandom(6).hex()
    files = []
    position_of_content = {}
    hosts = {}
    # Identical values are often the very same object (the matrix shares the agents'
    # rules), so each object is serialised once, not once per host.
    position_of_object = {}
    for host, value in values.items():
        cached = position_of_object.get(id(value))
        if cached is not None and cached[0] is value:
            position = cached[1]
        else:
            data = json.dumps(value, sort_keys=True, separators=(",", ":")).encode("utf-8")
            digest = hashlib.sha256(data).digest()
            position = position_of_content.get(digest)
            if position is None:
                position = position_of_content[digest] = len(files)
                files.append("%s-%d.json" % (prefix, position))
                _write(directory, files[position], data)
            position_of_object[id(value)] = (value, position)  # the value is kept, so its id stays unique
        hosts[host] = position
    lines = [json.dumps(files)] + ["%s\t%d" % (_host_key(host), position) for host, position in hosts.items()]
    _write(directory, INDEX, ("\n".join(lines) + "\n").encode("ascii"))
    return len(files)


def _host_key(host):
    """The host name as a JSON string: ASCII, without tab or newline, so one line of the index."""
    return json.dumps(host, ensure_ascii=True)


def read(directory, host, default=None):
    """The value written for host, or default when the hand-off lists no such host."""
    try:
        with open(os.path.join(directory, INDEX), "rb") as handle:
            index = handle.read()
    except FileNotFoundError as exc:
        # The usual cause: --limit left out localhost, so the play that computes the matrix
        # on the controller did not run.
        raise HandoffError("no hand-off in %s: the task that writes it must run earlier in the same "
                           "ansible-playbook run; with --limit, include localhost (for example "
                           "--limit 'bo1,localhost') so that the controller's play runs" % directory) from exc
    except OSError as exc:
        raise HandoffError("the hand-off index in %s cannot be read: %s" % (directory, exc)) from exc
    key = ("\n%s\t" % _host_key(host)).encode("ascii")
    try:
        files = json.loads(index[:index.index(b"\n")])
        start = index.find(key)
        if start < 0:
            return default
        start += len(key)
        file_name = files[int(index[start:index.index(b"\n", start)])]
    except (ValueError, IndexError, TypeError) as exc:
        raise HandoffError("the hand-off index in %s is not one this collection wrote" % directory) from exc
    try:
        with open(os.path.join(directory, file_name), "rb") as handle:
            return json.loads(handle.read())
    except (OSError, ValueError) as exc:
        raise HandoffError("the hand-off file of host %s in %s cannot be read: %s"
                           % (host, directory, exc)) from exc


def write_fleet(directory, value):
    """Write the hand-off's one fleet-wide value (for example the matrix a later controller task reads)."""
    _make_dir(directory)
    _write(directory, FLEET, json.dumps(value, sort_keys=True, separators=(",", ":")).encode("utf-8"))


def read_fleet(directory):
    """The fleet-wide value written by write_fleet in this run."""
    try:
        with open(os.path.join(directory, FLEET), "rb") as handle:
            return json.loads(handle.read())
    except FileNotFoundError as exc:
        raise HandoffError("no fleet-wide hand-off in %s: the task that writes it (port_matrix with "
                           "matrix_handoff) must run earlier in the same ansible-playbook run" % directory) from exc
    except (OSError, ValueError) as exc:
        raise HandoffError("the fleet-wide hand-off in %s cannot be read: %s" % (directory, exc)) from exc


def _write(directory, file_name, data):
    # No mode: the files keep mkstemp's 0600, private to the user running the playbook.
    try:
        write_atomic(os.path.join(directory, file_name), data)
    except AtomicWriteError as exc:
        raise HandoffError(str(exc)) from exc
