#!/usr/bin/env bash
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# The collection's HTML docs site, built with antsibull-docs and Sphinx:
# every plugin and role page (from their DOCUMENTATION and argument specs), and
# the guides of docs/ (Markdown, through myst-parser), then checked.
#
#   scripts/docs_site.sh [OUTPUT_DIR]     default .cache/docs-site; open OUTPUT_DIR/build/html/index.html
#
# Needs the bootstrap's .cache/env.sh (the tools' virtual environment holds
# antsibull-docs, Sphinx and the theme). Also runs antsibull-docs
# lint-collection-docs, which must pass.

set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
# shellcheck source=/dev/null
source "$REPO/.cache/env.sh" || { echo "docs_site: run scripts/bootstrap.sh first" >&2; exit 2; }
OUT="$(mkdir -p "${1:-$REPO/.cache/docs-site}" && cd "${1:-$REPO/.cache/docs-site}" && pwd -P)"
# The tools' venv has no ansible-core: antsibull-docs asks the controller's ansible-doc.
export PATH="$PATH:$SES_TOOLS_BIN"
ANTSIBULL="$SES_TOOLS_BIN/antsibull-docs"

echo "docs site: lint-collection-docs"
"$ANTSIBULL" lint-collection-docs --plugin-docs "$REPO"

echo "docs site: sphinx-init into $OUT"
rm -rf "${OUT:?}"/*
"$ANTSIBULL" sphinx-init --use-current --dest-dir "$OUT" --project "ses_evolution.firewall" \
    --title "ses_evolution.firewall" ses_evolution.firewall >/dev/null

# What the generated build.sh does, in two steps, so that the guides go in between.
echo "docs site: antsibull-docs collection"
mkdir -p "$OUT/rst"
chmod og-w "$OUT/rst"  # antsibull-docs wants the folder readable by itself only
(cd "$OUT" && "$ANTSIBULL" --config-file antsibull-docs.cfg collection --cleanup everything --use-current \
    --dest-dir rst ses_evolution.firewall >/dev/null)

# The guides: docs/*.md under rst/guides, with a page that lists them, rendered by myst-parser.
mkdir -p "$OUT/rst/guides"
cp "$REPO"/docs/*.md "$OUT/rst/guides/"
{
    # The runbook first, then the guides in reading order, then any other.
    ordered=" runbook architecture matrix report linux windows lab verify cleanup awx security performance testing "
    printf 'Guides\n======\n\n.. toctree::\n   :maxdepth: 1\n\n'
    for guide in $ordered; do
        if [ -f "$OUT/rst/guides/$guide.md" ]; then printf '   %s\n' "$guide"; fi
    done
    for file in "$OUT"/rst/guides/*.md; do
        guide="$(basename "$file" .md)"
        if [[ "$ordered" != *" $guide "* ]]; then printf '   %s\n' "$guide"; fi
    done
} >"$OUT/rst/guides/index.rst"
printf '\n.. toctree::\n   :maxdepth: 2\n   :caption: Guides\n\n   guides/index\n' >>"$OUT/rst/index.rst"
cat >>"$OUT/conf.py" <<'PY'

# The guides of docs/ are Markdown.
extensions.append('myst_parser')
source_suffix = {'.rst': 'restructuredtext', '.md': 'markdown'}
# Links between the guides (runbook.md) and to the repository's files stay as written.
# ref.ref: the labels of the Ansible docsite (action_plugins, common_return_values,
# ansible.builtin and community.windows pages) resolve only through intersphinx, which
# downloads docs.ansible.com's inventory: not reachable where this is built.
# misc.highlighting_failure: sample output blocks (tables, mermaid) shown as plain text.
suppress_warnings = ['myst.xref_missing', 'myst.header', 'ref.ref', 'misc.highlighting_failure']
# No inventories to download (docs.ansible.com is not reachable where this is built).
intersphinx_mapping = {}
PY

echo "docs site: sphinx-build"
# -W: a warning (a broken reference, a bad page) fails the build.
(cd "$OUT" && "$SES_TOOLS_BIN/sphinx-build" -M html rst build -c . -W --keep-going >"$OUT/build.log" 2>&1) ||
    { tail -n 40 "$OUT/build.log"; exit 1; }

# Every plugin and role has its page, and every guide.
missing=0
html="$OUT/build/html/collections/ses_evolution/firewall"
for file in "$REPO"/plugins/*/*.py "$REPO"/roles/*/; do
    name="$(basename "$file" .py)"
    case "$file" in
        # Action plugins serve their module, whose page documents them; a doc fragment's options
        # appear on the pages of the plugins that extend it.
        */plugin_utils/* | */module_utils/* | */action/* | */doc_fragments/* | */__init__.py) continue ;;
        */roles/*) page="$html/${name}_role.html" ;;
        */modules/*) page="$html/${name}_module.html" ;;
        *) type="$(basename "$(dirname "$file")")"; page="$html/${name}_${type}.html" ;;
    esac
    [ -f "$page" ] || { echo "FAIL: no page $page"; missing=$((missing + 1)); }
done
for file in "$REPO"/docs/*.md; do
    page="$OUT/build/html/guides/$(basename "$file" .md).html"
    [ -f "$page" ] || { echo "FAIL: no page $page"; missing=$((missing + 1)); }
done
[ "$missing" -eq 0 ] || exit 1
echo "docs site: $(find "$OUT/build/html" -name '*.html' | wc -l) pages in $OUT/build/html"
