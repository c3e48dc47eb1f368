#!/usr/bin/env bash
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Installs everything the collection and its test suite need on Debian 12, and
# links this checkout as the collection ses_evolution.firewall. Safe to run again:
# each step checks first and does nothing when its work is already done.
#
#   scripts/bootstrap.sh
#
# Steps:
#   1. Debian packages (nftables, iptables, iproute2, openssh-server, shellcheck, ...).
#   2. Python packages from requirements.txt and requirements-test.txt, into the
#      current python3, or into a virtual environment when python3 is the
#      Debian-managed interpreter (PEP 668); requirements-tools.txt into a
#      virtual environment of its own.
#   3. The collections this one uses, taken from the ansible 12.3.0 wheel on PyPI
#      (Ansible Galaxy is not needed), plus a relative symlink to this checkout in
#      .cache/collections (inside the checkout: it goes with the clone, and the
#      user's collections folder stays free for a real install of the tarball).
#   4. The pip bootstrap script ansible-test looks for in its cache, made from a
#      pip wheel, so that ansible-test does not need to download it.
#   5. mermaid (pinned) from the npm registry under .cache/mermaid, which the report's
#      diagram test renders in Debian's headless chromium.
#
# It writes .cache/env.sh in the checkout: source it to get the same PATH and
# ANSIBLE_COLLECTIONS_PATH (.cache/collections, then the collections root) that
# scripts/test.sh uses. Nothing else is changed
# in the user's environment.
#
# Settings (environment variables, all optional):
#   SES_COLLECTIONS_DIR  collections root (default ~/.ansible/collections)
#   SES_VENV             virtual environment used when python3 is Debian-managed
#                        (default ~/.cache/ses_evolution_firewall/venv)
#   SES_TOOLS_VENV       virtual environment of requirements-tools.txt (ansible-builder,
#                        ansible-runner, antsibull-docs), kept apart from the controller's
#                        interpreter (default ~/.cache/ses_evolution_firewall/tools)
#   SES_SKIP_APT=1       do not touch Debian packages

set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
COLLECTIONS_DIR="${SES_COLLECTIONS_DIR:-$HOME/.ansible/collections}"
VENV="${SES_VENV:-$HOME/.cache/ses_evolution_firewall/venv}"
DEV_COLLECTIONS_DIR="$REPO/.cache/collections"
TOOLS_VENV="${SES_TOOLS_VENV:-$HOME/.cache/ses_evolution_firewall/tools}"
DOWNLOAD_DIR="$HOME/.cache/ses_evolution_firewall/downloads"
# The mermaid release the report's diagram test renders with (npm registry).
MERMAID_VERSION="11.12.2"
ANSIBLE_BUNDLE_VERSION="12.3.0"
# namespace.name of each collection taken from the ansible wheel. community.windows
# holds win_firewall_rule and needs ansible.windows; the others serve the roles,
# playbooks and the lab.
BUNDLED_COLLECTIONS=(
    community.windows
    ansible.windows
    ansible.posix
    community.general
    ansible.utils
)
APT_PACKAGES=(
    python3 python3-venv python3-pip
    git ca-certificates
    nftables iptables iproute2 procps iputils-ping socat
    # python3-apt: ansible.builtin.apt, which the linux_firewall role's package step runs.
    python3-apt
    openssh-server openssh-client
    shellcheck
    # The report's Mermaid diagrams are rendered by the real mermaid library in this browser.
    chromium
)

say() { printf 'bootstrap: %s\n' "$*"; }
die() { printf 'bootstrap: ERROR: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- 1. Debian packages
install_apt_packages() {
    if [ "${SES_SKIP_APT:-0}" = "1" ]; then
        say "apt: skipped (SES_SKIP_APT=1)"
        return
    fi
    command -v dpkg-query >/dev/null 2>&1 || die "this script expects Debian (dpkg-query not found); set SES_SKIP_APT=1 and install: ${APT_PACKAGES[*]}"
    local missing=() pkg
    for pkg in "${APT_PACKAGES[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$pkg")
        fi
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        say "apt: all ${#APT_PACKAGES[@]} packages present"
        return
    fi
    [ "$(id -u)" -eq 0 ] || die "missing Debian packages (${missing[*]}): run as root or install them with apt-get"
    say "apt: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # Installing openssh-server must not start a daemon inside containers/CI.
    apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
}

