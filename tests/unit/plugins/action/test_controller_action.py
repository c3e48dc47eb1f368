# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible_glue.ControllerAction, the validate-then-wrap base of the controller's action plugins.

A throw-away action plugin built on it runs under a real ansible-playbook (Ansible's own
argument validation, check mode and task results): a bad argument, an SesInputError, a
ValueError, an error that is not an input error, and check mode as agent_export,
cleanup_audit, drift_report, perimeter_export and handoff use them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import yaml

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import report
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import input_failure
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import SesInputError

__metaclass__ = type

COLLECTIONS_ROOT = os.path.abspath(os.path.join(os.path.dirname(report.__file__), *[os.pardir] * 5))

PLUGIN = '''
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.ansible_glue import ControllerAction
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.errors import SesInputError

DOCUMENTATION = """
module: glue_probe
options:
  fail_with: {type: str, choices: [nothing, ses, value, key], default: nothing}
  path: {type: path, required: true}
  count: {type: int, default: 1}
  flags: {type: list, elements: bool, default: []}
"""


class ActionModule(ControllerAction):
    DOCUMENTATION = DOCUMENTATION
    ERROR_PREFIX = "glue_probe: "

    def engine(self, args, task_vars, result):
        if args["fail_with"] == "ses":
            raise SesInputError(["host a: ses_version 'x' is not a version; set it as 2.7.1",
                                 "host b: no ses_address; set it"])
        if args["fail_with"] == "value":
            raise ValueError("mode 'rwx' is not an octal mode; set it as '0640'")
        if args["fail_with"] == "key":
            raise KeyError("a bug, not bad input")
        if not self.check_mode:
            with open(args["path"], "w") as handle:
                handle.write("written")
        result.setdefault("warnings", []).append("engine ran")
        return {"changed": not self.check_mode, "count": args["count"], "flags": args["flags"],
                "types": [type(args["count"]).__name__, type(args["path"]).__name__]}
'''


def _task(name, **args):
    return {"name": name, "glue_probe": dict({"path": "{{ out }}/" + name}, **args), "ignore_errors": True}


PLAYBOOK = [{"name": "glue", "hosts": "localhost", "gather_facts": False, "tasks": [
    _task("good", count="3", flags=["yes", "false"]),
    dict(_task("checked"), check_mode=True),
    _task("bad_type", count="many"),
    _task("bad_choice", fail_with="maybe"),
    _task("unknown_option", colour="red"),
    _task("ses", fail_with="ses"),
    _task("value", fail_with="value"),
    _task("key", fail_with="key"),
]}]


def _run(tmp_path):
    plugins = tmp_path / "action_plugins"
    plugins.mkdir()
    (plugins / "glue_probe.py").write_text(PLUGIN)
    (tmp_path / "playbook.yml").write_text(yaml.safe_dump(PLAYBOOK))
    out = tmp_path / "out"
    out.mkdir()
    # The collection under test first; the others (ansible.posix, behind the json callback) after it.
    paths = [COLLECTIONS_ROOT] + [path for path in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep)
                                  if path]
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.pathsep.join(paths), ANSIBLE_ACTION_PLUGINS=str(plugins),
               ANSIBLE_NOCOLOR="1", ANSIBLE_LOCAL_TEMP=str(tmp_path / ".ansible_tmp"),
               ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_LOCALHOST_WARNING="0",
               ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json")
    process = subprocess.run([sys.executable, "-m", "ansible.cli.playbook", "-i", "localhost,", "-c", "local",
                              str(tmp_path / "playbook.yml"),
                              "-e", json.dumps({"out": str(out), "ansible_python_interpreter": sys.executable})],
                             env=env, capture_output=True, text=True, timeout=300, check=False)
    assert process.returncode == 0, process.stdout + process.stderr
    tasks = json.loads(process.stdout)["plays"][0]["tasks"]
    return out, {task["task"]["name"]: task["hosts"]["localhost"] for task in tasks}


def test_controller_action(tmp_path):
    out, dump = _run(tmp_path)
    # Arguments validated and converted against DOCUMENTATION, handed over as plain Python.
    good = dump["good"]
    assert not good.get("failed") and good["changed"] is True, good
    assert good["count"] == 3 and good["flags"] == [True, False] and good["types"] == ["int", "str"]
    assert good["warnings"] == ["engine ran"]
    assert (out / "good").read_text() == "written"
    # Check mode: the engine is told, writes nothing and reports no change.
    assert dump["checked"]["changed"] is False and not (out / "checked").exists()
    # A bad argument fails the task the way Ansible's own modules do, before the engine runs.
    assert dump["bad_type"]["failed"] is True and "count" in dump["bad_type"]["msg"], dump["bad_type"]
    assert "int" in dump["bad_type"]["msg"] and not (out / "bad_type").exists()
    assert dump["bad_choice"]["failed"] is True and "fail_with" in dump["bad_choice"]["msg"]
    assert "nothing, ses, value, key" in dump["bad_choice"]["msg"]
    assert dump["unknown_option"]["failed"] is True and "colour" in dump["unknown_option"]["msg"]
    # An SesInputError: every problem, under the plugin's prefix, nothing changed.
    ses = dump["ses"]
    assert ses["failed"] is True and ses["changed"] is False
    assert ses["msg"] == ("glue_probe: 2 problems in the SES inventory:\n- host a: ses_version 'x' is not a "
                          "version; set it as 2.7.1\n- host b: no ses_address; set it")
    assert ses["problems"] == ["host a: ses_version 'x' is not a version; set it as 2.7.1",
                               "host b: no ses_address; set it"]
    # A ValueError is bad input too (a mode, a path): its text is the one problem.
    value = dump["value"]
    assert value["failed"] is True and value["changed"] is False
    assert value["msg"] == "glue_probe: mode 'rwx' is not an octal mode; set it as '0640'"
    assert value["problems"] == ["mode 'rwx' is not an octal mode; set it as '0640'"]
    # Anything else is a bug: Ansible reports it as an unexpected failure, with no "problems".
    assert dump["key"]["failed"] is True and "problems" not in dump["key"]
    assert "a bug, not bad input" in dump["key"]["msg"]


def test_input_failure():
    expected = {"failed": True, "changed": False, "msg": "x: one", "problems": ["one"]}
    assert input_failure(SesInputError(["one"]), "x: ") == expected
    assert input_failure(ValueError("two"))["problems"] == ["two"]
    assert input_failure(OSError(13, "Permission denied"))["msg"] == "[Errno 13] Permission denied"
