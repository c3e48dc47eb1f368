# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The linux_firewall role's state directory on a host: lock, lease, rollback timer, atomic writes.

One run at a time changes a host's rules. A run takes the host's *lease* (a
file naming the run's token) when it loads new rules, and gives it back when it
commits them or when its rollback timer puts the previous rules back. Every
step that reads or changes the lease, the timer's marker or the rules holds an
``flock`` on ``STATE/lock``; the timer takes the same lock before it acts, so a
commit and a rollback never interleave. The timer acts only on the marker that
carries its own run's token: a commit disarms only its own timer.
"""

from __future__ import annotations

import errno
import fcntl
import os
import signal
import subprocess
import time
from contextlib import contextmanager

__metaclass__ = type

# Sleeps, then under the state directory's lock puts the snapshot back, but only when the marker
# still carries this run's token. Arguments: seconds, state directory, token, backend.
ROLLBACK_TIMER = r"""
sleep "$1"
exec 9>>"$2/lock"
flock 9 2>/dev/null
[ "$(cat "$2/rollback.armed" 2>/dev/null)" = "$3" ] || exit 0
if [ "$4" = nftables ]; then
  nft -f "$2/previous.nft"
else
  iptables-restore -T filter <"$2/previous.v4"; v4=$?
  ip6tables-restore -T filter <"$2/previous.v6" && [ "$v4" = 0 ]
fi && echo "$3 rolled back at $(date -u +%FT%TZ)" >"$2/rollback.done"
rm -f "$2/rollback.armed" "$2/rollback.pid"
[ "$(head -n 1 "$2/lease" 2>/dev/null)" = "$3" ] && rm -f "$2/lease"
exit 0
"""


class StateError(Exception):
    """A step that cannot go on; the message says what was left as it was."""


def write_atomic(path, content, mode=0o600):
    """Write ``content`` to ``path`` through a temporary file and a rename: all or nothing."""
    # Not plugin_utils/files.py's writer: this one runs on the managed host, where only
    # module_utils travels with the module (plugin_utils stays on the controller). It also
    # fsyncs, since a rule set must survive a host that loses power right after a commit.
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    temporary = "%s.tmp.%d" % (path, os.getpid())
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def read_text(path):
    """The file's text, or '' when it does not exist."""
    try:
        with open(path) as handle:
            return handle.read()
    except (IOError, OSError) as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return ""
        raise


def remove(*paths):
    for path in paths:
        try:
            os.unlink(path)
        except OSError as exc:
            if exc.errno != errno.ENOENT:
                raise


class HostState:
    """The state directory of one host."""

    def __init__(self, directory, token):
        self.directory = directory
        self.token = token

    def path(self, name):
        return os.path.join(self.directory, name)

    @contextmanager
    def locked(self):
        """Holds ``STATE/lock`` (the rollback timer takes it too)."""
        if not os.path.isdir(self.directory):
            os.makedirs(self.directory, 0o700)
        descriptor = os.open(self.path("lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)

    # ---------------------------------------------------------------- lease
    def lease(self):
        """(token, expiry epoch) of the run holding the host, or (None, 0)."""
        lines = read_text(self.path("lease")).split("\n")
        try:
            return lines[0] or None, float(lines[1])
        except (IndexError, ValueError):
            return (lines[0] or None), 0.0

    def take_lease(self, seconds):
        """Take the host for this run, unless another run holds it and its lease has not run out."""
        holder, expiry = self.lease()
        now = time.time()
        if holder and holder != self.token and expiry > now:
            raise StateError(
                "another run of the linux_firewall role (run %s) is changing the rules of this host and holds it "
                "for %d s more: nothing was changed; run again once it has finished" % (holder, expiry - now))
        write_atomic(self.path("lease"), "%s\n%d\n" % (self.token, now + seconds))

    def check_lease(self):
        holder = self.lease()[0]
        if holder != self.token:
            raise StateError("this run (%s) no longer holds the host (held by %s): another run changed its rules "
                             "meanwhile; run again to bring them to this run's rule set" % (self.token, holder))

    def release_lease(self):
        if self.lease()[0] == self.token:
            remove(self.path("lease"))

    # ---------------------------------------------------------------- rollback timer
    def arm(self, seconds, backend):
        """Arm the timer that puts the snapshot back after ``seconds`` unless this run disarms it."""
        remove(self.path("rollback.done"))
        write_atomic(self.path("rollback.armed"), self.token)
        try:
            timer = subprocess.Popen(
                ["sh", "-c", ROLLBACK_TIMER, "ses-rollback", str(int(seconds)), self.directory, self.token, backend],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                close_fds=True, cwd="/", start_new_session=True)
            write_atomic(self.path("rollback.pid"), "%d %s\n" % (timer.pid, self.token))
        except BaseException:
            self.disarm()
            raise

    def disarm(self):
        """Disarm this run's timer (never another run's)."""
        if read_text(self.path("rollback.armed")) == self.token:
            remove(self.path("rollback.armed"))
        words = read_text(self.path("rollback.pid")).split()
        if len(words) == 2 and words[1] == self.token:
            try:
                os.killpg(int(words[0]), signal.SIGTERM)
            except (OSError, ValueError):
                pass
            remove(self.path("rollback.pid"))

    def rolled_back(self):
        """Whether this run's timer already put the previous rules back."""
        return read_text(self.path("rollback.done")).startswith(self.token + " ")

    def armed(self):
        return read_text(self.path("rollback.armed")) == self.token