# ---------------------------------------------------------------- 2. Python packages
choose_python() {
    local base_python
    base_python="$(command -v python3)" || die "python3 not found"
    # A Debian-managed interpreter refuses pip installs (PEP 668): use a venv then.
    if "$base_python" - <<'PY'
import os, sys, sysconfig
managed = os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED"))
in_venv = sys.prefix != sys.base_prefix
sys.exit(0 if managed and not in_venv else 1)
PY
    then
        if [ ! -x "$VENV/bin/python3" ]; then
            say "python: creating virtual environment $VENV"
            mkdir -p "$(dirname "$VENV")"
            "$base_python" -m venv "$VENV"
        fi
        PYTHON="$VENV/bin/python3"
    else
        PYTHON="$("$base_python" -c 'import sys; print(sys.executable)')"
    fi
    # The directory holding this interpreter's console scripts (ansible-*, molecule, pytest).
    PYTHON_BIN="$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"
}

# requirements_met PYTHON FILE...: every requirement of the files is installed in PYTHON.
requirements_met() {
    local python="$1"
    shift
    "$python" - "$@" <<'PY'
import sys
from importlib.metadata import PackageNotFoundError, version
try:
    from packaging.requirements import Requirement
except ImportError:
    sys.exit(1)
for path in sys.argv[1:]:
    for line in open(path, encoding="utf-8"):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        try:
            if not req.specifier.contains(version(req.name), prereleases=True):
                sys.exit(1)
        except PackageNotFoundError:
            sys.exit(1)
PY
}

install_python_packages() {
    local requirements=("$REPO/requirements.txt" "$REPO/requirements-test.txt")
    # pip resolves "already satisfied" without the network; only the first run downloads.
    if requirements_met "$PYTHON" "${requirements[@]}"; then
        say "pip: requirements already satisfied in $PYTHON"
    else
        say "pip: installing requirements into $PYTHON"
        "$PYTHON" -m pip install --quiet --disable-pip-version-check "${requirements[@]/#/-r}"
    fi
    # ansible-builder, ansible-runner and antsibull-docs pull in libraries of their
    # own: a virtual environment keeps them from changing the controller's.
    [ -f "$REPO/requirements-tools.txt" ] || return 0
    if [ ! -x "$TOOLS_VENV/bin/python3" ]; then
        say "python: creating the tools' virtual environment $TOOLS_VENV"
        mkdir -p "$(dirname "$TOOLS_VENV")"
        "$PYTHON" -m venv "$TOOLS_VENV"
    fi
    if "$TOOLS_VENV/bin/python3" -c 'import packaging' 2>/dev/null &&
        requirements_met "$TOOLS_VENV/bin/python3" "$REPO/requirements-tools.txt"; then
        say "pip: tools already satisfied in $TOOLS_VENV"
    else
        say "pip: installing requirements-tools.txt into $TOOLS_VENV"
        "$TOOLS_VENV/bin/python3" -m pip install --quiet --disable-pip-version-check packaging -r "$REPO/requirements-tools.txt"
    fi
}

