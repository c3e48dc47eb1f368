# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SES lab: an inventory's hosts as network namespaces on one machine.

    python3 tests/lab/lab.py up INVENTORY [PREFIX]   build (or rebuild) the lab of INVENTORY
    python3 tests/lab/lab.py down [PREFIX]           kill what runs in the lab's namespaces, delete them
    python3 tests/lab/lab.py status [PREFIX]         what exists and what listens

One namespace per host (``PREFIX + inventory name``), one bridge in its own
namespace (``PREFIX + "br"``), one veth pair per host into it. Each host gets its
address from the inventory (``ses_address``, else ``ansible_host``) as a /32 (/128)
plus one host route per other lab host: there is no default route, so lab traffic
can never leave the machine. Each host runs listener.py on the ports its SES
component serves (the inbound rules of the migrate matrix), and a real sshd when
its inventory sets ``ses_lab_sshd: true`` (Ansible then reaches it over SSH from
another lab host: run ansible-playbook under ``ip netns exec`` in that host).

For Ansible, the lab writes into its state directory an interpreter wrapper per
host (``ip netns exec NS python3``) and an inventory overlay; give both inventories:
``ansible-playbook -i INVENTORY -i STATE/inventory.yml ...``.

State lives in ``/run/ses-lab/PREFIX`` (tmpfs, like the namespaces themselves:
both vanish at reboot), or under ``$SES_LAB_STATE_ROOT``. The state file is written
before anything is created, so ``down`` (and the ``down`` that ``up`` runs first)
cleans up after a crash.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

__metaclass__ = type

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_PREFIX = "lab-"
PREFIX_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,9}$")
HOST_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class LabError(Exception):
    """A problem the user can fix; printed without a traceback."""


def state_dir(prefix):
    return os.path.join(os.environ.get("SES_LAB_STATE_ROOT", "/run/ses-lab"), prefix)


