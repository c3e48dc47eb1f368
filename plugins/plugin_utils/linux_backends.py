# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The registry of Linux backends: each gives its renderer, its plan and the payloads the host side takes.

The linux_firewall role has one path whatever the backend: it renders with
``render()``, plans with ``plan()``, and hands the plan's ``apply_payload`` and
``commit_payload`` to the linux_ruleset module. A backend is one entry here.
"""

from __future__ import annotations

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import SesInputError
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.render_iptables import (
    combined, iptables_plan, render_iptables)
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.render_nftables import nftables_plan, render_nftables

__metaclass__ = type


def _common(options, client):
    """Render options both backends take, from the role's checked options (linux_options.check_options)."""
    return {"filter_outbound": options["filter_outbound"], "management_sources": options["management_sources"],
            "management_port": options["management_port"], "connection_client": client or "",
            "allow_icmp": options["allow_icmp"], "extra_input": options["extra_input"],
            "extra_output": options["extra_output"]}


def _nft_options(options):
    return {"mode": options["nftables_mode"], "table": options["nftables_table"],
            "jump_from": options["nftables_jump_from"], "jump_from_output": options["nftables_jump_from_output"],
            "filter_outbound": options["filter_outbound"]}


class Nftables:
    """Our table (standalone) or our chains plus a jump (integrate), in one ``nft -f`` transaction."""

    name = "nftables"
    stored_file = "applied.nft"
    # The package that ships nft, under this name on Debian, Ubuntu, RHEL, SUSE and Alpine.
    packages = ("nftables",)

    @staticmethod
    def render(rules, options, client):
        arguments = _common(options, client)
        arguments.update(_nft_options(options))
        script = render_nftables(rules, **arguments)
        return {"backend": "nftables", "text": script, "parts": {"script": script}}

    @staticmethod
    def plan(probe, desired, options):
        plan = nftables_plan(probe, desired["parts"]["script"], **_nft_options(options))
        plan["apply_payload"] = {"script": plan["apply"]}
        plan["commit_payload"] = {"desired": plan["desired"], "script": plan["desired"]}
        return plan


class Iptables:
    """Our chains SES_IN / SES_OUT of both families, loaded with iptables-restore --noflush."""

    name = "iptables"
    stored_file = "applied.iptables"
    # The package that ships iptables(-save/-restore) and ip6tables(-save/-restore).
    packages = ("iptables",)

    @staticmethod
    def render(rules, options, client):
        common = dict(_common(options, client), final_drop=options["iptables_final_drop"])
        v4, v6 = render_iptables(rules, "ipv4", **common), render_iptables(rules, "ipv6", **common)
        return {"backend": "iptables", "text": combined(v4, v6), "parts": {"v4": v4, "v6": v6}}

    @staticmethod
    def plan(probe, desired, options):
        plan = iptables_plan(probe, desired["parts"]["v4"], desired["parts"]["v6"],
                             filter_outbound=options["filter_outbound"])
        plan["apply_payload"] = {"v4": plan["apply_v4"], "v6": plan["apply_v6"]}
        plan["commit_payload"] = {"desired": plan["desired"], "v4": plan["rules_v4"], "v6": plan["rules_v6"]}
        return plan


BACKENDS = {backend.name: backend for backend in (Nftables, Iptables)}


def backend_of(options):
    try:
        return BACKENDS[options["backend"]]
    except KeyError:
        raise SesInputError(["linux_firewall_backend must be one of %s, got %r"
                             % (", ".join(sorted(BACKENDS)), options.get("backend"))])


def render(rules, options, client=None):
    """The desired rule set of the host: {"backend", "text" (all of it, for checks), "parts" (per file)}."""
    return backend_of(options).render(rules, options, client)


def plan(probe, desired, options):
    """What to do on the host: the backend's plan plus ``apply_payload``, ``commit_payload``, ``stored_file``."""
    backend = backend_of(options)
    if desired.get("backend") != backend.name:
        raise SesInputError(["the rendered rule set is for %s, the role runs %s: render and plan with the same "
                             "options" % (desired.get("backend"), backend.name)])
    result = backend.plan(probe, desired, options)
    result["stored_file"] = backend.stored_file
    return result