# ---------------------------------------------------------------- 3. collections
install_collections() {
    local root="$COLLECTIONS_DIR/ansible_collections" wanted=() fqcn
    for fqcn in "${BUNDLED_COLLECTIONS[@]}"; do
        [ -f "$root/${fqcn%%.*}/${fqcn#*.}/MANIFEST.json" ] || wanted+=("$fqcn")
    done
    if [ "${#wanted[@]}" -eq 0 ]; then
        say "collections: ${BUNDLED_COLLECTIONS[*]} present in $COLLECTIONS_DIR"
    else
        local wheels=()
        shopt -s nullglob
        wheels=("$DOWNLOAD_DIR"/ansible-"$ANSIBLE_BUNDLE_VERSION"-*.whl)
        if [ "${#wheels[@]}" -eq 0 ]; then
            say "collections: downloading the ansible $ANSIBLE_BUNDLE_VERSION wheel"
            mkdir -p "$DOWNLOAD_DIR"
            "$PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps \
                --only-binary=:all: --dest "$DOWNLOAD_DIR" "ansible==$ANSIBLE_BUNDLE_VERSION"
            wheels=("$DOWNLOAD_DIR"/ansible-"$ANSIBLE_BUNDLE_VERSION"-*.whl)
        fi
        shopt -u nullglob
        [ "${#wheels[@]}" -gt 0 ] || die "no ansible $ANSIBLE_BUNDLE_VERSION wheel in $DOWNLOAD_DIR"
        local wheel="${wheels[0]}"
        say "collections: extracting ${wanted[*]} into $COLLECTIONS_DIR"
        "$PYTHON" - "$wheel" "$COLLECTIONS_DIR" "${wanted[@]}" <<'PY'
import os, shutil, sys, zipfile
wheel, dest, *wanted = sys.argv[1:]
prefixes = ["ansible_collections/%s/" % fqcn.replace(".", "/") for fqcn in wanted]
with zipfile.ZipFile(wheel) as archive:
    for prefix in prefixes:
        # Replace a partial copy (no MANIFEST.json) rather than mixing versions.
        shutil.rmtree(os.path.join(dest, prefix), ignore_errors=True)
    members = [m for m in archive.namelist() if any(m.startswith(p) for p in prefixes)]
    if not members:
        sys.exit("no %s in %s" % (", ".join(wanted), wheel))
    archive.extractall(dest, members)
PY
    fi

    link_checkout
}

# This checkout as ses_evolution.firewall, for development only. The link lives in
# the checkout's own .cache/collections (first on the ANSIBLE_COLLECTIONS_PATH that
# .cache/env.sh exports), relative, so that it goes away with the clone and never
# stands in the user's collections folder, where it would hide a real
# `ansible-galaxy collection install` ("Nothing to do") and dangle once the clone
# is removed.
link_checkout() {
    local link="$DEV_COLLECTIONS_DIR/ansible_collections/ses_evolution/firewall"
    mkdir -p "$(dirname "$link")"
    if [ -L "$link" ] && [ "$(readlink "$link")" = "../../../.." ]; then
        say "collections: $link -> this checkout already"
    else
        if [ -e "$link" ] && [ ! -L "$link" ]; then
            die "$link is a real directory; remove it so that it can become a link to this checkout"
        fi
        ln -sfn "../../../.." "$link.tmp.$$"
        mv -T "$link.tmp.$$" "$link"
        say "collections: linked $link -> this checkout"
    fi
    # Earlier bootstraps linked the checkout into the collections root itself.
    # Such a link to this checkout or to a removed one goes; a link to another
    # existing checkout belongs to that checkout's environment and stays.
    local old="$COLLECTIONS_DIR/ansible_collections/ses_evolution/firewall" target
    if [ -L "$old" ]; then
        target="$(readlink -f "$old" || true)"
        if [ -z "$target" ] || [ ! -e "$target" ] || [ "$target" = "$REPO" ]; then
            rm -f "$old"
            rmdir "$(dirname "$old")" 2>/dev/null || true
            say "collections: removed the old link $old"
        else
            say "collections: note: $old links another checkout ($target); this one comes first on .cache/env.sh's path"
        fi
    fi
}

