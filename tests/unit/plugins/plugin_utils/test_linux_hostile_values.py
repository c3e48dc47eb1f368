# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hostile and mistaken values fed to everything that reaches the Linux rule sets or the host.

Property-based (hypothesis): quotes, ``$()``, backticks, ``;``, newlines,
braces, ``#``, unicode and very long strings go into host names, group names,
nft table and chain names, paths, booleans and raw statements. Each value is
either refused with an error naming its variable, or yields a rule set that
``nft -c`` / ``iptables-restore --test`` accept, in which the value is absent
(host names: peers are addresses) or cannot leave its chain (raw statements).
Where nft is at hand (root, a scratch network namespace), the rule sets are
checked and loaded for real.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import string
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.ses_evolution.firewall.plugins.modules import linux_ruleset
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import connections, linux_options, linux_rules
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import SesInputError
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.linux_options import BOOLEANS, check_options
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.matrix import compute_matrix
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.render_iptables import render_iptables
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.render_nftables import render_nftables

__metaclass__ = type

FRAGMENTS = ['"', "'", "`", "$(", ")", ";", "\n", "\r", "{", "}", "#", "\\", " ", "&&", "|", ">", "*", "é", "\u2028",
             "\x00", "flush ruleset", "touch /tmp/pwned", "-A INPUT", "COMMIT", "*nat", "..", "/", "policy accept",
             "table inet x", "tcp dport 80 accept", "-p tcp -j ACCEPT", "${IFS}", "%s", "-"]
HOSTILE = st.one_of(
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(alphabet=string.ascii_letters, max_size=4)),
             min_size=1, max_size=10).map("".join),
    st.text(max_size=30),
    st.text(alphabet=string.ascii_letters + "$;`\"'{}#\n", min_size=200, max_size=2000),
)
DEFAULTS = {
    "linux_firewall_backend": "nftables", "linux_firewall_filter_outbound": False, "linux_firewall_allow_icmp": True,
    "linux_firewall_management_port": 22, "linux_firewall_management_sources": None,
    "linux_firewall_connection_remote": None, "linux_firewall_nftables_mode": "standalone",
    "linux_firewall_nftables_table": "ses_evolution", "linux_firewall_nftables_jump_from": None,
    "linux_firewall_nftables_jump_from_output": None, "linux_firewall_conflict_action": "warn",
    "linux_firewall_iptables_final_drop": True, "linux_firewall_extra_input": [], "linux_firewall_extra_output": [],
    "linux_firewall_persist": True, "linux_firewall_nftables_file": "/etc/nftables.d/ses_evolution.nft",
    "linux_firewall_nftables_conf": "/etc/nftables.conf", "linux_firewall_iptables_rules_v4": "/etc/iptables/rules.v4",
    "linux_firewall_iptables_rules_v6": "/etc/iptables/rules.v6", "linux_firewall_enable_service": True,
    "linux_firewall_install_packages": True,
    "linux_firewall_state_dir": "/var/lib/ses_evolution_firewall", "linux_firewall_rollback_timeout": 90,
    "linux_firewall_confirm_timeout": 30, "linux_firewall_confirm_port": None, "ansible_connection": "ssh",
    "ansible_port": 22,
}
RULES = [{"name": "in_console_to_backend_tcp8443_new", "direction": "in", "protocol": "tcp", "port": 8443,
          "peers": ["10.0.0.21/32"]}]
# Characters no accepted name or path may hold: they mean something to a shell, to nft or end a line.
_META = re.compile(r"[\s\"'`$;{}#\\|&<>()*\x00-\x1f\x7f]")


def options(**changes):
    raw = dict(DEFAULTS)
    raw.update(changes)
    return check_options(raw)


def refused_naming(variable, **changes):
    with pytest.raises(SesInputError) as error:
        options(**changes)
    assert variable in str(error.value)
    return str(error.value)


def nft_available():
    return os.geteuid() == 0 and bool(shutil.which("nft")) and bool(shutil.which("unshare"))


def in_scratch_namespace(script, stdin):
    """Runs ``script`` (sh) in a new, empty network namespace; (returncode, stdout, stderr)."""
    result = subprocess.run(["unshare", "--net", "sh", "-c", script], input=stdin, text=True, capture_output=True,
                            check=False, timeout=60)
    return result.returncode, result.stdout, result.stderr


