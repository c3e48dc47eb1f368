#!/usr/bin/env bash
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# The collection on every ansible-core release it supports, each in its own
# virtual environment on a Python that release supports:
#
#   scripts/core_matrix.sh              every version of MATRIX below
#   scripts/core_matrix.sh 2.16 2.21    only these
#
# For each version: a subset of the unit tests that drive Ansible itself (filter
# and module plugins, the hand-off lookup; the pure plugin_utils tests do not
# depend on ansible-core), then a lab smoke on the example fleet
# (examples/lab/inventory.yml) built as network namespaces named
# c<minor>-<pid>-<host>: report, migrate, verify with real traffic, the cleanup gate's refusal.
# A run fails on any failed test, failed play, or deprecation warning whose
# origin is this collection's own content.
#
# The virtual environments are kept under ~/.cache/ses_evolution_firewall/core
# (SES_CORE_VENVS) and reused: the first run downloads each ansible-core once.
# Needs root (the lab), the bootstrap's .cache/env.sh and pyenv's Pythons
# (/root/.pyenv/versions, or SES_PYENV_ROOT).

set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
VENVS="${SES_CORE_VENVS:-$HOME/.cache/ses_evolution_firewall/core}"
PYENV_ROOT="${SES_PYENV_ROOT:-/root/.pyenv/versions}"
# ansible-core minor -> the Python it runs on here (each inside the release's
# controller support: 2.16/2.17 up to 3.12, 2.18 3.11-3.13, 2.20+ 3.12+). 2.19 is
# not repeated here: it is requirements.txt's release, on which every other stage
# (the whole suite, the lab tests included) runs.
MATRIX=(
    "2.16 3.10"
    "2.17 3.11"
    "2.18 3.12"
    "2.20 3.12"
    "2.21 3.13"
)
UNIT_TESTS=(tests/unit/plugins/filter tests/unit/plugins/modules tests/unit/plugins/action/test_handoff.py)

say() { printf '\n=== core %s\n' "$*"; }

# shellcheck source=/dev/null
source "$REPO/.cache/env.sh" || { echo "core_matrix: run scripts/bootstrap.sh first" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "core_matrix: the lab builds network namespaces: run it as root" >&2; exit 2; }

# python_for MINOR: the X.Y.Z folder of pyenv's newest Python MINOR.
python_for() {
    local found
    found="$(find "$PYENV_ROOT" -maxdepth 1 -name "$1.*" -printf '%f\n' 2>/dev/null | sort -V | tail -n 1)"
    [ -n "$found" ] && [ -x "$PYENV_ROOT/$found/bin/python3" ] && echo "$PYENV_ROOT/$found/bin/python3"
}

# venv_for CORE PYTHON: prints the venv's bin folder, creating or completing it.
venv_for() {
    local core="$1" python="$2" venv
    venv="$VENVS/core-$core-py$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    if ! "$venv/bin/python" -c 'import ansible, pytest, hypothesis' >/dev/null 2>&1 ||
        [ "$("$venv/bin/python" -c 'import ansible.release as r; print(".".join(r.__version__.split(".")[:2]))')" != "$core" ]; then
        rm -rf "$venv"
        "$python" -m venv "$venv" >&2 || return 1
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
            "ansible-core~=$core.0" pytest hypothesis pytest-mock mock >&2 || return 1
    fi
    echo "$venv/bin"
}

# deprecations LOG: the deprecation warnings of LOG that this collection causes.
# ansible-core names the origin (a file of the collection, or the collection) in them.
deprecations() {
    grep -A3 -i 'DEPRECATION WARNING' "$1" | grep -E 'ses_evolution|/roles/|/playbooks/|skipped_reason|INJECT_FACTS_AS_VARS' || true
}

