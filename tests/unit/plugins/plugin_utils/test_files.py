# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""files.py: the controller's one atomic writer (reports, audit records, hand-offs), on a real file system."""

from __future__ import annotations

import os
import stat

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils import audit, files

__metaclass__ = type


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_text_and_bytes_with_a_mode(tmp_path):
    path = str(tmp_path / "report.md")
    files.write_atomic(path, "é\n", 0o640)
    assert (tmp_path / "report.md").read_bytes() == "é\n".encode("utf-8") and _mode(path) == 0o640
    files.write_atomic(path, b"\x00\xff", 0o600)
    assert (tmp_path / "report.md").read_bytes() == b"\x00\xff" and _mode(path) == 0o600
    assert os.listdir(tmp_path) == ["report.md"]  # no temporary file left


def test_no_mode_keeps_the_file_private(tmp_path):
    old = os.umask(0)
    try:
        files.write_atomic(str(tmp_path / "handoff.json"), b"{}")
    finally:
        os.umask(old)
    assert _mode(str(tmp_path / "handoff.json")) == 0o600


def test_a_missing_directory_names_the_file(tmp_path):
    path = str(tmp_path / "missing" / "report.json")
    with pytest.raises(files.AtomicWriteError) as error:
        files.write_atomic(path, "x", 0o600)
    assert str(error.value).startswith("cannot write %s: cannot create a file in %s" % (path, tmp_path / "missing"))
    assert isinstance(error.value, OSError)  # callers that catch OSError still catch it


def test_a_failed_rename_names_the_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "record.json"
    target.mkdir()  # a directory where the file should go: the rename fails
    with pytest.raises(files.AtomicWriteError) as error:
        files.write_atomic(str(target), "x", 0o600)
    assert str(error.value).startswith("cannot write %s: " % target)
    assert os.listdir(tmp_path) == ["record.json"] and os.listdir(target) == []


def test_write_if_changed(tmp_path):
    path = str(tmp_path / "matrix.csv")
    assert files.write_if_changed(path, "a\n", 0o600, dry_run=True) is True
    assert not os.path.exists(path)  # a dry run (check mode) writes nothing
    assert files.write_if_changed(path, "a\n", 0o600) is True
    before = os.stat(path)
    assert files.write_if_changed(path, b"a\n", 0o600) is False  # same content as bytes or text
    assert os.stat(path).st_ino == before.st_ino  # not rewritten
    assert files.write_if_changed(path, "a\n", 0o640) is True and _mode(path) == 0o640  # the mode alone
    assert files.write_if_changed(path, "b\n", 0o640) is True
    assert files.unchanged(str(tmp_path / "none"), "", 0o600) is False


def test_audit_keeps_its_public_name():
    assert audit.write_atomic is files.write_atomic


@settings(max_examples=40, deadline=None)
@given(data=st.one_of(st.binary(max_size=2000), st.text(max_size=500)),
       mode=st.sampled_from([None, 0o600, 0o640, 0o644, 0o400]))
def test_any_content_reads_back(tmp_path_factory, data, mode):
    directory = tmp_path_factory.mktemp("atomic")
    path = str(directory / "file")
    files.write_atomic(path, data, mode)
    expected = data.encode("utf-8") if isinstance(data, str) else data
    with open(path, "rb") as stream:
        assert stream.read() == expected
    assert _mode(path) == (0o600 if mode is None else mode)
    assert files.unchanged(path, data, _mode(path)) is True
    assert os.listdir(directory) == ["file"]
