# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The execution environment: ansible-builder create writes a build context that holds what the collection needs.

There is no container engine on the CI machine, so the image itself is not
built: `ansible-builder create` (schema 3, offline) is run on
execution-environment.yml and the Containerfile and the files it copies are
checked. ansible-builder reads meta/execution-environment.yml only from a
collection installed in the image; the same files are checked to be the ones it
names, and `ansible-builder introspect` reads them from an installed copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOLS = os.environ.get("SES_TOOLS_BIN", "")
BUILDER = os.path.join(TOOLS, "ansible-builder")

pytestmark = pytest.mark.skipif(not os.access(BUILDER, os.X_OK),
                                reason="needs ansible-builder from requirements-tools.txt (SES_TOOLS_BIN)")


def load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def requirement_names(path):
    with open(path, encoding="utf-8") as handle:
        lines = [line.split("#", 1)[0].strip() for line in handle]
    return {line.split(">")[0].split("=")[0].split("<")[0].split("~")[0].strip().lower() for line in lines if line}


def test_create_writes_the_build_context(tmp_path):
    context = tmp_path / "context"
    done = subprocess.run([BUILDER, "create", "-f", os.path.join(ROOT, "execution-environment.yml"),
                           "--context", str(context), "--output-filename", "Containerfile", "-v", "3"],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    containerfile = (context / "Containerfile").read_text()
    build = context / "_build"
    # The definition's dependencies, copied into the context and installed by the Containerfile.
    assert (build / "bindep.txt").read_text() == open(os.path.join(ROOT, "bindep.txt"), encoding="utf-8").read()
    assert requirement_names(build / "requirements.txt") == {"pywinrm", "pypsrp"}
    galaxy = {item["name"]: item.get("version") for item in load(build / "requirements.yml")["collections"]}
    assert set(galaxy) == {"ses_evolution.firewall", "community.windows", "ansible.windows"}
    for needed in ("ansible-core>=2.16,<2.22", "ansible-runner", "requirements.yml", "bindep", "python3.12",
                   'EE_BASE_IMAGE="docker.io/redhat/ubi9:latest"'):
        assert needed in containerfile, needed
    # The range the execution environment installs is the one meta/runtime.yml declares.
    assert load(os.path.join(ROOT, "meta", "runtime.yml"))["requires_ansible"] == ">=2.16.0,<2.22.0"


def test_collection_metadata_names_its_dependency_files(tmp_path):
    meta = load(os.path.join(ROOT, "meta", "execution-environment.yml"))
    assert meta["version"] == 1
    for key in ("python", "system"):
        assert os.path.isfile(os.path.join(ROOT, meta["dependencies"][key])), meta["dependencies"][key]
    # ansible-builder's own reading of it, from an installed copy of the collection.
    collection = tmp_path / "ansible_collections" / "ses_evolution" / "firewall"
    collection.mkdir(parents=True)
    shutil.copytree(os.path.join(ROOT, "meta"), collection / "meta")
    shutil.copy2(os.path.join(ROOT, "bindep.txt"), collection / "bindep.txt")
    (collection / "MANIFEST.json").write_text('{"collection_info": {"namespace": "ses_evolution", '
                                              '"name": "firewall", "version": "0.1.0"}}')
    done = subprocess.run([BUILDER, "introspect", str(tmp_path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    found = yaml.safe_load(done.stdout)
    ours = "# from collection ses_evolution.firewall"
    wanted = {"pywinrm>=0.5.0", "pypsrp>=0.9.0"}
    assert {line.split("#")[0].strip() for line in found["python"] if ours in line} == wanted
    assert any(line.startswith("nftables ") and ours in line for line in found["system"]), found["system"]
