#!/usr/bin/env bash
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Runs the whole test suite, stage by stage, and ends with one summary line:
#
#   stages: N passed, M failed
#
# Every stage runs even when an earlier one failed; the exit status is non-zero
# when any stage failed. Needs root (the system tests and molecule scenarios
# build network namespaces).
#
#   scripts/test.sh            all stages
#   scripts/test.sh lint doc   only the named stages (see STAGES below)
#
# Stages:
#   pytest    python3 -m pytest tests/unit tests/system
#   sanity    ansible-test sanity, in a copy of the tree under ansible_collections/
#   units     ansible-test units, in the same copy
#   lint      ansible-lint --profile production
#   doc       ansible-galaxy collection build + install, then ansible-doc of every plugin and role;
#             the HTML docs site (scripts/docs_site.sh: antsibull-docs lint and build)
#   molecule  molecule test -s <scenario> for each extensions/molecule/<scenario>
#   core      every supported ansible-core release: unit subset + lab smoke (scripts/core_matrix.sh)

set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
STAGES=(pytest sanity units lint doc molecule core)
export ANSIBLE_TEST_PYTHON="3.11"
# A stage that hangs (a lost connection, a stuck namespace) is stopped so that
# the summary still comes; a molecule scenario gets its own, shorter limit.
export SES_STAGE_TIMEOUT="${SES_STAGE_TIMEOUT:-1200}"
export SES_SCENARIO_TIMEOUT="${SES_SCENARIO_TIMEOUT:-900}"

PASSED=()
FAILED=()
TIMINGS=()

banner() { printf '\n==== %s ====\n' "$*"; }

# run_stage NAME COMMAND...: runs one stage, times it and records PASS/FAIL.
run_stage() {
    local name="$1" started rc elapsed
    shift
    banner "stage $name: start"
    started=$SECONDS
    if [ "$name" = bootstrap ]; then
        "$@"
    else
        timeout --kill-after=30 "$SES_STAGE_TIMEOUT" bash -c "$*"
    fi
    rc=$?
    [ "$rc" -eq 124 ] && echo "stage $name: stopped after ${SES_STAGE_TIMEOUT}s (SES_STAGE_TIMEOUT)"
    elapsed=$((SECONDS - started))
    if [ "$rc" -eq 0 ]; then
        PASSED+=("$name")
        TIMINGS+=("$(printf 'PASS  %-9s %4ss' "$name" "$elapsed")")
    else
        FAILED+=("$name")
        TIMINGS+=("$(printf 'FAIL  %-9s %4ss  (exit %s)' "$name" "$elapsed" "$rc")")
    fi
    banner "stage $name: $([ "$rc" -eq 0 ] && echo PASS || echo "FAIL (exit $rc)") in ${elapsed}s"
}

summary() {
    banner "summary"
    printf '%s\n' "${TIMINGS[@]}"
    printf 'stages: %d passed, %d failed\n' "${#PASSED[@]}" "${#FAILED[@]}"
}

wanted() {
    local stage="$1" selected
    [ "${#SELECTED[@]}" -eq 0 ] && return 0
    for selected in "${SELECTED[@]}"; do
        [ "$selected" = "$stage" ] && return 0
    done
    return 1
}

# ---------------------------------------------------------------- stages
stage_pytest() {
    local dirs=() dir
    for dir in tests/unit tests/system; do
        [ -d "$REPO/$dir" ] && dirs+=("$dir")
    done
    if [ "${#dirs[@]}" -eq 0 ]; then
        echo "no tests/unit or tests/system: nothing to run"
        return 0
    fi
    (cd "$REPO" && "$SES_PYTHON" -m pytest -q -p no:cacheprovider "${dirs[@]}")
    local rc=$?
    # Exit 5 means "no tests collected": an empty test folder is not a failure.
    if [ "$rc" -eq 5 ]; then
        echo "pytest collected no tests in ${dirs[*]}"
        return 0
    fi
    return "$rc"
}

