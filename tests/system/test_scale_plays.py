# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Only the hosts with work enter the per-host plays (issue 15).

An inventory of a few unmanaged servers and a few hundred unmanaged agents
(tests/system/scale_fleet.py, the generator of bench/bench_fleet_scale.py): no
host gets work, so no inventory host other than localhost may appear in the
PLAY RECAP of ``migrate``, of the ``cleanup`` gate and dry run, or of ``verify``.
A host that entered a play shows up there even when all its tasks were skipped,
and every host that enters costs time host by host: on the 10,000 agents of a
real SES inventory that is the difference between seconds and hours.

Needs ansible-playbook with the collection installed (scripts/bootstrap.sh);
neither root nor the lab: no host is contacted.
"""

from __future__ import annotations

import pytest

import scale_fleet

__metaclass__ = type

AGENTS = 300
SERVERS = 10
TIMEOUT = 600


@pytest.fixture(scope="module", name="fleet")
def fleet_fixture(tmp_path_factory):
    """(inventory path, environment, working folder) of the unmanaged fleet."""
    env = scale_fleet.collection_env()
    if scale_fleet.which("ansible-playbook", env) is None:
        pytest.skip("needs ansible-playbook with the collection installed (scripts/bootstrap.sh)")
    workdir = tmp_path_factory.mktemp("scale_plays")
    inventory = workdir / "inventory.yml"
    hosts = scale_fleet.write_inventory(str(inventory), AGENTS, SERVERS)
    assert len(hosts) == AGENTS + SERVERS
    return str(inventory), env, str(workdir)


# name: (what shows that the run went through its matrix play and ended as it should, whatever the plays)
EXPECTED = {
    "migrate": "rc 0",
    "cleanup": "the gate refuses the mixed versions (rc 2, 'Cleanup refused'), before any change",
    "verify": "rc 0: nothing is managed, so nothing to listen on, probe or collect",
}


@pytest.mark.parametrize("name", [name for name, _extra in scale_fleet.PLAYBOOKS])
def test_only_hosts_with_work_enter_the_plays(fleet, name):
    inventory, env, workdir = fleet
    extra = dict(scale_fleet.PLAYBOOKS)[name]
    run = scale_fleet.playbook(name, inventory, env, workdir, "%s/%s.out" % (workdir, name), *extra,
                               timeout=TIMEOUT)
    assert not run.timed_out, "%s took more than %d s on %d hosts" % (name, TIMEOUT, AGENTS + SERVERS)
    text = run.text()
    recap = scale_fleet.recap_hosts(text)
    # Not a vacuous pass: the run went through its plays (an inventory or syntax error prints no recap) and,
    # for cleanup, through the gate's decision.
    assert "PLAY RECAP" in text, "%s printed no PLAY RECAP (expected %s):\n%s" % (name, EXPECTED[name], run.tail())
    if name == "cleanup":
        assert "Cleanup refused" in text, "expected %s:\n%s" % (EXPECTED[name], run.tail())

    # The cleanup gate's plays too: without --limit they run on localhost alone (a play on "all" would
    # cost a task's worth of time on every agent, seconds a task with 10,000 of them).
    entered = scale_fleet.play_hosts(text)
    assert not entered, (
        "%s: %d of the %d inventory hosts entered a play though none has work (%.1f s); first ones:\n%s"
        % (name, len(entered), AGENTS + SERVERS, run.seconds,
           "\n".join(recap[host] for host in entered[:10])))

    if name == "cleanup":
        assert run.rc == 2, "expected %s, got rc %s:\n%s" % (EXPECTED[name], run.rc, run.tail())
    else:
        assert run.rc == 0, "%s: expected %s, got rc %s:\n%s" % (name, EXPECTED[name], run.rc, run.tail())
