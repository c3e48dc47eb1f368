# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The namespace lab (tests/lab/lab.py), built for real: needs root, iproute2 and ansible-inventory."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAB = os.path.join(ROOT, "tests", "lab", "lab.py")
PREFIX = "lab-st-"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("ip") or not shutil.which("ansible-inventory"),
    reason="needs root, iproute2 and ansible-inventory")

INVENTORY = """
all:
  children:
    ses_backends:
      hosts:
        bo1: {ses_address: 10.78.0.11, ses_version: "2.7.1"}
    ses_agent_handlers:
      hosts:
        bo1:
    ses_consoles:
      hosts:
        con1: {ses_address: 10.78.0.21, ses_version: "2.7.1"}
    ses_syslog_servers:
      hosts:
        log1: {ses_address: 10.78.0.41}
"""


def lab(*args, env=None, check=True):
    result = subprocess.run([sys.executable, LAB] + list(args), env=env, text=True, check=False,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def in_ns(namespace, code):
    return subprocess.run(["ip", "netns", "exec", namespace, sys.executable, "-c", code],
                          text=True, check=False, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def namespaces():
    out = subprocess.run(["ip", "netns", "list"], text=True, check=True, stdout=subprocess.PIPE).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


@pytest.fixture
def env(tmp_path):
    environment = dict(os.environ, SES_LAB_STATE_ROOT=str(tmp_path / "state"))
    (tmp_path / "inventory.yml").write_text(INVENTORY)
    yield environment
    lab("down", PREFIX, env=environment, check=False)


def test_up_builds_a_closed_network_with_listeners(env, tmp_path):
    lab("up", str(tmp_path / "inventory.yml"), PREFIX, env=env)
    state = json.loads((tmp_path / "state" / PREFIX / "lab.json").read_text())
    assert {PREFIX + name for name in ("bo1", "con1", "log1", "br")} <= namespaces()
    # The vendor's table: the co-located backend serves 443 (console 2.6, agents 2.7.1), 8443 (console
    # 2.7.1), 10443 (public API, open to any client by default) and 17000 (agents before 2.7.1);
    # the syslog server TCP 1468, UDP 514, TCP 5614.
    assert state["hosts"]["bo1"]["tcp"] == [443, 8443, 10443, 17000]
    assert (state["hosts"]["log1"]["tcp"], state["hosts"]["log1"]["udp"]) == ([1468, 5614], [514])

    for name in ("bo1", "con1", "log1"):
        routes = subprocess.run(["ip", "-n", PREFIX + name, "route", "show", "default"], text=True,
                                check=True, stdout=subprocess.PIPE).stdout
        assert routes.strip() == "", "%s has a default route" % name

    banner = in_ns(PREFIX + "con1", "import socket; print(socket.create_connection(('10.78.0.11', 8443), 3).recv(64))")
    assert "ses-lab bo1" in banner.stdout, banner.stderr
    closed = in_ns(PREFIX + "con1", "import socket; socket.create_connection(('192.0.2.1', 443), 3)")
    assert "Network is unreachable" in closed.stderr

    in_ns(PREFIX + "con1", "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM)"
                           ".sendto(b'lab-token-42', ('10.78.0.41', 514))")
    receipts = state["hosts"]["log1"]["udp_receipts"]
    deadline = time.monotonic() + 3
    while "lab-token-42" not in open(receipts).read() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "udp 514 10.78.0.21 lab-token-42" in open(receipts).read()

    overlay = (tmp_path / "state" / PREFIX / "inventory.yml").read_text()
    assert '"ansible_connection": "local"' not in overlay  # YAML keys, not JSON
    assert "ansible_connection: \"local\"" in overlay
    wrapper = open(os.path.join(str(tmp_path / "state" / PREFIX), "bin", "bo1-python")).read()
    assert "ip netns exec %sbo1 " % PREFIX in wrapper


def test_up_again_after_a_crash_and_down_leaves_nothing(env, tmp_path):
    lab("up", str(tmp_path / "inventory.yml"), PREFIX, env=env)
    # A crash: a stray process in a namespace, a listener killed.
    stray = subprocess.Popen(["ip", "netns", "exec", PREFIX + "con1", "sleep", "300"])  # pylint: disable=consider-using-with
    state = json.loads((tmp_path / "state" / PREFIX / "lab.json").read_text())
    os.kill(state["hosts"]["bo1"]["listener_pid"], 9)
    lab("up", str(tmp_path / "inventory.yml"), PREFIX, env=env)
    assert stray.wait(timeout=10) is not None
    assert lab("status", PREFIX, env=env).returncode == 0
    lab("down", PREFIX, env=env)
    assert not {PREFIX + name for name in ("bo1", "con1", "log1", "br")} & namespaces()
    assert not os.path.exists(str(tmp_path / "state" / PREFIX))
    assert lab("status", PREFIX, env=env, check=False).returncode == 1
