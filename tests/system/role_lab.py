# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A two-namespace lab for the linux_firewall role: one managed host, one client, real packets.

The host namespace runs listeners on TCP 8443 and 9000; the client namespace
connects to them over one veth pair with no default route, so no packet leaves
the lab. Ansible reaches the host through ``ansible_connection: local`` and an
interpreter wrapper that runs ``ip netns exec HOST python3``. Every file the role
writes (state, boot files) lives under the lab's folder, per inventory host.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time

__metaclass__ = type

LISTENER = textwrap.dedent("""
    import socket, selectors
    sel = selectors.DefaultSelector()
    for port in (8443, 9000):
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", port)); s.listen(16); sel.register(s, selectors.EVENT_READ)
    while True:
        for key, _ in sel.select():
            conn, _ = key.fileobj.accept(); conn.close()
""")

PLAYBOOK = """
- name: Apply the rules under test
  hosts: all
  gather_facts: false
  tasks:
    - name: Run the role
      ansible.builtin.include_role:
        name: ses_evolution.firewall.linux_firewall
"""


def netns_available():
    if os.geteuid() != 0 or not shutil.which("ip") or not shutil.which("nft"):
        return False
    return subprocess.run(["ip", "netns", "list"], capture_output=True, check=False).returncode == 0


def sh(*args, check=True, **kwargs):
    return subprocess.run(list(args), check=check, text=True, capture_output=True, **kwargs)


class RoleLab:
    """The lab: ``prefix`` names the namespaces (PREFIXh, PREFIXc), ``subnet`` is a /24 like '10.214.0'."""

    def __init__(self, base, prefix, subnet):
        self.base = base
        self.host_ns, self.client_ns = prefix + "h", prefix + "c"
        self.host_ip, self.client_ip = subnet + ".1", subnet + ".2"
        self.listener = None
        self.wrapper = base / "python"

    def up(self):
        self.down()
        sh("ip", "netns", "add", self.host_ns)
        sh("ip", "netns", "add", self.client_ns)
        sh("ip", "link", "add", self.host_ns + "0", "netns", self.host_ns, "type", "veth",
           "peer", "name", self.client_ns + "0", "netns", self.client_ns)
        for namespace, address in ((self.host_ns, self.host_ip), (self.client_ns, self.client_ip)):
            sh("ip", "-n", namespace, "addr", "add", address + "/24", "dev", namespace + "0")
            sh("ip", "-n", namespace, "link", "set", namespace + "0", "up")
            sh("ip", "-n", namespace, "link", "set", "lo", "up")
        self.listener = subprocess.Popen(["ip", "netns", "exec", self.host_ns, sys.executable, "-c", LISTENER],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.wrapper.write_text('#!/bin/sh\nexec ip netns exec %s %s "$@"\n' % (self.host_ns, sys.executable))
        self.wrapper.chmod(0o755)
        (self.base / "play.yml").write_text(PLAYBOOK)
        for _attempt in range(50):
            if self.connects(8443):
                break
            time.sleep(0.1)
        return self

    def down(self):
        if self.listener is not None:
            self.listener.kill()
        for namespace in (self.host_ns, self.client_ns):
            for pid in sh("ip", "netns", "pids", namespace, check=False).stdout.split():
                sh("kill", "-9", pid, check=False)
            sh("ip", "netns", "del", namespace, check=False)

    def host_vars(self, folder, **extra):
        """Variables of one inventory host whose files live under ``self.base / folder``."""
        root = self.base / folder
        host = {"ansible_connection": "local", "ansible_python_interpreter": str(self.wrapper),
                "linux_firewall_enable_service": False}
        for variable, path in (("linux_firewall_state_dir", "state"), ("linux_firewall_nftables_file", "etc/ses.nft"),
                               ("linux_firewall_nftables_conf", "etc/nftables.conf"),
                               ("linux_firewall_iptables_rules_v4", "etc/rules.v4"),
                               ("linux_firewall_iptables_rules_v6", "etc/rules.v6")):
            host[variable] = str(root / path)
        host.update(extra)
        return host

    def play(self, hosts, variables=None, args=(), env=None, inventory="inventory.json"):
        """ansible-playbook of the role on ``hosts`` ({name: vars}); (returncode, output)."""
        (self.base / inventory).write_text(json.dumps({"all": {"hosts": hosts}}))
        command = ["ansible-playbook", "-i", str(self.base / inventory), str(self.base / "play.yml")]
        if variables:
            (self.base / ("vars-" + inventory)).write_text(json.dumps(variables))
            command += ["-e", "@" + str(self.base / ("vars-" + inventory))]
        result = sh(*(command + list(args)), check=False,
                    env=dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", **(env or {})))
        return result.returncode, result.stdout + result.stderr

    def start(self, hosts, variables, inventory):
        """The same as play(), started in the background: a Popen whose communicate() gives the output."""
        (self.base / inventory).write_text(json.dumps({"all": {"hosts": hosts}}))
        (self.base / ("vars-" + inventory)).write_text(json.dumps(variables))
        return subprocess.Popen(["ansible-playbook", "-i", str(self.base / inventory), str(self.base / "play.yml"),
                                 "-e", "@" + str(self.base / ("vars-" + inventory))],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                env=dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0"))

    def connects(self, port):
        code = ("import socket,sys\ns=socket.socket(); s.settimeout(1)\n"
                "sys.exit(0 if s.connect_ex((%r, %d)) == 0 else 1)" % (self.host_ip, port))
        return subprocess.run(["ip", "netns", "exec", self.client_ns, sys.executable, "-c", code],
                              check=False).returncode == 0

    def on_host(self, *args, check=False, **kwargs):
        return sh("ip", "netns", "exec", self.host_ns, *args, check=check, **kwargs)

    def ruleset(self):
        return self.on_host("nft", "list", "ruleset").stdout
