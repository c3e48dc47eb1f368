# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The user's way in: the built tarball installs with its dependencies and runs from where it was installed.

Ansible Galaxy is not reachable from CI, so the dependencies (community.windows,
ansible.windows) are given as collection artifacts made from the copies the
bootstrap unpacked from the ansible wheel, on the same command line as the
collection's tarball, with --offline: what a user without Galaxy access does.
The bootstrap is checked not to stand in the way: it links the checkout inside
the checkout only, so an install into the user's collections folder is real, and
removing the clone leaves no link behind.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile

import pytest

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "examples", "lab", "inventory.yml")
DEPENDENCIES = ("community.windows", "ansible.windows")

pytestmark = pytest.mark.skipif(not shutil.which("ansible-galaxy") or not os.environ.get("SES_COLLECTIONS_DIR"),
                                reason="needs ansible-galaxy and the bootstrap's collections (source .cache/env.sh)")


def run(command, env=None, cwd=None):
    done = subprocess.run(command, env=dict(os.environ, ANSIBLE_NOCOLOR="1", **(env or {})), cwd=cwd,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, "%s\n%s\n%s" % (" ".join(command), done.stdout, done.stderr)
    return done.stdout + done.stderr


def dependency_artifact(fqcn, dest):
    """A collection artifact (MANIFEST.json, FILES.json and the files at the top) of an unpacked collection.

    The ansible wheel leaves out some files its FILES.json lists (CI folders):
    they are dropped from FILES.json, whose checksum MANIFEST.json carries.
    """
    source = os.path.join(os.environ["SES_COLLECTIONS_DIR"], "ansible_collections", *fqcn.split("."))
    with open(os.path.join(source, "MANIFEST.json"), encoding="utf-8") as handle:
        manifest = json.load(handle)
    with open(os.path.join(source, "FILES.json"), encoding="utf-8") as handle:
        files = json.load(handle)
    files["files"] = [entry for entry in files["files"] if os.path.lexists(os.path.join(source, entry["name"]))]
    files_json = json.dumps(files).encode()
    manifest["file_manifest_file"]["chksum_sha256"] = hashlib.sha256(files_json).hexdigest()
    manifest_json = json.dumps(manifest).encode()
    path = os.path.join(dest, "%s-%s.tar.gz" % (fqcn.replace(".", "-"), manifest["collection_info"]["version"]))
    with tarfile.open(path, "w:gz") as archive:
        for name, data in (("MANIFEST.json", manifest_json), ("FILES.json", files_json)):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            archive.addfile(info, io.BytesIO(data))
        for entry in files["files"]:
            archive.add(os.path.join(source, entry["name"]), arcname=entry["name"], recursive=False)
    return path


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    """(the collection's tarball, the dependencies' artifacts), built once."""
    dest = tmp_path_factory.mktemp("dist")
    run(["ansible-galaxy", "collection", "build", "--output-path", str(dest), ROOT])
    tarball = [str(dest / name) for name in os.listdir(dest) if name.startswith("ses_evolution-firewall-")]
    assert len(tarball) == 1, os.listdir(dest)
    return tarball[0], [dependency_artifact(fqcn, str(dest)) for fqcn in DEPENDENCIES]


def test_tarball_installs_with_dependencies_and_runs(artifacts, tmp_path):
    tarball, dependencies = artifacts
    user = tmp_path / "collections"
    # The user's environment: only the folder the collection is installed into.
    env = {"ANSIBLE_COLLECTIONS_PATH": str(user)}
    out = run(["ansible-galaxy", "collection", "install", "--offline", "-p", str(user), tarball] + dependencies,
              env=env)
    assert "Nothing to do" not in out, out
    installed = user / "ansible_collections" / "ses_evolution" / "firewall"
    assert installed.is_dir() and not installed.is_symlink() and (installed / "MANIFEST.json").is_file()
    for fqcn in DEPENDENCIES:
        assert (user / "ansible_collections" / fqcn.replace(".", "/") / "MANIFEST.json").is_file(), fqcn

    page = json.loads(run(["ansible-doc", "-t", "module", "--json", "ses_evolution.firewall.port_matrix"], env=env))
    assert page["ses_evolution.firewall.port_matrix"]["doc"]["filename"].startswith(str(installed))

    report_dir = tmp_path / "report"
    out = run(["ansible-playbook", "ses_evolution.firewall.report", "-i", EXAMPLE, "-e", "ses_phase=migrate",
               "-e", "ses_report_dir=%s" % report_dir], env=env, cwd=str(tmp_path))
    assert "failed=0" in out, out
    with open(report_dir / "port_matrix.json", encoding="utf-8") as handle:
        report = json.load(handle)
    # The example fleet's co-located backend bo1 is reached on TCP 8443 from 2.7.1 (the vendor's table).
    assert ("bo1", "tcp", 8443, "new") in {(flow["destination"], flow["protocol"], flow["port"], flow["lifecycle"])
                                           for flow in report["flows"]}, report["flows"]


def test_bootstrap_keeps_the_user_collections_folder_free(artifacts, tmp_path):
    tarball = artifacts[0]
    clone, user = tmp_path / "clone", tmp_path / "collections"
    files = subprocess.run(["git", "-C", ROOT, "ls-files", "-z"], capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        if os.path.isfile(os.path.join(ROOT, name)):
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(os.path.join(ROOT, name), clone / name)
    # The dependencies are already there (no download); an earlier bootstrap linked this clone in.
    root = user / "ansible_collections"
    (root / "ses_evolution").mkdir(parents=True)
    for namespace in os.listdir(os.path.join(os.environ["SES_COLLECTIONS_DIR"], "ansible_collections")):
        if namespace != "ses_evolution":
            os.symlink(os.path.join(os.environ["SES_COLLECTIONS_DIR"], "ansible_collections", namespace),
                       root / namespace)
    os.symlink(clone, root / "ses_evolution" / "firewall")

    run(["bash", str(clone / "scripts" / "bootstrap.sh")], env={"SES_SKIP_APT": "1", "SES_COLLECTIONS_DIR": str(user)})
    assert not os.path.lexists(root / "ses_evolution" / "firewall")
    dev_link = clone / ".cache" / "collections" / "ansible_collections" / "ses_evolution" / "firewall"
    assert os.path.realpath(dev_link) == os.path.realpath(clone)
    env_file = (clone / ".cache" / "env.sh").read_text()
    assert 'ANSIBLE_COLLECTIONS_PATH="%s:%s"' % (clone / ".cache" / "collections", user) in env_file, env_file

    # The user's environment (the default collections folder, without .cache/env.sh): a real install.
    out = run(["ansible-galaxy", "collection", "install", "--offline", "-p", str(user), tarball],
              env={"ANSIBLE_COLLECTIONS_PATH": str(user)})
    assert "Nothing to do" not in out, out
    assert (root / "ses_evolution" / "firewall" / "MANIFEST.json").is_file()

    shutil.rmtree(clone)
    dangling = [path for path, dirs, names in os.walk(user) for name in dirs + names
                if os.path.islink(os.path.join(path, name)) and not os.path.exists(os.path.join(path, name))]
    assert dangling == []


def test_bootstrap_removes_a_link_to_a_removed_checkout(tmp_path):
    user = tmp_path / "collections"
    root = user / "ansible_collections"
    (root / "ses_evolution").mkdir(parents=True)
    for namespace in os.listdir(os.path.join(os.environ["SES_COLLECTIONS_DIR"], "ansible_collections")):
        if namespace != "ses_evolution":
            os.symlink(os.path.join(os.environ["SES_COLLECTIONS_DIR"], "ansible_collections", namespace),
                       root / namespace)
    os.symlink(tmp_path / "removed-clone", root / "ses_evolution" / "firewall")
    other = tmp_path / "other"
    other.mkdir()
    (other / "galaxy.yml").write_text("namespace: ses_evolution\n")
    clone = tmp_path / "clone"
    shutil.copytree(os.path.join(ROOT, "scripts"), clone / "scripts")
    for name in ("requirements.txt", "requirements-test.txt", "requirements-tools.txt"):
        shutil.copy2(os.path.join(ROOT, name), clone / name)

    run(["bash", str(clone / "scripts" / "bootstrap.sh")], env={"SES_SKIP_APT": "1", "SES_COLLECTIONS_DIR": str(user)})
    assert not os.path.lexists(root / "ses_evolution" / "firewall")

    # A link to another checkout that still exists is that checkout's: it stays.
    (root / "ses_evolution").mkdir(exist_ok=True)
    os.symlink(other, root / "ses_evolution" / "firewall")
    out = run(["bash", str(clone / "scripts" / "bootstrap.sh")],
              env={"SES_SKIP_APT": "1", "SES_COLLECTIONS_DIR": str(user)})
    assert os.readlink(root / "ses_evolution" / "firewall") == str(other)
    assert "links another checkout" in out
