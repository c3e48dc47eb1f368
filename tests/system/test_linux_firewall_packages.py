# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The linux_firewall role on a host where the backend's tools are missing.

Nothing is uninstalled from the machine: each play runs in a private mount
namespace (``unshare --mount``) where the tools' binaries are covered by a bind
mount of /dev/null (not executable, so the module no longer finds them), and a
fresh network namespace (``--net``) so that, whatever happens, no packet filter of
the machine is touched. The package manager still sees the package installed,
which is how the test tells that the role asked for the right package.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from role_lab import PLAYBOOK

__metaclass__ = type

# The tools each backend's probe looks for (plugins/modules/linux_ruleset.py TOOLS).
TOOLS = {"nftables": ["nft"], "iptables": ["iptables-save", "ip6tables-save", "iptables-restore", "ip6tables-restore"]}
RULES = [{"name": "in_console_to_backend_tcp8443_new", "direction": "in", "protocol": "tcp", "port": 8443,
          "peers": ["10.0.0.21/32"], "lifecycle": "new", "purpose": "console to backend"}]
_SEARCH = os.environ.get("PATH", "").split(os.pathsep) + ["/sbin", "/usr/sbin", "/usr/local/sbin"]

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("nft") or not shutil.which("iptables-save"),
    reason="needs root, unshare, nft and iptables-save (private mount and network namespaces)")


def binaries(tools):
    """Every file the module's search (PATH plus the sbin folders) would find for ``tools``, resolved."""
    found = set()
    for tool in tools:
        for folder in _SEARCH:
            candidate = os.path.join(folder, tool)
            if folder and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                found.add(os.path.realpath(candidate))
    return sorted(found)


def play(tmp_path, backend, install, check=False):
    """The role on one local host with ``backend``'s tools hidden; (returncode, per-task results, text)."""
    hidden = binaries(TOOLS[backend])
    assert hidden, "the tools to hide were not found"
    host = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
            "linux_firewall_backend": backend, "linux_firewall_install_packages": install,
            "linux_firewall_rules": RULES, "linux_firewall_enable_service": False,
            "linux_firewall_state_dir": str(tmp_path / "state"),
            "linux_firewall_nftables_file": str(tmp_path / "etc/ses.nft"),
            "linux_firewall_nftables_conf": str(tmp_path / "etc/nftables.conf"),
            "linux_firewall_iptables_rules_v4": str(tmp_path / "etc/rules.v4"),
            "linux_firewall_iptables_rules_v6": str(tmp_path / "etc/rules.v6")}
    (tmp_path / "inventory.json").write_text(json.dumps({"all": {"hosts": {"pkg_host": host}}}))
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    # The paths go to the shell as positional parameters, never inside the script text.
    script = 'for f in "$@"; do mount --bind /dev/null "$f" || exit 97; done; exec ansible-playbook ' \
             + " ".join(["-i", str(tmp_path / "inventory.json"), str(tmp_path / "play.yml")]
                        + (["--check"] if check else []))
    result = subprocess.run(["unshare", "--mount", "--net", "sh", "-c", script, "sh"] + hidden,
                            text=True, capture_output=True, check=False, timeout=300,
                            env=dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
                                     ANSIBLE_NOCOLOR="1"))
    assert result.returncode != 97, result.stderr
    tasks = {}
    try:
        for task in json.loads(result.stdout)["plays"][0]["tasks"]:
            # Without the role's prefix ("ses_evolution.firewall.linux_firewall : ").
            tasks[task["task"]["name"].split(" : ", 1)[-1]] = task["hosts"].get("pkg_host", {})
    except (ValueError, KeyError, IndexError):
        pytest.fail("no JSON output:\n" + result.stdout + result.stderr)
    return result.returncode, tasks, result.stdout + result.stderr


def failure(tasks):
    failed = [result for result in tasks.values() if result.get("failed")]
    assert len(failed) == 1, tasks
    return " ".join(failed[0]["msg"].split())


@pytest.mark.parametrize("backend, package", [("nftables", "nftables"), ("iptables", "iptables")])
def test_without_package_access_the_error_names_the_package_and_nothing_changes(tmp_path, backend, package):
    code, tasks, text = play(tmp_path, backend, install="false")
    assert code != 0
    message = failure(tasks)
    assert message.startswith("pkg_host: ")
    assert "Install the package %s on this host" % package in message
    assert "linux_firewall_install_packages" in message and "Nothing was changed" in message
    assert "Install the backend's package" not in tasks or tasks["Install the backend's package"].get("skipped")
    assert not (tmp_path / "state").exists(), "the role wrote its state on a host it stopped on"
    assert "Apply, confirm and commit the rule set" not in tasks, text


# One backend is enough here (the package manager is slow); the unit tests tie each backend to its package.
def test_the_role_installs_the_backends_package_when_its_tools_are_missing(tmp_path):
    backend = package = "nftables"
    code, tasks, text = play(tmp_path, backend, install=True)
    install = tasks["Install the backend's package"]
    assert install["invocation"]["module_args"]["name"] == [package], install
    assert not install.get("failed"), install
    # The machine has the package, but its binaries stay hidden in the mount namespace: the role reads the
    # host again after installing and stops, saying so, instead of planning without the tools.
    assert code != 0
    message = failure(tasks)
    assert "still not found after the package manager reported the package %s installed" % package in message, text
    assert "Apply, confirm and commit the rule set" not in tasks, text


def test_check_mode_says_the_package_would_be_installed(tmp_path):
    code, tasks, text = play(tmp_path, "nftables", install=True, check=True)
    assert code != 0
    assert tasks["Install the backend's package"]["invocation"]["module_args"]["name"] == ["nftables"], text
    message = failure(tasks)
    assert "check mode installs nothing: run without --check so that the package nftables is installed" in message
