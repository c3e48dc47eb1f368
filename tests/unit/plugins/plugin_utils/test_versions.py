# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SES version strings: parsing, ordering, and the refusal of YAML floats."""

from __future__ import annotations

import pytest

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.versions import (
    describe_bad_version, parse_version)

__metaclass__ = type


@pytest.mark.parametrize("text, parsed", [
    ("2.6.3", (2, 6, 3, 0)),
    ("2.7.1", (2, 7, 1, 0)),
    ("2.7.1.1204", (2, 7, 1, 1204)),
    ("2.10", (2, 10, 0, 0)),
    ("2", (2, 0, 0, 0)),
    (" 2.7.1 ", (2, 7, 1, 0)),
    ("v2.7.1", (2, 7, 1, 0)),
    (3, (3, 0, 0, 0)),
])
def test_parse(text, parsed):
    assert parse_version(text) == parsed


@pytest.mark.parametrize("value", [
    2.7, 2.10, 2.0,                   # YAML floats: 2.10 has already become 2.1
    True, False, None, [2, 7, 1], {"major": 2},
    "", "latest", "2.x", "2.7.1-rc1", "2..7", ".2.7", "2.7.", "2.7.1.1204.5", "2,7,1",
])
def test_refused(value):
    assert parse_version(value) is None


@pytest.mark.parametrize("older, newer", [
    ("2.9", "2.10"),                  # numeric, not lexical
    ("2.6.3", "2.7.1"),
    ("2.7", "2.7.1"),
    ("2.7.0", "2.7.1"),
    ("2.7.1", "2.7.1.1204"),
    ("2.7.1.1204", "2.7.2"),
    ("2.7.9", "2.10.0"),
    ("2.99", "3.0"),
])
def test_order(older, newer):
    assert parse_version(older) < parse_version(newer)


def test_trailing_zeros_are_the_same_version():
    assert parse_version("2.7.1") == parse_version("2.7.1.0") == parse_version("v2.7.1")


def test_float_message_explains_yaml_and_says_quote():
    message = describe_bad_version(2.1, "host 'con1'", "ses_version")
    assert "host 'con1'" in message and "ses_version" in message and "2.1" in message
    assert "2.10 reads as 2.1" in message and "quote it" in message


def test_text_message_names_the_value_and_the_form():
    message = describe_bad_version("latest", "host 'bo1'", "ses_version")
    assert "host 'bo1'" in message and "'latest'" in message and "\"2.7.1\"" in message