# ---------------------------------------------------------------- booleans and the connection decision
@pytest.mark.parametrize("name", BOOLEANS)
@pytest.mark.parametrize("typed, meaning", [("false", False), ("False", False), ("no", False), ("0", False),
                                            ("off", False), ("n", False), (0, False), (False, False),
                                            ("true", True), ("yes", True), ("ON", True), ("1", True), (True, True)])
def test_booleans_as_typed_with_extra_vars(name, typed, meaning):
    assert options(**{"linux_firewall_" + name: typed})[name] is meaning


@pytest.mark.parametrize("name", BOOLEANS + ("connection_remote",))
@pytest.mark.parametrize("typed", ["maybe", "", "2", "truee", "nope", 2, [], {}])
def test_booleans_refuse_anything_else(name, typed):
    message = refused_naming("linux_firewall_" + name, **{"linux_firewall_" + name: typed})
    assert "true/false" in message


@pytest.mark.parametrize("connection", ["local", "ansible.builtin.local"])
def test_only_local_is_local(connection):
    assert options(ansible_connection=connection)["remote"] is False
    assert connections.is_remote(connection) is False


@given(st.text(max_size=40))
def test_every_other_connection_is_remote(connection):
    """smart, ssh, paramiko, FQCN forms, unknown plugins, unset: all can be cut by the host's filter."""
    expected = connection.strip() not in ("local", "ansible.builtin.local")
    assert connections.is_remote(connection) is expected
    for name in ("smart", "ssh", "paramiko", "ansible.builtin.ssh", "ansible.builtin.paramiko_ssh",
                 "community.docker.docker", None, ""):
        assert options(ansible_connection=name)["remote"] is True


def test_the_override_still_wins():
    assert options(ansible_connection="smart", linux_firewall_connection_remote="false")["remote"] is False
    assert options(ansible_connection="local", linux_firewall_connection_remote="yes")["remote"] is True


@pytest.mark.parametrize("variable, typed, meaning", [
    ("management_port", "2222", 2222), ("rollback_timeout", "120", 120), ("confirm_port", "none", None),
    ("confirm_port", "443", 443)])
def test_integers_as_typed_with_extra_vars(variable, typed, meaning):
    assert options(**{"linux_firewall_" + variable: typed})[variable] == meaning


@pytest.mark.parametrize("variable, typed", [("management_port", "22; reboot"), ("management_port", 0),
                                             ("management_port", "65536"), ("rollback_timeout", "1e3"),
                                             ("confirm_port", True), ("rollback_timeout", 4)])
def test_integers_refuse_anything_else(variable, typed):
    refused_naming("linux_firewall_" + variable, **{"linux_firewall_" + variable: typed})


def test_a_lone_string_is_not_a_list():
    refused_naming("linux_firewall_extra_input", linux_firewall_extra_input="tcp dport 80 accept")
    refused_naming("linux_firewall_management_sources", linux_firewall_management_sources="10.0.0.0/8")


# ---------------------------------------------------------------- names and paths
@given(HOSTILE)
@settings(max_examples=300)
def test_hostile_nft_names_are_refused_or_plain(value):
    for variable, changes in (
            ("linux_firewall_nftables_table", {"linux_firewall_nftables_table": value}),
            ("linux_firewall_nftables_jump_from", {"linux_firewall_nftables_mode": "integrate",
                                                   "linux_firewall_nftables_jump_from": "inet filter " + value}),
            ("linux_firewall_nftables_jump_from", {"linux_firewall_nftables_mode": "integrate",
                                                   "linux_firewall_nftables_jump_from": "inet " + value + " input"})):
        try:
            checked = options(**changes)
        except SesInputError as exc:
            assert variable in str(exc)
            continue
        for name in [checked["nftables_table"]] + checked["nft_chains"] + checked["nft_bases"]:
            assert not _META.search(name.replace(" ", "")), name
            # The host re-checks with its own copy of the syntax: both must agree.
            for part in name.split(" ")[1:]:
                assert linux_ruleset._IDENTIFIER.match(part)


