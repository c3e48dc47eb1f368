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

Layout of a hand-off directory: index.json maps host name -> value file name;
each value file (<sha256>.json) holds one JSON value. Files are replaced
atomically, the index last, so a reader sees the old or the new set, never half.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile

__metaclass__ = type

INDEX = "index.json"
SUBDIR = "ses_handoff"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class HandoffError(Exception):
    """A hand-off that cannot be written or read; the message says what to do."""


def handoff_dir(base, name):
    """The directory of the hand-off called name under base (the run's private temporary directory)."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise HandoffError("hand-off name %r: use 1 to 64 letters, digits, '_', '.' or '-', starting with a "
                           "letter or digit" % (name,))
    return os.path.join(base, SUBDIR, name)


def write(directory, values):
    """Write values (host name -> JSON-serialisable value). Returns the number of distinct value files."""
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
    except OSError as exc:
        raise HandoffError("cannot create the hand-off directory %s: %s" % (directory, exc)) from exc
    index = {}
    written = set()
    # Identical values are usually the very same list object (the matrix shares the
    # agents' rules), so each object is serialised once, not once per host.
    by_object = {}
    for host, value in values.items():
        cached = by_object.get(id(value))
        if cached is not None and cached[0] is value:
            file_name = cached[1]
        else:
            data = json.dumps(value, sort_keys=True, separators=(",", ":")).encode("utf-8")
            file_name = hashlib.sha256(data).hexdigest() + ".json"
            by_object[id(value)] = (value, file_name)  # the value is kept, so its id stays unique
            if file_name not in written:
                _atomic_write(directory, file_name, data)
                written.add(file_name)
        index[host] = file_name
    _atomic_write(directory, INDEX, json.dumps(index, separators=(",", ":")).encode("utf-8"))
    return len(written)


def read(directory, host, default=None):
    """The value written for host, or default when the hand-off lists no such host."""
    try:
        with open(os.path.join(directory, INDEX), "rb") as handle:
            index = json.loads(handle.read())
    except FileNotFoundError as exc:
        raise HandoffError("no hand-off in %s: the task that writes it must run earlier in the same "
                           "ansible-playbook run" % directory) from exc
    except (OSError, ValueError) as exc:
        raise HandoffError("the hand-off index in %s cannot be read: %s" % (directory, exc)) from exc
    file_name = index.get(host)
    if file_name is None:
        return default
    try:
        with open(os.path.join(directory, file_name), "rb") as handle:
            return json.loads(handle.read())
    except (OSError, ValueError) as exc:
        raise HandoffError("the hand-off file of host %s in %s cannot be read: %s"
                           % (host, directory, exc)) from exc


def _atomic_write(directory, file_name, data):
    try:
        fd, temporary = tempfile.mkstemp(prefix=".%s." % file_name, dir=directory)
    except OSError as exc:
        raise HandoffError("cannot write into the hand-off directory %s: %s" % (directory, exc)) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, os.path.join(directory, file_name))
    except OSError as exc:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise HandoffError("cannot write %s into %s: %s" % (file_name, directory, exc)) from exc
