# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Ansible-facing helpers of the controller plugins, in one place.

The one module of plugin_utils that imports Ansible: the computing lives in the
others (pure Python, no Ansible imports, a test checks it), and none of them
imports this one. These helpers sit between the engine and Ansible: plain values out of Ansible's tagged
containers, argument specs read from a plugin's own DOCUMENTATION (one source of
truth, as ansible.utils does), the wrapper that validates a filter's
arguments against its DOCUMENTATION and turns input errors into filter errors, and
``ControllerAction``, the same for the action plugins that only compute on the controller.
Controller side only: no module imports it (module_utils may not import ansible.errors or yaml).
"""

from __future__ import annotations

import importlib

import yaml

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase
from ansible.module_utils.common.text.converters import to_text

__metaclass__ = type

# Option keys of DOCUMENTATION that argument specs understand too.
_SPEC_KEYS = ("type", "elements", "choices", "default", "required", "aliases", "no_log", "options")


def plain(value):
    """Ansible's tagged, unsafe and lazy containers as plain str/int/list/dict for the pure-Python engine."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value if value.__class__ is str else str.__str__(value)  # pylint: disable=unnecessary-dunder-call
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, dict) or hasattr(value, "items"):
        return {plain(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(item) for item in value]
    return to_text(value)


def _spec(options):
    spec = {}
    for name, option in (options or {}).items():
        entry = {key: value for key, value in option.items() if key in _SPEC_KEYS and key != "options"}
        if option.get("options") or option.get("suboptions"):
            entry["options"] = _spec(option.get("options") or option.get("suboptions"))
        spec[name] = entry
    return spec


_OWN_FRAGMENTS = "ses_evolution.firewall."


def with_fragments(doc):
    """``doc`` with the options of the collection's own documentation fragments it extends, as ansible-doc
    shows them (the plugin's own options win)."""
    options = {}
    for name in doc.get("extends_documentation_fragment") or ():
        if not name.startswith(_OWN_FRAGMENTS):
            raise ValueError("documentation fragment %r: only the collection's own fragments are read" % name)
        module = importlib.import_module("ansible_collections.ses_evolution.firewall.plugins.doc_fragments."
                                         + name[len(_OWN_FRAGMENTS):])
        options.update(yaml.safe_load(module.ModuleDocFragment.DOCUMENTATION).get("options") or {})
    options.update(doc.get("options") or {})
    return dict(doc, options=options)


def argument_spec_from_doc(documentation):
    """The argument spec of a plugin's DOCUMENTATION (a YAML text, or a dict already loaded), fragments included."""
    doc = yaml.safe_load(documentation) if isinstance(documentation, str) else documentation
    return _spec(with_fragments(doc or {}).get("options"))


class FilterDoc:
    """A filter's DOCUMENTATION, used to validate and convert the filter's arguments.

    ``_input`` and the positional options are named as in DOCUMENTATION
    (``positional: _input, desired``); Ansible's own type conversion applies, so
    ``"false"`` given for a ``bool`` option is False and ``"maybe"`` is refused.
    """

    def __init__(self, documentation):
        doc = yaml.safe_load(documentation) if isinstance(documentation, str) else documentation
        self.name = doc["name"]
        self.spec = argument_spec_from_doc(doc)
        positional = doc.get("positional") or "_input"
        self.positional = [name.strip() for name in positional.split(",")]

    def arguments(self, args, kwargs):
        """The filter's arguments by name, validated and converted; raises AnsibleFilterError."""
        if len(args) > len(self.positional):
            raise AnsibleFilterError("%s: takes %d positional arguments (%s), got %d"
                                     % (self.name, len(self.positional), ", ".join(self.positional), len(args)))
        params = dict(zip(self.positional, args))
        for key, value in kwargs.items():
            if key not in self.spec:
                raise AnsibleFilterError("%s: unknown option %r (options: %s)"
                                         % (self.name, key, ", ".join(sorted(self.spec))))
            params[key] = value
        params = plain(params)
        result = ArgumentSpecValidator(self.spec).validate(params)
        if result.error_messages:
            raise AnsibleFilterError("%s: %s" % (self.name, "; ".join(result.error_messages)))
        return result.validated_parameters

    def run(self, function, args, kwargs):
        """``function(**arguments)``; an input error (ValueError, as SesInputError) becomes a filter error."""
        arguments = self.arguments(args, kwargs)
        try:
            return function(*[arguments.pop(name) for name in self.positional], **arguments)
        except ValueError as exc:
            raise AnsibleFilterError("%s: %s" % (self.name, exc)) from exc


def input_failure(exc, prefix=""):
    """The failed result of a task whose input is bad: ``msg`` and every problem (SesInputError's, else the text)."""
    return {"failed": True, "changed": False, "msg": prefix + str(exc),
            "problems": list(getattr(exc, "problems", None) or [str(exc)])}


class ControllerAction(ActionBase):
    """Base of the action plugins that run on the controller only and never touch a host.

    ``run`` validates the task's arguments against the module's ``DOCUMENTATION`` (an
    invalid argument fails the task as Ansible's own modules do), hands them as plain
    Python to ``engine``, and turns the subclass's ``INPUT_ERRORS`` into a failed result
    with ``msg`` (after ``ERROR_PREFIX``) and ``problems``, so a bad inventory or setting
    reads the same whichever plugin found it. Subclasses set ``DOCUMENTATION`` and write
    ``engine``; ``self.check_mode`` tells them not to write.
    """

    TRANSFERS_FILES = False
    _requires_connection = False
    DOCUMENTATION = None
    # SesInputError is a ValueError; a plugin narrows or widens this to what its engine raises for bad input.
    INPUT_ERRORS = (ValueError,)
    ERROR_PREFIX = ""
    _argument_spec = None

    @classmethod
    def argument_spec(cls):
        # Read once per plugin class: DOCUMENTATION does not change during a run.
        if cls.__dict__.get("_argument_spec") is None:
            cls._argument_spec = argument_spec_from_doc(cls.DOCUMENTATION)
        return cls._argument_spec

    @property
    def check_mode(self):
        return bool(self._task.check_mode)

    def engine(self, args, task_vars, result):
        """The plugin's work: returns the keys to add to ``result`` (which it may also extend, e.g. warnings)."""
        raise NotImplementedError

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp  # no remote files
        _validation, args = self.validate_argument_spec(argument_spec=self.argument_spec())
        try:
            result.update(self.engine(plain(args), task_vars, result))
        except self.INPUT_ERRORS as exc:
            result.update(input_failure(exc, self.ERROR_PREFIX))
        return result
