#!/usr/bin/env bash
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# The README's main job, on the bundled example fleet: builds the fleet as a lab of
# network namespaces on this machine (examples/lab/inventory.yml: a co-located
# backend + agent handler, a separate agent handler, a console, an SQL server, a
# syslog server, an old and a new agent), applies the migrate rules with
# ses_evolution.firewall.migrate, proves them with real traffic with
# ses_evolution.firewall.verify, and prints the verify table.
#
#   scripts/example.sh          build the lab, migrate, verify (run as root)
#   scripts/example.sh down     tear the lab down
#   scripts/example.sh status   show the lab
#
# Lab traffic never leaves the machine: the namespaces have no default route.
# Settings (environment variables, all optional):
#   SES_LAB_INVENTORY  inventory to build the lab from (default examples/lab/inventory.yml)
#   SES_LAB_PREFIX     prefix of the lab's namespaces (default lab-)
#   SES_LAB_BACKEND    nftables (default) or iptables

set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
INVENTORY="${SES_LAB_INVENTORY:-$REPO/examples/lab/inventory.yml}"
PREFIX="${SES_LAB_PREFIX:-lab-}"
BACKEND="${SES_LAB_BACKEND:-nftables}"
LAB=("$REPO/tests/lab/lab.py")

say() { printf '\n=== %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
    echo "example.sh: the lab builds network namespaces: run it as root" >&2
    exit 2
fi

# The environment bootstrap.sh prepared (PATH to its virtual environment, collections path).
load_env() {
    if [ -f "$REPO/.cache/env.sh" ]; then
        # shellcheck disable=SC1091
        source "$REPO/.cache/env.sh"
    fi
}

tools_ready() {
    command -v ansible-playbook >/dev/null 2>&1 && command -v ip >/dev/null 2>&1 \
        && command -v nft >/dev/null 2>&1 && command -v iptables-restore >/dev/null 2>&1 \
        && ansible-doc -t module ses_evolution.firewall.port_matrix >/dev/null 2>&1
}

load_env
case "${1:-up}" in
    down)
        exec python3 "${LAB[@]}" down "$PREFIX"
        ;;
    status)
        exec python3 "${LAB[@]}" status "$PREFIX"
        ;;
    up) ;;
    *)
        echo "usage: scripts/example.sh [up|down|status]" >&2
        exit 2
        ;;
esac

if ! tools_ready; then
    if [ -x "$REPO/scripts/bootstrap.sh" ]; then
        say "installing what is missing (scripts/bootstrap.sh)"
        "$REPO/scripts/bootstrap.sh"
        load_env
    fi
    if ! tools_ready; then
        echo "example.sh: ansible-playbook, ip, nft, iptables-restore and the collection ses_evolution.firewall" \
             "are needed; run scripts/bootstrap.sh" >&2
        exit 1
    fi
fi

say "building the lab from $INVENTORY (prefix $PREFIX)"
python3 "${LAB[@]}" up "$INVENTORY" "$PREFIX"
STATE="$(python3 "${LAB[@]}" state-dir "$PREFIX")"
python3 "${LAB[@]}" status "$PREFIX"

export ANSIBLE_DISPLAY_SKIPPED_HOSTS=false
PLAYBOOK_ARGS=(-i "$INVENTORY" -i "$STATE/inventory.yml"
               -e "{\"linux_firewall_backend\": \"$BACKEND\", \"linux_firewall_filter_outbound\": true}")

say "migrate: old and new rules on every host ($BACKEND)"
ansible-playbook ses_evolution.firewall.migrate "${PLAYBOOK_ARGS[@]}"

say "verify: real connections between the lab hosts"
rc=0
ansible-playbook ses_evolution.firewall.verify "${PLAYBOOK_ARGS[@]}" -e "ses_verify_report_dir=$STATE/verify" || rc=$?

say "verify table (also in $STATE/verify/verify_report.json)"
if [ -f "$STATE/verify/verify_report.json" ]; then
    python3 - "$STATE/verify/verify_report.json" <<'EOF'
import json
import sys

with open(sys.argv[1], encoding="utf-8") as handle:
    report = json.load(handle)
print("\n".join(report["table"]))
print("phase %s: %d passed, %d failed, %d skipped"
      % (report["phase"], report["passed"], report["failed"], report["skipped"]))
EOF
fi
if [ "$rc" -eq 0 ]; then
    echo "The lab is still up: explore it with 'ip netns exec ${PREFIX}con1 bash', tear it down with 'scripts/example.sh down'."
else
    echo "verify failed (exit $rc): see the rows marked FAIL. Tear the lab down with 'scripts/example.sh down'." >&2
fi
exit "$rc"
