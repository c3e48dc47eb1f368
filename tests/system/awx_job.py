# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A job as AWX / Automation Platform runs it: a private data directory, run by ansible-runner.

AWX writes a private data directory (``inventory/``, ``env/extravars``,
``env/envvars``, ``project/`` with the project's playbooks) and hands it to
ansible-runner's Python API (``ansible_runner.run(private_data_dir=..., playbook=...)``);
the job's status, return code, events and ``set_stats`` data come back from the
artifacts runner writes. ansible-runner lives in the suite's tools environment
(``SES_TOOLS_BIN``, requirements-tools.txt), not in the controller's interpreter, so
the tests call this file as a script with the tools' Python; the functions that
write the directory and read the artifacts run in the test's interpreter.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOLS_PYTHON = os.path.join(os.environ.get("SES_TOOLS_BIN", ""), "python")
PROJECT = os.path.join(ROOT, "extensions", "awx", "project")
SURVEYS = os.path.join(ROOT, "extensions", "awx", "surveys")


def runner_available():
    """True when the tools' Python can import ansible_runner."""
    if not os.access(TOOLS_PYTHON, os.X_OK):
        return False
    return subprocess.run([TOOLS_PYTHON, "-c", "import ansible_runner"], check=False,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0


def survey_extravars(name, answers=None):
    """The extra variables AWX passes for a launch of a job template with the survey
    extensions/awx/surveys/NAME.json: each question's answer, else its default.

    Checks the answers as AWX does before it launches (a multiple choice answer among
    the choices, a required question answered, a text within its length), so a survey
    file whose variable names or choices the playbooks do not accept fails the test
    that uses it. AWX passes every answer of these surveys as a string."""
    with open(os.path.join(SURVEYS, name + ".json"), encoding="utf-8") as handle:
        survey = json.load(handle)
    answers = dict(answers or {})
    extravars = {}
    for question in survey["spec"]:
        variable = question["variable"]
        value = answers.pop(variable, question.get("default", ""))
        if question["type"] == "multiplechoice":
            assert value in question["choices"], "%s: %r is not one of %s" % (variable, value, question["choices"])
        elif question["type"] == "text":
            assert question.get("min", 0) <= len(value) <= question.get("max", 1024), variable
        if question.get("required") and value == "":
            raise AssertionError("%s: the survey requires an answer" % variable)
        # AWX leaves out an optional text question answered with nothing.
        if value != "" or question.get("required"):
            extravars[variable] = value
    assert not answers, "no question of the survey %s sets %s" % (name, sorted(answers))
    return extravars


def private_data_dir(path, inventories, extravars, envvars=None):
    """Write a private data directory as AWX does: the project, the inventory files (in this
    order: later files win, as with several -i), env/extravars and env/envvars."""
    path = str(path)
    shutil.copytree(PROJECT, os.path.join(path, "project"))
    os.makedirs(os.path.join(path, "inventory"))
    for index, inventory in enumerate(inventories):
        shutil.copy2(str(inventory), os.path.join(path, "inventory", "%02d_%s" % (index, os.path.basename(str(inventory)))))
    os.makedirs(os.path.join(path, "env"))
    environment = {"ANSIBLE_COLLECTIONS_PATH": os.environ.get("ANSIBLE_COLLECTIONS_PATH", ""),
                   "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"}
    environment.update(envvars or {})
    # JSON is YAML: runner reads both files as YAML.
    with open(os.path.join(path, "env", "extravars"), "w", encoding="utf-8") as handle:
        json.dump(extravars, handle)
    with open(os.path.join(path, "env", "envvars"), "w", encoding="utf-8") as handle:
        json.dump(environment, handle)
    return path


class Job:
    """What AWX reads back from a job: status, rc, the events and the set_stats data."""

    def __init__(self, private, ident, api):
        artifacts = os.path.join(private, "artifacts", ident)
        with open(os.path.join(artifacts, "status"), encoding="utf-8") as handle:
            self.status = handle.read().strip()
        with open(os.path.join(artifacts, "rc"), encoding="utf-8") as handle:
            self.rc = int(handle.read().strip())
        with open(os.path.join(artifacts, "stdout"), encoding="utf-8") as handle:
            self.stdout = handle.read()
        self.api = api  # what ansible_runner.run returned: status, rc, stats
        self.events = []
        directory = os.path.join(artifacts, "job_events")
        for name in os.listdir(directory):
            with open(os.path.join(directory, name), encoding="utf-8") as handle:
                self.events.append(json.load(handle))
        self.events.sort(key=lambda event: event["counter"])
        stats = [event for event in self.events if event.get("event") == "playbook_on_stats"]
        self.stats = stats[-1]["event_data"] if stats else None

    def by_task(self, event, task):
        """{host: event_data} of the events of this kind for the task named ``task``."""
        return {item["event_data"]["host"]: item["event_data"] for item in self.events
                if item.get("event") == event and item["event_data"].get("task") == task}

    def __repr__(self):
        return "status=%s rc=%d\n%s" % (self.status, self.rc, self.stdout[-6000:])


def run_job(private, playbook, ident="job1", forks=5, cmdline=None, timeout=600):
    """ansible_runner.run on the private data directory, in the tools' Python; the artifacts, read back.
    ``cmdline``: the arguments AWX adds from the job template (--check for the job type Check,
    --diff for "Show changes")."""
    request = json.dumps({"private_data_dir": str(private), "playbook": playbook, "ident": ident, "forks": forks,
                          "cmdline": cmdline})
    done = subprocess.run([TOOLS_PYTHON, os.path.abspath(__file__)], input=request, text=True, check=False,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    assert done.returncode == 0, done.stderr
    return Job(str(private), ident, json.loads(done.stdout.splitlines()[-1]))


def _main():
    """Run one job with ansible-runner's Python API (the tools' Python); print status, rc and stats as JSON."""
    import ansible_runner  # pylint: disable=import-outside-toplevel,import-error

    request = json.load(sys.stdin)
    runner = ansible_runner.run(private_data_dir=request["private_data_dir"], playbook=request["playbook"],
                                ident=request["ident"], forks=request["forks"], cmdline=request["cmdline"],
                                quiet=True)
    print(json.dumps({"status": runner.status, "rc": runner.rc, "stats": runner.stats}))


if __name__ == "__main__":
    _main()