run_version() {
    local core="$1" pyminor="$2" python bin prefix scratch rc=0 log
    python="$(python_for "$pyminor")" || { echo "no Python $pyminor under $PYENV_ROOT"; return 1; }
    bin="$(venv_for "$core" "$python")" || { echo "could not make the ansible-core $core venv"; return 1; }
    "$bin/ansible" --version | head -n 1
    scratch="$(mktemp -d "${TMPDIR:-/tmp}/ses-core-$core.XXXXXX")"
    log="$scratch/ansible.log"
    (cd "$REPO" && PATH="$bin:$PATH" python -m pytest -q -p no:cacheprovider "${UNIT_TESTS[@]}") || rc=1

    # A prefix unique to this run and version (lab.py allows 10 characters).
    prefix="$(printf 'c%s-%04x-' "${core#2.}" $(($$ % 0x10000)))"
    export SES_LAB_STATE_ROOT="$scratch/state"
    if python3 "$REPO/tests/lab/lab.py" up "$REPO/examples/lab/inventory.yml" "$prefix" >/dev/null; then
        local inventories=(-i "$REPO/examples/lab/inventory.yml" -i "$scratch/state/$prefix/inventory.yml")
        local common=(-e linux_firewall_filter_outbound=true -e ses_serial=100% --forks 10)
        local play
        for play in report migrate verify; do
            printf 'ansible-core %s: %s ... ' "$core" "$play"
            if PATH="$bin:$PATH" ANSIBLE_DISPLAY_SKIPPED_HOSTS=false ANSIBLE_DEPRECATION_WARNINGS=true \
                ansible-playbook "ses_evolution.firewall.$play" "${inventories[@]}" "${common[@]}" \
                -e "ses_report_dir=$scratch/report" -e "ses_verify_report_dir=$scratch/verify" \
                >"$scratch/$play.log" 2>&1; then
                echo ok
            else
                echo FAIL; tail -n 30 "$scratch/$play.log"; rc=1
            fi
            cat "$scratch/$play.log" >>"$log"
        done
        # The cleanup gate and dry run: the example's ah2 and con1 run 2.6.3, so the gate must refuse them.
        printf 'ansible-core %s: cleanup (gate refuses ah2, con1) ... ' "$core"
        PATH="$bin:$PATH" ANSIBLE_DISPLAY_SKIPPED_HOSTS=false ANSIBLE_DEPRECATION_WARNINGS=true \
            ansible-playbook ses_evolution.firewall.cleanup "${inventories[@]}" "${common[@]}" >"$scratch/cleanup.log" 2>&1
        if grep -q "Cleanup refused: ah2, con1 " "$scratch/cleanup.log"; then
            echo ok
        else
            echo FAIL; tail -n 30 "$scratch/cleanup.log"; rc=1
        fi
        cat "$scratch/cleanup.log" >>"$log"
        python3 - "$scratch/verify/verify_report.json" <<'PY' || rc=1
import json, sys
report = json.load(open(sys.argv[1], encoding="utf-8"))
print("verify: %d passed, %d failed, %d skipped" % (report["passed"], report["failed"], report["skipped"]))
sys.exit(0 if report["passed"] and not report["failed"] else 1)
PY
    else
        echo "could not build the lab"; rc=1
    fi
    python3 "$REPO/tests/lab/lab.py" down "$prefix" >/dev/null 2>&1
    local own
    own="$(deprecations "$log")"
    if [ -n "$own" ]; then
        echo "FAIL: deprecation warnings from the collection's content on ansible-core $core:"
        echo "$own"
        rc=1
    fi
    rm -rf "$scratch"
    return "$rc"
}

wanted=("$@")
failed=()
for entry in "${MATRIX[@]}"; do
    read -r core pyminor <<<"$entry"
    if [ "${#wanted[@]}" -gt 0 ] && [[ " ${wanted[*]} " != *" $core "* ]]; then
        continue
    fi
    say "$core on Python $pyminor"
    started=$SECONDS
    if run_version "$core" "$pyminor"; then
        echo "ansible-core $core: PASS in $((SECONDS - started))s"
    else
        echo "ansible-core $core: FAIL in $((SECONDS - started))s"
        failed+=("$core")
    fi
done
[ "${#failed[@]}" -eq 0 ] || { echo "core matrix: failed on ${failed[*]}"; exit 1; }
echo "core matrix: every version passed"
