# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared Linux options are documented once (doc fragment linux_management) and still validated."""

from __future__ import annotations

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.ses_evolution.firewall.plugins.doc_fragments.linux_management import ModuleDocFragment
from ansible_collections.ses_evolution.firewall.plugins.filter import iptables_restore, nftables_ruleset
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import with_fragments

__metaclass__ = type

SHARED = set(yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"])
FILTERS = {"nftables_ruleset": nftables_ruleset, "iptables_restore": iptables_restore}


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_the_shared_options_are_written_only_in_the_fragment(name):
    own = yaml.safe_load(FILTERS[name].DOCUMENTATION)
    assert own["extends_documentation_fragment"] == ["ses_evolution.firewall.linux_management"]
    assert not SHARED & set(own["options"])  # not repeated in the filter
    assert SHARED <= set(FILTERS[name]._DOC.spec)  # yet validated


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_a_shared_option_is_converted_and_checked(name):
    function = getattr(FILTERS[name], name)
    text = function([], management_sources=["10.0.0.5"], management_port="2222")
    assert "2222" in text
    with pytest.raises(AnsibleFilterError, match="management_port"):
        function([], management_sources=["10.0.0.5"], management_port="ssh")


def test_only_the_collections_own_fragments_are_read():
    with pytest.raises(ValueError, match="only the collection's own fragments"):
        with_fragments({"extends_documentation_fragment": ["ansible.builtin.files"], "options": {}})