@given(HOSTILE)
@settings(max_examples=300)
def test_hostile_paths_are_refused_or_plain(value):
    for name in ("state_dir", "nftables_file", "nftables_conf", "iptables_rules_v4", "iptables_rules_v6"):
        for candidate in (value, "/etc/" + value):
            try:
                checked = options(**{"linux_firewall_" + name: candidate})
            except SesInputError as exc:
                assert "linux_firewall_" + name in str(exc)
                continue
            assert not _META.search(checked[name]) and checked[name].startswith("/")
            assert ".." not in checked[name].split("/")


@given(st.text(max_size=30))
def test_the_host_and_the_controller_agree_on_nft_names(value):
    assert bool(linux_ruleset._IDENTIFIER.match(value)) == bool(linux_rules._NFT_IDENTIFIER.match(value))
    assert bool(linux_ruleset._TABLE.match(value)) == bool(linux_rules._NFT_TABLE.match(value))
    assert linux_ruleset._PATH.pattern == linux_options._PATH.pattern


# ---------------------------------------------------------------- raw statements
STATEMENT = st.one_of(HOSTILE, st.lists(st.sampled_from(
    ["tcp", "udp", "dport", "80", "accept", "drop", "{", "}", ";", "\n", '"', "comment", "flush", "ruleset",
     "ip", "saddr", "10.0.0.0/8", "table", "chain", "policy", "jump", "input", "counter", "#", ","]),
    min_size=1, max_size=12).map(" ".join))


@given(STATEMENT)
@settings(max_examples=200)
def test_hostile_raw_statements_are_refused_or_stay_one_statement(statement):
    for backend in ("nftables", "iptables"):
        try:
            options(linux_firewall_backend=backend, linux_firewall_extra_input=[statement])
        except SesInputError as exc:
            assert "linux_firewall_extra_input[0]" in str(exc)
            continue
        assert "\n" not in statement and "\r" not in statement
        rendered = (render_nftables(RULES, extra_input=[statement]) if backend == "nftables"
                    else render_iptables(RULES, extra_input=[statement]))
        # The statement stays on the one line it was given, a rule of our input chain.
        line = statement.strip() if backend == "nftables" else "-A SES_IN " + statement.strip()
        assert [text.strip() for text in rendered.splitlines()].count(line) == 1


@pytest.mark.skipif(not nft_available(), reason="needs root, nft and unshare")
@given(STATEMENT)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_an_accepted_raw_statement_cannot_touch_another_table(statement):
    """Loaded for real next to another table: either nft refuses it, or only our chain changes."""
    try:
        script = render_nftables(RULES, extra_input=[statement])
    except SesInputError:
        return
    other = "table inet lf_other {\n chain c {\n  type filter hook input priority 10; policy accept;\n }\n}\n"
    code, out, _err = in_scratch_namespace('nft -f /dev/fd/3 3<<"EOF"\n%sEOF\nnft -f - && nft -j list ruleset'
                                           % other, script)
    if code != 0:
        return  # nft refused the script: on a host the role stops there, nothing changed
    objects = json.loads(out)["nftables"]
    tables = sorted((item["table"]["family"], item["table"]["name"]) for item in objects if "table" in item)
    assert tables == [("inet", "lf_other"), ("inet", "ses_evolution")]
    chains = {(item["chain"]["table"], item["chain"]["name"]): item["chain"] for item in objects if "chain" in item}
    assert chains[("ses_evolution", "input")]["policy"] == "drop"
    assert chains[("lf_other", "c")]["policy"] == "accept"


# ---------------------------------------------------------------- the whole pipeline, hostile inventory names
def _fleet(names, group_suffix):
    """A fleet whose host names are ``names``: a co-located backend, an agent handler, a console, agents."""
    backend, handler, console = names[0], names[1], names[2]
    agents = names[3:]
    groups = {"all": list(names), "ses_backends": [backend], "ses_agent_handlers": [backend, handler],
              "ses_consoles": [console], "ses_agents": agents, "ungrouped": []}
    if group_suffix:
        groups["lab_" + group_suffix] = [console]
    hostvars = {}
    for index, name in enumerate(names):
        hostvars[name] = {"ses_address": str(ipaddress.ip_address("10.9.0.10") + index), "ses_version": "2.6.3",
                          "inventory_hostname": name}
    return groups, hostvars


