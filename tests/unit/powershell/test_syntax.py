# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every PowerShell script of the collection parses with a real PowerShell grammar.

ansible-test's pslint needs pwsh, which this CI machine does not have, so without
this gate a syntax error in a ``.ps1`` would ship: the Windows simulator never runs
the scripts. tree-sitter-powershell (PyPI) is a full PowerShell grammar; a parse
with any ERROR or MISSING node fails the test, naming the file, line and column.

Known gaps of the grammar (0.26), all valid PowerShell it cannot read, so the
collection's scripts avoid them: generic type names with a backtick arity
(``List`1[String]``) or nested type arguments (``[Func[[Object], [Char]]]``), a list of
bare words after a parameter (``-Name a, b``), numeric multipliers (``1GB``),
loop labels (``break outer``).
"""

from __future__ import annotations

import os

import pytest

__metaclass__ = type

# Not importorskip: a missing grammar must fail the gate, never skip it.
import tree_sitter  # noqa: E402
import tree_sitter_powershell  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
# Folders that hold no script of the collection (caches, build output, the
# simulator's Python stand-ins for Windows collections).
SKIP_DIRS = {".git", ".cache", ".ansible", ".tox", "output", "__pycache__", ".pytest_cache", ".hypothesis"}
PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))


def collection_scripts(root=ROOT):
    """Every .ps1/.psm1 under the collection root, as paths relative to it."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(name for name in dirs if name not in SKIP_DIRS)
        found.extend(os.path.relpath(os.path.join(folder, name), root)
                     for name in sorted(files) if name.lower().endswith((".ps1", ".psm1")))
    return found


def syntax_errors(source):
    """(line, column, kind, text) of every ERROR or MISSING node, 1-based; [] when it parses."""
    problems = []
    stack = [PARSER.parse(source).root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            row, column = node.start_point
            kind = "missing %s" % node.type if node.is_missing else "unexpected input"
            problems.append((row + 1, column + 1, kind, node.text.decode("utf-8", "replace")[:60]))
            continue
        if node.has_error:
            stack.extend(node.children)
    return sorted(problems)


def test_the_collection_has_scripts_to_check():
    # A walk that finds nothing (a moved role, a wrong root) must not pass silently.
    scripts = collection_scripts()
    assert "roles/windows_firewall/files/read_state.ps1" in scripts
    assert "roles/windows_firewall/files/reconcile.ps1" in scripts


@pytest.mark.parametrize("script", collection_scripts())
def test_script_parses(script):
    with open(os.path.join(ROOT, script), "rb") as handle:
        problems = syntax_errors(handle.read())
    assert not problems, "%s does not parse as PowerShell:\n%s" % (
        script, "\n".join("  line %d, column %d: %s %r" % problem for problem in problems))


BROKEN = {
    "unclosed if condition": b"function Test-It {\n    if ($a -eq 1 {\n        'x'\n    }\n}\n",
    "unclosed hashtable": b"$rule = @{ Name = 'a'\n$rule.Name\n",
    "unclosed script block": b"foreach ($r in $rules) {\n    $r.Enabled = $true\n",
    "stray closing brace": b"$a = 1\n}\n$b = 2\n",
    "unterminated string": b"$name = 'SES Evolution\nWrite-Output $name\n",
    "operator without operand": b"$a = 1 +\n",
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_gate_catches_a_broken_script(name):
    assert syntax_errors(BROKEN[name]), name


def test_gate_catches_a_broken_copy_of_each_script(tmp_path):
    # The real scripts with one brace removed: the gate must see it in context,
    # not only in the small snippets above.
    for script in collection_scripts():
        with open(os.path.join(ROOT, script), "rb") as handle:
            source = handle.read()
        position = source.rfind(b"}")
        assert position > 0, script
        assert syntax_errors(source[:position] + source[position + 1:]), script


def test_walk_finds_scripts_in_any_folder(tmp_path):
    (tmp_path / "roles" / "r" / "files").mkdir(parents=True)
    (tmp_path / "roles" / "r" / "files" / "a.ps1").write_bytes(b"$a = 1\n")
    (tmp_path / "plugins" / "modules").mkdir(parents=True)
    (tmp_path / "plugins" / "modules" / "m.PS1").write_bytes(b"$a = 1\n")
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "x.ps1").write_bytes(b"{")
    assert collection_scripts(str(tmp_path)) == ["plugins/modules/m.PS1", "roles/r/files/a.ps1"]
