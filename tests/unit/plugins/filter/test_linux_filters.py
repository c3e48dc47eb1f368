# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Linux filters as Ansible calls them: names, options, and errors as AnsibleFilterError.

The rule is the vendor's console-to-co-located-backend flow of 2.7.1: TCP 8443.
"""

from __future__ import annotations

import importlib
import os

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.ses_evolution.firewall.plugins.filter import iptables_restore as iptables_plugin
from ansible_collections.ses_evolution.firewall.plugins.filter import nftables_plan as nftables_plan_plugin
from ansible_collections.ses_evolution.firewall.plugins.filter import nftables_ruleset as nftables_plugin

__metaclass__ = type

RULE = {"name": "in_console_to_backend_tcp8443_new", "direction": "in", "protocol": "tcp", "port": 8443,
        "peers": ["10.77.0.21/32"], "purpose": "Communication of the administration console with the backend",
        "lifecycle": "new", "flow": "console_to_backend", "component": "backend", "peer_component": "console"}


FILTERS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "plugins", "filter")


@pytest.mark.parametrize("name", sorted(name[:-3] for name in os.listdir(FILTERS)
                                        if name.endswith(".py") and name != "__init__.py"))
def test_each_filter_file_holds_its_own_filter_only(name):
    """One filter a file, named as the file: ansible-doc shows a filter the page of the file it is in."""
    plugin = importlib.import_module("ansible_collections.ses_evolution.firewall.plugins.filter." + name)
    assert set(plugin.FilterModule().filters()) == {name}
    assert "name: %s\n" % name in plugin.DOCUMENTATION


def test_options_are_converted_and_checked_against_the_documentation():
    nft = nftables_plugin.FilterModule().filters()["nftables_ruleset"]
    assert "chain output" not in nft([RULE], filter_outbound="false")
    assert "chain output" in nft([RULE], filter_outbound="yes")
    with pytest.raises(AnsibleFilterError, match="filter_outbound"):
        nft([RULE], filter_outbound="maybe")


def test_nftables_ruleset_with_role_options():
    nft = nftables_plugin.FilterModule().filters()["nftables_ruleset"]
    script = nft([RULE], mode="standalone", filter_outbound=False, management_sources=None, management_port="22",
                 connection_client="", allow_icmp=True, extra_input=[], extra_output=[], table="ses_evolution",
                 jump_from=None, jump_from_output=None)
    assert 'ip saddr 10.77.0.21/32 tcp dport 8443 accept comment "in_console_to_backend_tcp8443_new"' in script


def test_iptables_restore_with_role_options():
    ipt = iptables_plugin.FilterModule().filters()["iptables_restore"]
    text = ipt([RULE], family="ipv4", final_drop=True, management_sources=["10.0.0.5"], management_port=22)
    assert ("-A SES_IN -s 10.77.0.21/32 -p tcp -m tcp --dport 8443 -m comment --comment "
            "in_console_to_backend_tcp8443_new -j ACCEPT") in text
    assert "-A SES_IN -s 10.0.0.5/32 -p tcp -m tcp --dport 22 -m comment --comment ses_management -j ACCEPT" in text


@pytest.mark.parametrize("plugin,name", [(nftables_plugin, "nftables_ruleset"), (iptables_plugin, "iptables_restore")])
def test_bad_rule_is_a_filter_error_naming_it(plugin, name):
    render = plugin.FilterModule().filters()[name]
    with pytest.raises(AnsibleFilterError, match=r"%s: linux_firewall_rules\[0\] \(in_x\): port must be" % name):
        render([dict(RULE, name="in_x", port="8443/tcp")])
    with pytest.raises(AnsibleFilterError, match="%s: " % name):
        render([RULE], no_such_option=True)


def test_plan_filter_errors_name_the_variable():
    plan = nftables_plan_plugin.FilterModule().filters()["nftables_plan"]
    with pytest.raises(AnsibleFilterError, match="linux_firewall_nftables_jump_from"):
        plan('{"nftables": []}', "", mode="integrate", jump_from="inet filter input")


def _linux_firewall_options():
    plugin = importlib.import_module("ansible_collections.ses_evolution.firewall.plugins.filter.linux_firewall_options")
    return plugin.FilterModule().filters()["linux_firewall_options"]


@pytest.mark.parametrize("args, kwargs, message", [
    # validated against the filter's own DOCUMENTATION, as the other filters are
    ((["linux_firewall_backend"],), {}, r"linux_firewall_options: .*_input.*dict"),
    (({},), {"backend": "nftables"}, r"linux_firewall_options: unknown option 'backend'"),
    (({}, "nftables"), {}, r"linux_firewall_options: takes 1 positional arguments"),
])
def test_linux_firewall_options_validates_its_arguments(args, kwargs, message):
    with pytest.raises(AnsibleFilterError, match=message):
        _linux_firewall_options()(*args, **kwargs)


def test_linux_firewall_options_still_converts_and_checks():
    with open(os.path.join(FILTERS, "..", "..", "roles", "linux_firewall", "defaults", "main.yml"),
              encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    raw.update(linux_firewall_filter_outbound="false", ansible_connection="ssh", ansible_port=22)
    options = _linux_firewall_options()(raw)
    assert options["filter_outbound"] is False and options["remote"] is True
    with pytest.raises(AnsibleFilterError, match="linux_firewall_filter_outbound"):
        _linux_firewall_options()({"linux_firewall_filter_outbound": "maybe"})
