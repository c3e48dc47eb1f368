# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files the controller writes (reports, audit records, hand-offs): atomically, and only when they change.

The one atomic writer of the controller side. The managed hosts have their own
(module_utils/host_state.py ``write_atomic``): a module cannot import plugin_utils,
which never travels to the host.
"""

from __future__ import annotations

import os
import tempfile

__metaclass__ = type


class AtomicWriteError(OSError):
    """A file that could not be written; the message names the file and the reason.

    An OSError, so that callers which catch OSError keep doing so.
    """


def write_atomic(path, data, mode=None):
    """Write ``data`` (bytes, or text as UTF-8) beside ``path`` and rename it there.

    A reader sees the old file or the new one, never half a file, and a failed write
    leaves no temporary file behind. ``mode`` (e.g. 0o640) is set before the rename;
    None keeps the temporary file's 0600, so a private file is never readable by others
    even for a moment.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    directory = os.path.dirname(path) or "."
    try:
        handle, temporary = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    except OSError as exc:
        raise AtomicWriteError("cannot write %s: cannot create a file in %s (%s)"
                               % (path, directory, exc.strerror or exc)) from exc
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException as exc:
        if os.path.exists(temporary):
            os.unlink(temporary)
        if isinstance(exc, OSError):
            raise AtomicWriteError("cannot write %s: %s" % (path, exc.strerror or exc)) from exc
        raise


def unchanged(path, data, mode):
    """True when ``path`` already holds ``data`` (bytes, or text as UTF-8) with permissions ``mode``."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        if os.stat(path).st_mode & 0o777 != mode:
            return False
        with open(path, "rb") as stream:
            return stream.read() == data
    except OSError:
        return False


def write_if_changed(path, data, mode, dry_run=False):
    """Write ``path`` unless it already holds ``data`` with ``mode``; True when it changed (or would, in a dry run)."""
    if unchanged(path, data, mode):
        return False
    if not dry_run:
        write_atomic(path, data, mode)
    return True