@given(st.lists(HOSTILE.filter(lambda name: name.strip() != "" and "\x00" not in name), min_size=4, max_size=6,
                unique=True), st.text(alphabet=string.ascii_letters + "$;`\"'{}# ", max_size=12))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_hostile_host_names_never_reach_a_rule_set(names, group_suffix):
    """The rule sets of a fleet with hostile names are those of the same fleet with plain names."""
    groups, hostvars = _fleet(names, group_suffix)
    try:
        matrix = compute_matrix(groups, hostvars, phase="migrate")
    except SesInputError as exc:
        assert any(name in str(exc) or repr(name)[1:-1] in str(exc) for name in names), str(exc)
        return
    plain = ["h%d" % index for index in range(len(names))]
    plain_matrix = compute_matrix(*_fleet(plain, group_suffix), phase="migrate")
    for name, plain_name in zip(names, plain):
        rules, plain_rules = matrix["hosts"][name]["rules"], plain_matrix["hosts"][plain_name]["rules"]
        assert render_nftables(rules, management_sources=["10.9.0.1"]) == \
            render_nftables(plain_rules, management_sources=["10.9.0.1"])
        assert render_iptables(rules, management_sources=["10.9.0.1"]) == \
            render_iptables(plain_rules, management_sources=["10.9.0.1"])


@pytest.mark.skipif(not nft_available() or not shutil.which("iptables-restore"),
                    reason="needs root, nft, iptables-restore and unshare")
@given(st.lists(HOSTILE.filter(lambda name: name.strip() != "" and "\x00" not in name), min_size=4, max_size=5,
                unique=True))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_hostile_host_names_render_rule_sets_the_kernel_accepts(names):
    groups, hostvars = _fleet(names, "")
    try:
        matrix = compute_matrix(groups, hostvars, phase="migrate")
    except SesInputError:
        return
    entry = matrix["hosts"][names[0]]
    code, _out, err = in_scratch_namespace("nft -c -f -", render_nftables(entry["rules"], management_sources=["any"]))
    assert code == 0, err
    code, _out, err = in_scratch_namespace("iptables-restore --test",
                                           render_iptables(entry["rules"], management_sources=["any"]))
    assert code == 0, err


# ---------------------------------------------------------------- rule names
def test_a_rule_name_with_a_trailing_newline_is_refused():
    """'$' in a Python pattern matches before a final newline: the name checks must not."""
    for name in ("in_a_tcp443_new\n", "in_a_tcp443_new\n-A INPUT -j ACCEPT"):
        with pytest.raises(SesInputError, match="name must be"):
            linux_rules.check_rules([dict(RULES[0], name=name)])


@given(HOSTILE)
@settings(max_examples=300)
def test_hostile_rule_names_are_refused_or_plain(name):
    try:
        render_iptables([dict(RULES[0], name=name)])
    except SesInputError as exc:
        assert "linux_firewall_rules[0]" in str(exc)
        return
    assert not _META.search(name)


def test_the_host_and_the_controller_share_the_markers():
    """The module runs on the host and cannot import plugin_utils: its copies must stay equal."""
    assert linux_ruleset.MARKER == linux_rules.PROBE_MARKER
    assert linux_ruleset.JUMP_COMMENT == linux_rules.JUMP_COMMENT
    assert linux_ruleset.FINGERPRINT_PREFIX == linux_rules.FINGERPRINT_PREFIX


# ---------------------------------------------------------------- packages installed when the tools are missing
@pytest.mark.parametrize("backend, packages", [("nftables", ["nftables"]), ("iptables", ["iptables"])])
def test_each_backend_names_the_package_that_ships_its_tools(backend, packages):
    # Debian, Ubuntu, RHEL, SUSE and Alpine all name them so; the module's TOOLS come from these packages.
    assert options(linux_firewall_backend=backend)["packages"] == packages
    assert set(linux_ruleset.TOOLS) == {"nftables", "iptables"}


def test_package_installation_is_on_by_default_and_a_strict_boolean():
    assert options()["install_packages"] is True
    assert options(linux_firewall_install_packages="no")["install_packages"] is False
    refused_naming("linux_firewall_install_packages", linux_firewall_install_packages="sometimes")