# ansible-test only works from inside ansible_collections/<namespace>/<name>, so
# it runs in a copy of the tree: the tracked and untracked-but-not-ignored files
# (just the tracked ones in a clean clone), or everything minus caches without git.
prepare_collection_copy() {
    mkdir -p "$COPY"
    # ansible-test puts only this ansible_collections tree on the collections path:
    # the dependencies (and ansible.posix's json callback) must sit beside the copy.
    local namespace
    for namespace in "$SES_COLLECTIONS_DIR"/ansible_collections/*; do
        [ "$(basename "$namespace")" = "ses_evolution" ] || ln -sfn "$namespace" "$WORK/ansible_collections/"
    done
    if git -C "$REPO" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        (cd "$REPO" && git ls-files -z --cached --others --exclude-standard |
            while IFS= read -r -d '' file; do
                # A tracked file deleted in the working tree is not part of it.
                if [ -e "$file" ] || [ -L "$file" ]; then printf '%s\0' "$file"; fi
            done | tar --null --files-from=- -cf -) | tar -C "$COPY" -xf -
    else
        tar -C "$REPO" --exclude=./.cache --exclude=./.ansible --exclude=./.pytest_cache \
            --exclude=./.benchmarks --exclude=./tests/output --exclude=__pycache__ -cf - . |
            tar -C "$COPY" -xf -
    fi
}

stage_sanity() {
    (cd "$COPY" && ansible-test sanity --local --python "$ANSIBLE_TEST_PYTHON" --color no)
}

stage_units() {
    if ! find "$COPY/tests/unit" -name 'test_*.py' -print -quit 2>/dev/null | grep -q .; then
        echo "no tests/unit/**/test_*.py: nothing to run"
        return 0
    fi
    (cd "$COPY" && ansible-test units --local --python "$ANSIBLE_TEST_PYTHON" --color no)
}

stage_lint() {
    (cd "$REPO" && ansible-lint --profile production --offline)
}

stage_doc() {
    local dist="$WORK/dist" installed="$WORK/installed" tarball failures=0
    (cd "$REPO" && ansible-galaxy collection build --output-path "$dist" .) || return 1
    tarball="$(find "$dist" -name 'ses_evolution-firewall-*.tar.gz' -print -quit)"
    [ -n "$tarball" ] || { echo "no tarball in $dist"; return 1; }
    # --force: the development path (.cache/env.sh) already holds this checkout as a link.
    # --no-deps: dependencies come from the bootstrap's collections, not Galaxy.
    ansible-galaxy collection install --force --no-deps --offline -p "$installed" "$tarball" || return 1
    # The installed copy and its dependencies only: not the link to this checkout.
    local namespace
    for namespace in "$SES_COLLECTIONS_DIR"/ansible_collections/*; do
        [ "$(basename "$namespace")" = "ses_evolution" ] || ln -sfn "$namespace" "$installed/ansible_collections/"
    done
    local root="$installed/ansible_collections/ses_evolution/firewall"

    local type listed names name file dir
    # Plugin types whose plugins ansible-doc must render (roles are checked below).
    for type in module filter test lookup inventory callback connection become cache vars strategy shell; do
        dir="$root/plugins/$([ "$type" = module ] && echo modules || echo "$type")"
        [ -d "$dir" ] || continue
        listed="$(ANSIBLE_COLLECTIONS_PATH="$installed" ansible-doc -t "$type" -l ses_evolution.firewall --json)" ||
            { echo "FAIL: ansible-doc -t $type -l ses_evolution.firewall"; failures=$((failures + 1)); continue; }
        names="$(printf '%s' "$listed" | "$SES_PYTHON" -c 'import json, sys; print("\n".join(sorted(json.load(sys.stdin))))')"
        # Every plugin file must show up under its own name (one plugin per file).
        for file in "$dir"/*.py; do
            [ -e "$file" ] || continue
            name="$(basename "$file" .py)"
            [ "$name" = "__init__" ] && continue
            if ! grep -qx "ses_evolution.firewall.$name" <<<"$names"; then
                echo "FAIL: plugins/${dir##*/plugins/}/$name.py: ansible-doc -t $type does not list ses_evolution.firewall.$name"
                failures=$((failures + 1))
            fi
        done
        [ -n "$names" ] || continue
        # One call for all plugins of the type; one per plugin only to name a failure.
        # shellcheck disable=SC2086  # names are FQCNs, one per line
        if ANSIBLE_COLLECTIONS_PATH="$installed" ansible-doc -t "$type" $names >/dev/null; then
            printf 'ok    ansible-doc -t '"$type"' %s\n' $names
            # Each page must be the plugin's own: a file holding several plugins shows one page for all.
            # shellcheck disable=SC2086
            ANSIBLE_COLLECTIONS_PATH="$installed" ansible-doc -t "$type" --json $names | "$SES_PYTHON" -c '
import json, sys
wrong = [name for name, page in json.load(sys.stdin).items()
         if ((page.get("doc") or {}).get("name") or (page.get("doc") or {}).get("module"))
         not in (name, name.split(".")[-1])]
