# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared by the cleanup system tests: run a playbook, write inventories and agent exports."""

from __future__ import annotations

import os
import subprocess
import tempfile

import yaml

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Run:
    """One ansible-playbook run: exit code and the whole output."""

    def __init__(self, completed):
        self.rc = completed.returncode
        self.out = completed.stdout + completed.stderr

    def __repr__(self):
        return "rc=%d\n%s" % (self.rc, self.out[-6000:])


def _command(name, inventories, extra, env):
    argv = ["ansible-playbook", "ses_evolution.firewall.%s" % name]
    for inventory in inventories:
        argv += ["-i", str(inventory)]
    argv += [str(item) for item in extra]
    environment = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0",
                       ANSIBLE_HOST_KEY_CHECKING="0")
    environment.update(env or {})
    return argv, environment


def playbook(name, inventories, *extra, env=None, timeout=300):
    """ansible-playbook ses_evolution.firewall.NAME with the inventories and extra arguments."""
    argv, environment = _command(name, inventories, extra, env)
    return Run(subprocess.run(argv, text=True, check=False, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=environment, timeout=timeout, cwd=ROOT))


def playbooks_at_once(runs, width=4, timeout=300):
    """Several playbook runs side by side ({key: (name, inventories, extra, env)}): they mostly wait on
    forks and polling, so running them together keeps the suite short. Returns {key: Run}."""
    pending = list(runs.items())
    active, results = {}, {}
    while pending or active:
        while pending and len(active) < width:
            key, (name, inventories, extra, env) = pending.pop(0)
            argv, environment = _command(name, inventories, extra, env)
            # Output into a file, not a pipe: a full pipe would stall a run nobody reads yet.
            output = tempfile.TemporaryFile(mode="w+")
            active[key] = (subprocess.Popen(argv, text=True, stdout=output, stderr=subprocess.STDOUT,
                                            env=environment, cwd=ROOT), output)
        key = next(iter(active))
        process, output = active.pop(key)
        process.wait(timeout=timeout)
        output.seek(0)
        results[key] = Run(subprocess.CompletedProcess(process.args, process.returncode, output.read(), ""))
        output.close()
    return results


def patched_inventory(source, destination, versions=None, host_vars=None):
    """Copy the YAML inventory ``source`` to ``destination`` with hosts' ses_version and other variables set."""
    with open(source, encoding="utf-8") as stream:
        data = yaml.safe_load(stream)
    changes = {}
    for host, version in (versions or {}).items():
        changes.setdefault(host, {})["ses_version"] = version
    for host, variables in (host_vars or {}).items():
        changes.setdefault(host, {}).update(variables)

    def walk(group):
        for name, variables in (group.get("hosts") or {}).items():
            if name in changes and variables is not None:  # the occurrence that defines the host
                group["hosts"][name] = dict(variables or {}, **changes[name])
        for child in (group.get("children") or {}).values():
            walk(child or {})

    walk(data["all"])
    with open(destination, "w", encoding="utf-8") as stream:
        yaml.safe_dump(data, stream, sort_keys=False)
    return destination


def unreachable_overlay(destination, host):
    """An inventory that makes ``host`` unreachable: SSH to a closed port on the loopback address."""
    text = ("all:\n  hosts:\n    %s:\n      ansible_connection: ssh\n      ansible_host: 127.0.0.1\n"
            "      ansible_port: 1\n      ansible_python_interpreter: /usr/bin/python3\n"
            "      ansible_ssh_common_args: -o ConnectTimeout=3 -o StrictHostKeyChecking=no\n" % host)
    with open(destination, "w", encoding="utf-8") as stream:
        stream.write(text)
    return destination


def agent_export(path, rows, encoding="utf-16", delimiter=";"):
    """A console export: header, then one row per (name, version) or (name, version, IP address), CRLF,
    in ``encoding``. With addresses, the export has an "IP address" column."""
    addressed = any(len(row) > 2 for row in rows)
    columns = ["Agent name", "Agent version"] + (["IP address"] if addressed else []) + ["Status"]
    lines = [delimiter.join(columns)]
    lines += [delimiter.join(list(row[:2]) + ([row[2] if len(row) > 2 else ""] if addressed else []) + ["Connected"])
              for row in rows]
    with open(path, "wb") as stream:
        stream.write(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path