# ---------------------------------------------------------------- 4. ansible-test pip bootstrap
prepare_ansible_test_cache() {
    # ansible-test builds its sanity virtualenvs with ~/.ansible/test/cache/get_pip_<ver>.py,
    # which it otherwise downloads from ci-files.testing.ansible.com (not reachable here).
    local pip_version cache stand_in
    pip_version="$("$PYTHON" - <<'PY'
import os, re
import ansible_test
source = os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")
match = re.search(r"default_packages = dict\(\s*pip='([^']+)'", open(source, encoding="utf-8").read())
print(match.group(1) if match else "")
PY
)"
    [ -n "$pip_version" ] || die "could not find the pip version ansible-test expects"
    cache="$HOME/.ansible/test/cache"
    stand_in="$cache/get_pip_${pip_version//./_}.py"
    local pip_wheels=()
    shopt -s nullglob
    pip_wheels=("$cache"/pip-"$pip_version"-*.whl)
    shopt -u nullglob
    if [ -f "$stand_in" ] && [ "${#pip_wheels[@]}" -gt 0 ]; then
        say "ansible-test: pip $pip_version bootstrap present in $cache"
        return
    fi
    mkdir -p "$cache"
    "$PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps \
        --only-binary=:all: --dest "$cache" "pip==$pip_version"
    cat >"$stand_in" <<PY
"""Offline stand-in for get-pip.py: installs pip $pip_version from the wheel beside this file."""
import glob
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
WHEEL = sorted(glob.glob(os.path.join(HERE, "pip-$pip_version-*.whl")))[-1]


def main():
    # get-pip.py options that pip itself does not know.
    args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
    args = [WHEEL if a.startswith("pip==") else a for a in args]
    sys.path.insert(0, WHEEL)
    from pip._internal.cli.main import main as pip_main
    sys.exit(pip_main(["install", "--upgrade", "--force-reinstall", "--no-index"] + args))


if __name__ == "__main__":
    main()
PY
    say "ansible-test: wrote $stand_in"
}

# ---------------------------------------------------------------- 5. mermaid
install_mermaid() {
    local dest="$REPO/.cache/mermaid"
    if [ -f "$dest/node_modules/mermaid/package.json" ] &&
        grep -q "\"version\": \"$MERMAID_VERSION\"" "$dest/node_modules/mermaid/package.json"; then
        say "mermaid: $MERMAID_VERSION present"
        return
    fi
    if ! command -v npm >/dev/null 2>&1; then
        if [ "$(id -u)" -ne 0 ] || [ "${SES_SKIP_APT:-0}" = "1" ]; then
            die "npm not found: install Node.js and npm"
        fi
        say "apt: installing npm"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm </dev/null >/dev/null
    fi
    say "mermaid: installing $MERMAID_VERSION into $dest"
    mkdir -p "$dest"
    # --ignore-scripts: the diagram test needs only the published dist/mermaid.min.js.
    # The npm registry is the one source outside PyPI and Debian: when it cannot be reached, say so
    # in a marker the diagram test reads (it then skips, naming the reason) instead of failing the set-up.
    if npm install --prefix "$dest" --no-audit --no-fund --ignore-scripts --loglevel=error \
        "mermaid@$MERMAID_VERSION" >/dev/null; then
        rm -f "$dest/UNAVAILABLE"
    else
        echo "npm install mermaid@$MERMAID_VERSION failed on $(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$dest/UNAVAILABLE"
        say "WARNING: mermaid could not be installed from the npm registry; the diagram browser test will skip"
    fi
}

write_env_file() {
    mkdir -p "$REPO/.cache"
    cat >"$REPO/.cache/env.sh" <<EOF
# Written by scripts/bootstrap.sh: the environment scripts/test.sh runs in.
export PATH="$PYTHON_BIN:\$PATH"
export ANSIBLE_COLLECTIONS_PATH="$DEV_COLLECTIONS_DIR:$COLLECTIONS_DIR"
export SES_COLLECTIONS_DIR="$COLLECTIONS_DIR"
export SES_PYTHON="$PYTHON"
export SES_TOOLS_BIN="$TOOLS_VENV/bin"
EOF
}

install_apt_packages
choose_python
install_python_packages
install_collections
prepare_ansible_test_cache
install_mermaid
write_env_file
say "done (python: $PYTHON; collections: $COLLECTIONS_DIR; environment: .cache/env.sh)"