for name in wrong:
    print("FAIL  ansible-doc -t %s %s shows another plugin'"'"'s page" % (sys.argv[1], name))
sys.exit(1 if wrong else 0)' "$type" || failures=$((failures + 1))
            continue
        fi
        while IFS= read -r name; do
            if ANSIBLE_COLLECTIONS_PATH="$installed" ansible-doc -t "$type" "$name" >/dev/null; then
                echo "ok    ansible-doc -t $type $name"
            else
                echo "FAIL  ansible-doc -t $type $name"
                failures=$((failures + 1))
            fi
        done <<<"$names"
    done
    for dir in "$root"/roles/*/; do
        [ -d "$dir" ] || continue
        name="ses_evolution.firewall.$(basename "$dir")"
        if ANSIBLE_COLLECTIONS_PATH="$installed" ansible-doc -t role "$name" >/dev/null &&
            ANSIBLE_COLLECTIONS_PATH="$installed" ansible-doc -t role --json "$name" | "$SES_PYTHON" -c '
import json, sys
pages = json.load(sys.stdin)
sys.exit(0 if list(pages) == [sys.argv[1]] and "main" in pages[sys.argv[1]].get("entry_points", {}) else 1)' "$name"; then
            echo "ok    ansible-doc -t role $name"
        else
            echo "FAIL  ansible-doc -t role $name"
            failures=$((failures + 1))
        fi
    done
    # The HTML docs site: antsibull-docs lint-collection-docs, then the build and its pages.
    bash "$REPO/scripts/docs_site.sh" "$WORK/docs-site" || failures=$((failures + 1))
    [ "$failures" -eq 0 ]
}

stage_core() {
    bash "$REPO/scripts/core_matrix.sh"
}

stage_molecule() {
    local scenarios=() dir failures=0
    for dir in "$REPO"/extensions/molecule/*/; do
        [ -f "$dir/molecule.yml" ] && scenarios+=("$(basename "$dir")")
    done
    if [ "${#scenarios[@]}" -eq 0 ]; then
        echo "no scenarios in extensions/molecule: nothing to run"
        return 0
    fi
    local scenario started rc
    for scenario in "${scenarios[@]}"; do
        banner "molecule scenario $scenario"
        started=$SECONDS
        # From the collection root: molecule finds extensions/molecule/ there, and
        # MOLECULE_PROJECT_DIRECTORY is the collection root.
        (cd "$REPO" && timeout --kill-after=30 "$SES_SCENARIO_TIMEOUT" molecule test -s "$scenario")
        rc=$?
        [ "$rc" -eq 124 ] && echo "molecule scenario $scenario: stopped after ${SES_SCENARIO_TIMEOUT}s (SES_SCENARIO_TIMEOUT)"
        echo "molecule scenario $scenario: $([ "$rc" -eq 0 ] && echo PASS || echo "FAIL (exit $rc)") in $((SECONDS - started))s"
        [ "$rc" -eq 0 ] || failures=$((failures + 1))
    done
    [ "$failures" -eq 0 ]
}

# ---------------------------------------------------------------- main
SELECTED=("$@")
for stage in "${SELECTED[@]}"; do
    case " ${STAGES[*]} " in
        *" $stage "*) ;;
        *) echo "unknown stage '$stage' (stages: ${STAGES[*]})" >&2; exit 2 ;;
    esac
done

run_stage bootstrap bash "$REPO/scripts/bootstrap.sh"
if [ "${#FAILED[@]}" -ne 0 ]; then
    summary
    exit 1
fi
# shellcheck source=/dev/null
source "$REPO/.cache/env.sh"
# Plain text: the output goes to CI logs.
export ANSIBLE_FORCE_COLOR=0 PY_COLORS=0 ANSIBLE_NOCOLOR=1 NO_COLOR=1

WORK="$(mktemp -d "${TMPDIR:-/tmp}/ses-firewall-test.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
COPY="$WORK/ansible_collections/ses_evolution/firewall"
export REPO WORK COPY
# The stages run in child shells (for the timeout).
export -f stage_pytest stage_sanity stage_units stage_lint stage_doc stage_molecule stage_core banner
if wanted sanity || wanted units; then
    prepare_collection_copy
fi

for stage in "${STAGES[@]}"; do
    wanted "$stage" && run_stage "$stage" "stage_$stage"
done

summary
[ "${#FAILED[@]}" -eq 0 ]