def run(*args, check=True, capture=False):
    result = subprocess.run(list(args), check=False, text=True,
                            stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    if check and result.returncode != 0:
        raise LabError("command failed: %s\n%s" % (" ".join(args), result.stderr.strip()))
    return result.stdout if capture else result.returncode


def existing_namespaces():
    out = run("ip", "netns", "list", capture=True)
    return {line.split()[0] for line in out.splitlines() if line.strip()}


# ----------------------------------------------------------------------------------------- planning
def expose_checkout():
    """This checkout importable as ansible_collections.ses_evolution.firewall (tests/collection_path.py)."""
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    try:
        import collection_path  # pylint: disable=import-outside-toplevel
    finally:
        sys.path.pop(0)
    return collection_path.expose(ROOT)


def _import_engine():
    """Import the collection's matrix engine from this checkout (no Ansible needed)."""
    expose_checkout()
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.matrix import compute_matrix
    return compute_matrix


def read_inventory(path):
    """(groups, hostvars) as Ansible sees them, group variables merged into each host."""
    if not os.path.exists(path):
        raise LabError("inventory %s not found" % path)
    out = subprocess.run(["ansible-inventory", "-i", path, "--list"], check=False, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if out.returncode != 0:
        raise LabError("ansible-inventory -i %s --list failed:\n%s" % (path, out.stderr.strip()))
    data = json.loads(out.stdout)
    hostvars = data.get("_meta", {}).get("hostvars", {})
    groups = {}

    def walk(group):
        hosts = set(data.get(group, {}).get("hosts", []))
        for child in data.get(group, {}).get("children", []):
            hosts |= walk(child)
        groups[group] = sorted(hosts)
        return hosts

    walk("all")
    for name in data:
        if name != "_meta" and name not in groups:
            walk(name)
    for name in groups["all"]:
        hostvars.setdefault(name, {})
    return groups, hostvars


def plan(inventory, prefix):
    """The lab of an inventory: per host its namespace, address and listening ports."""
    groups, hostvars = read_inventory(inventory)
    fleet_vars = next(iter(hostvars.values()), {}) if hostvars else {}
    compute_matrix = _import_engine()
    try:
        matrix = compute_matrix(groups, hostvars, "migrate",
                                fleet_vars.get("ses_target_version", "2.7.1"), fleet_vars.get("ses_groups"))
    except ValueError as error:  # SesInputError: the message names the host and the fix
        raise LabError("the inventory is not a valid SES fleet:\n%s" % error) from error
    hosts = {}
    for name in sorted(groups["all"]):
        entry = matrix["hosts"].get(name)
        address = entry["address"] if entry else None
        if address is None:
            candidate = hostvars[name].get("ses_address") or hostvars[name].get("ansible_host")
            try:
                address = str(ipaddress.ip_address(str(candidate)))
            except ValueError:
                continue  # not a lab host: no address to give it
        if not HOST_PATTERN.match(name):
            raise LabError("host '%s': the lab needs inventory names made of letters, digits, '.', '_', '-'"
                           % name)
        listen = {"tcp": set(), "udp": set()}
        for rule in (entry or {}).get("rules", []):
            if rule["direction"] == "in":
                listen[rule["protocol"]].add(rule["port"])
        hosts[name] = {"namespace": prefix + name, "address": address,
                       "sshd": bool(hostvars[name].get("ses_lab_sshd", False)),
                       # The connection plugin of an sshd host: ssh, or another name for it (smart).
                       "connection": str(hostvars[name].get("ses_lab_connection", "ssh")),
                       "components": (entry or {}).get("components", []),
                       "tcp": sorted(listen["tcp"]), "udp": sorted(listen["udp"])}
    if not hosts:
        raise LabError("no host of %s has an IP address (ses_address or ansible_host)" % inventory)
    bridge = prefix + "br"
    if bridge in {host["namespace"] for host in hosts.values()}:
        raise LabError("a host named 'br' would share its namespace with the lab bridge; rename it")
    return {"prefix": prefix, "inventory": os.path.abspath(inventory), "bridge_namespace": bridge,
            "bridge": prefix + "br", "hosts": hosts}


# ----------------------------------------------------------------------------------------- building
def build_network(lab):
    bridge_ns, bridge = lab["bridge_namespace"], lab["bridge"]
    run("ip", "netns", "add", bridge_ns)
    run("ip", "-n", bridge_ns, "link", "set", "lo", "up")
    run("ip", "-n", bridge_ns, "link", "add", bridge, "type", "bridge")
    run("ip", "-n", bridge_ns, "link", "set", bridge, "up")
    hosts = lab["hosts"]
    for index, (name, host) in enumerate(sorted(hosts.items())):
        ns = host["namespace"]
        port = "%s%d" % (lab["prefix"], index)  # the bridge port, inside the bridge namespace
        host["bridge_port"] = port
        run("ip", "netns", "add", ns)
        run("ip", "-n", ns, "link", "set", "lo", "up")
        run("ip", "-n", bridge_ns, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns)
        run("ip", "-n", bridge_ns, "link", "set", port, "master", bridge, "up")
        address = ipaddress.ip_address(host["address"])
        if address.version == 6:
            run("ip", "-n", ns, "-6", "addr", "add", "%s/128" % address, "dev", "eth0", "nodad")
        else:
            run("ip", "-n", ns, "addr", "add", "%s/32" % address, "dev", "eth0")
        run("ip", "-n", ns, "link", "set", "eth0", "up")
        # Host routes only, to the other lab hosts: nothing else is reachable.
        for other_name, other in hosts.items():
            other_address = ipaddress.ip_address(other["address"])
            if other_name != name and other_address.version == address.version:
                family = "-6" if address.version == 6 else "-4"
                run("ip", "-n", ns, family, "route", "add", str(other_address), "dev", "eth0")


def start_listeners(lab, directory):
    python = sys.executable or shutil.which("python3")
    for name, host in sorted(lab["hosts"].items()):
        receipts = os.path.join(directory, "udp", name + ".log")
        open(receipts, "a", encoding="utf-8").close()
        host["udp_receipts"] = receipts
        if not host["tcp"] and not host["udp"]:
            continue
        log = open(os.path.join(directory, "log", name + ".log"), "a", encoding="utf-8")  # pylint: disable=consider-using-with
        process = subprocess.Popen(  # pylint: disable=consider-using-with
            ["ip", "netns", "exec", host["namespace"], python, os.path.join(HERE, "listener.py"),
             "--name", name, "--receipts", receipts,
             "--tcp", ",".join(str(p) for p in host["tcp"]), "--udp", ",".join(str(p) for p in host["udp"])],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
        log.close()
        host["listener_pid"] = process.pid
    time.sleep(0.3)
    for name, host in lab["hosts"].items():
        pid = host.get("listener_pid")
        if pid and not _alive(pid):
            raise LabError("the listener of %s died; see %s" % (name, os.path.join(directory, "log", name + ".log")))


SSH_OPTIONS = ("-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 "
               "-o ServerAliveInterval=5 -o ServerAliveCountMax=2 -o LogLevel=ERROR")
SSHD_CONFIG = """# sshd of the lab host %(name)s, generated by tests/lab/lab.py
ListenAddress %(address)s
Port 22
HostKey %(dir)s/host_key
PidFile %(dir)s/sshd-%(name)s.pid
AuthorizedKeysFile %(dir)s/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
LogLevel ERROR
"""


def start_sshd(lab, directory):
    """A real sshd in each host with ses_lab_sshd: true; one client key and one host key per lab."""
    hosts = [(name, host) for name, host in sorted(lab["hosts"].items()) if host["sshd"]]
    if not hosts:
        return
    sshd = shutil.which("sshd") or "/usr/sbin/sshd"
    if not os.path.exists(sshd) or not shutil.which("ssh-keygen"):
        raise LabError("hosts with ses_lab_sshd need openssh-server and ssh-keygen (apt-get install openssh-server)")
    keys = os.path.join(directory, "ssh")
    os.makedirs(keys, mode=0o700, exist_ok=True)
    for key in ("client_key", "host_key"):
        if not os.path.exists(os.path.join(keys, key)):
            run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ses-lab-" + key, "-f", os.path.join(keys, key))
    shutil.copyfile(os.path.join(keys, "client_key.pub"), os.path.join(keys, "authorized_keys"))
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd's privilege separation directory
    for name, host in hosts:
        config = os.path.join(keys, "sshd-%s.conf" % name)
        with open(config, "w", encoding="utf-8") as handle:
            handle.write(SSHD_CONFIG % {"name": name, "address": host["address"], "dir": keys})
        run("ip", "netns", "exec", host["namespace"], sshd, "-t", "-f", config)
        log = open(os.path.join(directory, "log", name + "-sshd.log"), "a", encoding="utf-8")  # pylint: disable=consider-using-with
        process = subprocess.Popen(  # pylint: disable=consider-using-with
            ["ip", "netns", "exec", host["namespace"], sshd, "-D", "-e", "-f", config],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
        log.close()
        host["sshd_pid"] = process.pid
    time.sleep(0.3)
    for name, host in hosts:
        if not _alive(host["sshd_pid"]):
            raise LabError("the sshd of %s died; see %s" % (name, os.path.join(directory, "log", name + "-sshd.log")))


def write_glue(lab, directory):
    """Interpreter wrappers and the inventory overlay that lets Ansible reach each namespace."""
    python = sys.executable or shutil.which("python3")
    lines = ["---", "# Generated by tests/lab/lab.py for the lab '%s'; rebuilt by every 'up'." % lab["prefix"],
             "# Use it after the lab's inventory: -i %s -i %s" % (lab["inventory"], os.path.join(directory, "inventory.yml")),
             "all:", "  hosts:"]
    for name, host in sorted(lab["hosts"].items()):
        wrapper = os.path.join(directory, "bin", name + "-python")
        with open(wrapper, "w", encoding="utf-8") as handle:
            handle.write('#!/bin/sh\n# Runs Ansible modules inside the lab host %s.\nexec ip netns exec %s %s "$@"\n'
                         % (name, host["namespace"], python))
        os.chmod(wrapper, 0o755)
        files = os.path.join(directory, "hosts", name)
        os.makedirs(files, exist_ok=True)
        if host["sshd"]:
            # Reached over a real SSH connection, from a lab host (Ansible runs in its namespace).
            connection = {
                "ansible_connection": host.get("connection", "ssh"),
                "ansible_host": host["address"],
                "ansible_user": "root",
                "ansible_ssh_private_key_file": os.path.join(directory, "ssh", "client_key"),
                "ansible_ssh_common_args": SSH_OPTIONS,
                "ansible_python_interpreter": python,
            }
        else:
            connection = {"ansible_connection": "local", "ansible_python_interpreter": wrapper}
        host_vars = dict(connection, **{
            "ses_lab_namespace": host["namespace"],
            "ses_verify_udp_receipts": [host["udp_receipts"]],
            # All namespaces share one filesystem: each host keeps its own persistence files,
            # and no boot service of the machine is touched.
            "linux_firewall_nftables_file": os.path.join(files, "nftables.d", "ses_evolution.nft"),
            "linux_firewall_nftables_conf": os.path.join(files, "nftables.conf"),
            "linux_firewall_iptables_rules_v4": os.path.join(files, "iptables", "rules.v4"),
            "linux_firewall_iptables_rules_v6": os.path.join(files, "iptables", "rules.v6"),
            "linux_firewall_state_dir": os.path.join(files, "state"),
            "linux_firewall_enable_service": False,
        })
        lines.append("    %s:" % name)
        lines.extend("      %s: %s" % (key, json.dumps(value)) for key, value in host_vars.items())
    with open(os.path.join(directory, "inventory.yml"), "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def save(lab, directory):
    temporary = os.path.join(directory, "lab.json.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(lab, handle, indent=1, sort_keys=True)
    os.replace(temporary, os.path.join(directory, "lab.json"))


def load(prefix):
    path = os.path.join(state_dir(prefix), "lab.json")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def up(inventory, prefix):
    lab = plan(inventory, prefix)
    down(prefix, quiet=True)
    clashes = existing_namespaces() & ({h["namespace"] for h in lab["hosts"].values()} | {lab["bridge_namespace"]})
    if clashes:
        raise LabError("namespaces %s exist but are not this lab's (no state in %s); pick another prefix"
                       % (", ".join(sorted(clashes)), state_dir(prefix)))
    directory = state_dir(prefix)
    for sub in ("", "bin", "udp", "log", "hosts"):
        os.makedirs(os.path.join(directory, sub), exist_ok=True)
    save(lab, directory)  # first: a crash from here on leaves enough for 'down'
    build_network(lab)
    save(lab, directory)
    start_listeners(lab, directory)
    start_sshd(lab, directory)
    write_glue(lab, directory)
    save(lab, directory)
    print("lab %s up: %d hosts, state in %s" % (prefix, len(lab["hosts"]), directory))
    print("inventories: -i %s -i %s" % (lab["inventory"], os.path.join(directory, "inventory.yml")))
    return lab


# ----------------------------------------------------------------------------------------- tearing down
def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open("/proc/%d/stat" % pid, encoding="utf-8") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _namespace_pids(namespace):
    out = run("ip", "netns", "pids", namespace, check=False, capture=True) or ""
    return [int(pid) for pid in out.split() if pid.isdigit() and int(pid) != os.getpid()]


def kill_namespace(namespace):
    """Kill what runs in the namespace (it would keep it alive), then delete it."""
    for sig, wait in ((signal.SIGTERM, 2.0), (signal.SIGKILL, 2.0)):
        pids = _namespace_pids(namespace)
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
            time.sleep(0.05)
    run("ip", "netns", "del", namespace, check=False)


def down(prefix, quiet=False):
    lab = load(prefix)
    directory = state_dir(prefix)
    if lab is None:
        if not quiet:
            print("lab %s: no state in %s, nothing to tear down" % (prefix, directory))
        return
    present = existing_namespaces()
    hosts = lab.get("hosts", {}).values()
    for namespace in [host["namespace"] for host in hosts] + [lab["bridge_namespace"]]:
        if namespace in present:
            kill_namespace(namespace)
    for host in hosts:  # a listener or sshd whose namespace was already gone
        for pid in (host.get("listener_pid"), host.get("sshd_pid")):
            if pid and _alive(pid):
                os.kill(pid, signal.SIGKILL)
    shutil.rmtree(directory, ignore_errors=True)
    if not quiet:
        print("lab %s down" % prefix)


def status(prefix):
    lab = load(prefix)
    if lab is None:
        print("lab %s: not up (no state in %s)" % (prefix, state_dir(prefix)))
        return 1
    present = existing_namespaces()
    broken = 0
    print("lab %s from %s (bridge namespace %s: %s)"
          % (prefix, lab["inventory"], lab["bridge_namespace"],
             "up" if lab["bridge_namespace"] in present else "MISSING"))
    print("%-12s %-22s %-16s %-9s %s" % ("host", "namespace", "address", "listener", "ports"))
    for name, host in sorted(lab["hosts"].items()):
        pid = host.get("listener_pid")
        listener = "-" if not pid else ("pid %d" % pid if _alive(pid) else "DEAD")
        ports = ["tcp/%d" % p for p in host["tcp"]] + ["udp/%d" % p for p in host["udp"]]
        if host.get("sshd_pid"):
            ports.append("sshd:22 (%s)" % ("pid %d" % host["sshd_pid"] if _alive(host["sshd_pid"]) else "DEAD"))
            broken += not _alive(host["sshd_pid"])
        state = host["namespace"] if host["namespace"] in present else host["namespace"] + " MISSING"
        broken += host["namespace"] not in present or listener == "DEAD"
        print("%-12s %-22s %-16s %-9s %s" % (name, state, host["address"], listener, " ".join(ports) or "-"))
    print("inventories: -i %s -i %s" % (lab["inventory"], os.path.join(state_dir(prefix), "inventory.yml")))
    return 1 if broken else 0


def _prefix(value):
    if not PREFIX_PATTERN.match(value):
        raise argparse.ArgumentTypeError("prefix %r: use 1-10 lowercase letters, digits or '-', "
                                         "starting with a letter (e.g. lab-)" % value)
    return value


def main(argv=None):
    parser = argparse.ArgumentParser(prog="lab.py", description=__doc__.split("\n\n", maxsplit=1)[0])
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("up", help="build the lab of an inventory (tears down a previous one first)")
    command.add_argument("inventory")
    command.add_argument("prefix", nargs="?", default=DEFAULT_PREFIX, type=_prefix)
    for name, text in (("down", "tear the lab down"), ("status", "show the lab")):
        command = commands.add_parser(name, help=text)
        command.add_argument("prefix", nargs="?", default=DEFAULT_PREFIX, type=_prefix)
    command = commands.add_parser("state-dir", help="print the lab's state directory")
    command.add_argument("prefix", nargs="?", default=DEFAULT_PREFIX, type=_prefix)
    args = parser.parse_args(argv)
    if args.command == "state-dir":
        print(state_dir(args.prefix))
        return 0
    if os.geteuid() != 0:
        print("lab.py: network namespaces need root", file=sys.stderr)
        return 2
    try:
        if args.command == "up":
            up(args.inventory, args.prefix)
        elif args.command == "down":
            down(args.prefix)
        else:
            return status(args.prefix)
    except LabError as error:
        print("lab.py: %s" % error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
