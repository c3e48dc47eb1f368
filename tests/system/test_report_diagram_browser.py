# -*- coding: utf-8 -*-
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every Mermaid block of the report, rendered by the real mermaid library in headless Chromium.

The blocks: the example fleet's report (migrate and cleanup), every Mermaid block
of docs/, and the report of a generated fleet of 200 servers and 2,000 agents
(tests/system/scale_fleet.py). mermaid.min.js comes from the npm registry
(scripts/bootstrap.sh installs it under .cache/mermaid), Chromium from Debian's
``chromium`` package. A block mermaid cannot parse or render fails the test; a
broken block proves the check can fail. Screenshots (one PNG per block) and the
pages are kept under SES_ARTIFACTS (default .cache/artifacts)/mermaid for a person
to look at.
"""

from __future__ import annotations

import glob
import html
import json
import os
import re
import shutil
import subprocess

import pytest
import scale_fleet

from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.matrix import compute_matrix
from ansible_collections.ses_evolution.firewall.plugins.plugin_utils.report import render_markdown
from ansible_collections.ses_evolution.firewall.tests.unit.plugins.plugin_utils import example_fleet

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

MERMAID_JS = os.environ.get("SES_MERMAID_JS") or os.path.join(
    ROOT, ".cache", "mermaid", "node_modules", "mermaid", "dist", "mermaid.min.js")
ARTIFACTS = os.path.join(os.environ.get("SES_ARTIFACTS") or os.path.join(ROOT, ".cache", "artifacts"), "mermaid")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BLOCK = re.compile(r"^```mermaid\n(.*?)^```$", re.S | re.M)
# A block mermaid refuses: the check must report it.
BROKEN = "flowchart LR\n    a -->|\"tcp/443\" b\n"

PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><script src="mermaid.min.js"></script></head>
<body style="background: white">
<pre id="status">pending</pre>
<div id="out"></div>
<script>
const blocks = %s;
mermaid.initialize({startOnLoad: false, securityLevel: "strict", maxEdges: 2000});
(async () => {
  const results = [];
  for (const [name, text] of blocks) {
    try {
      await mermaid.parse(text);
      const {svg} = await mermaid.render("d" + results.length, text);
      const box = document.createElement("div");
      box.innerHTML = svg;
      document.getElementById("out").appendChild(box);
      results.push([name, "ok", ""]);
    } catch (error) {
      results.push([name, "error", String(error && error.message || error)]);
    }
  }
  document.getElementById("status").textContent = "RESULTS " + JSON.stringify(results);
})();
</script></body></html>
"""

# Written by scripts/bootstrap.sh when the npm registry (the one source outside PyPI and Debian) failed.
UNAVAILABLE = os.path.join(ROOT, ".cache", "mermaid", "UNAVAILABLE")

if not (CHROMIUM and os.path.isfile(MERMAID_JS)):
    # CI installs both (scripts/bootstrap.sh): there, a missing one is a failure, not a skip, unless the
    # bootstrap recorded that the npm registry could not be reached.
    if os.path.isfile(UNAVAILABLE) and CHROMIUM:
        with open(UNAVAILABLE, encoding="utf-8") as handle:
            pytest.skip("mermaid.min.js is missing: %s" % handle.read().strip(), allow_module_level=True)
    if os.environ.get("CI"):
        pytest.fail("chromium or %s is missing: run scripts/bootstrap.sh" % MERMAID_JS, pytrace=False)
    pytest.skip("needs Debian's chromium and mermaid.min.js (scripts/bootstrap.sh installs both)",
                allow_module_level=True)


def blocks_of(text):
    return [match.group(1) for match in BLOCK.finditer(text)]


def large_fleet_matrix():
    inventory = scale_fleet.fleet(agents=2000, servers=200)
    groups, hostvars = {}, {}
    for group, content in inventory["all"]["children"].items():
        groups[group] = list(content["hosts"])
        for name, variables in content["hosts"].items():
            if variables is not None:
                hostvars[name] = dict(inventory["all"]["vars"], **variables)
    return compute_matrix(groups, hostvars)


def all_blocks():
    """[(name, Mermaid text)] of every block under test."""
    blocks = []
    for phase in ("migrate", "cleanup"):
        matrix = compute_matrix(example_fleet.GROUPS, example_fleet.HOSTVARS, phase=phase)
        blocks += [("example-%s-%d" % (phase, index), text)
                   for index, text in enumerate(blocks_of(render_markdown(matrix)))]
    for path in sorted(glob.glob(os.path.join(ROOT, "docs", "*.md"))):
        with open(path, encoding="utf-8") as handle:
            blocks += [("docs-%s-%d" % (os.path.basename(path)[:-3], index), text)
                       for index, text in enumerate(blocks_of(handle.read()))]
    large = blocks_of(render_markdown(large_fleet_matrix()))
    blocks += [("fleet-200-servers-2000-agents-%d" % index, text) for index, text in enumerate(large)]
    return blocks


def chromium(*arguments):
    command = [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--allow-file-access-from-files", "--hide-scrollbars", "--virtual-time-budget=30000",
               "--user-data-dir=" + os.path.join(ARTIFACTS, ".profile")] + list(arguments)
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=240)


def write_page(name, blocks):
    page = os.path.join(ARTIFACTS, name + ".html")
    with open(page, "w", encoding="utf-8") as handle:
        handle.write(PAGE % json.dumps(blocks).replace("</", "<\\/"))
    return page


def render(name, blocks):
    """Renders ``blocks`` ([(name, text)]) on one page; {block name: (status, message)}."""
    result = chromium("--dump-dom", "file://" + write_page(name, blocks))
    status = re.search(r'<pre id="status">(.*?)</pre>', result.stdout, re.S)
    assert status and status.group(1).startswith("RESULTS "), \
        "the page did not finish rendering:\n%s\n%s" % (result.stdout[-2000:], result.stderr[-2000:])
    return {block: (state, message) for block, state, message in json.loads(html.unescape(status.group(1)[8:]))}


@pytest.fixture(scope="module", name="artifacts")
def fixture_artifacts():
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    os.makedirs(ARTIFACTS)
    shutil.copy(MERMAID_JS, os.path.join(ARTIFACTS, "mermaid.min.js"))
    return ARTIFACTS


def test_a_block_mermaid_refuses_is_reported(artifacts):
    results = render("control", [("broken", BROKEN)])
    assert results["broken"][0] == "error", results


def test_every_mermaid_block_renders_in_a_real_browser(artifacts):
    blocks = all_blocks()
    names = [name for name, _text in blocks]
    assert any(name.startswith("example-migrate") for name in names)
    assert any(name.startswith("docs-report") for name in names)
    assert any(name.startswith("fleet-200-servers") for name in names)
    results = render("all", blocks)
    failed = {name: message for name, (state, message) in results.items() if state != "ok"}
    assert not failed, failed
    assert sorted(results) == sorted(names)
    # One screenshot per block, each on its own page, for a person to read.
    for name, text in blocks:
        shot = os.path.join(artifacts, name + ".png")
        result = chromium("--screenshot=" + shot, "--window-size=1600,1000",
                          "file://" + write_page(name, [(name, text)]))
        assert os.path.getsize(shot) > 5000, result.stderr[-2000:]


def test_the_large_fleet_diagram_stays_small():
    """200 servers: one node per component group, not one per host (117 lines of crossing edges before)."""
    (text,) = blocks_of(render_markdown(large_fleet_matrix()))
    lines = text.splitlines()
    nodes = [line for line in lines if re.match(r"^    g\d+\[", line)]
    edges = [line for line in lines if re.match(r"^    \w+ (-->|-\.->|==>)\|", line)]
    # scale_fleet's shares: 20 co-located backends, 140 agent handlers, 24 consoles, 8 SQL, 8 syslog servers.
    assert [re.search(r'\["([^"<]+)', line).group(1) for line in nodes] == [
        "20 co-located backends", "140 agent handlers", "24 consoles", "8 SQL servers", "8 syslog servers"]
    assert len(edges) <= 30, "\n".join(edges)
    # The co-located backends reach each other (vendor's table: 443 in 2.6, 8443 from 2.7.1): a line of
    # their node, not a loop back to it, which mermaid drew with both labels piled on one curve.
    assert not [line for line in edges if line.split()[0] == line.split()[-1]], "\n".join(edges)
    assert nodes[0] == '    g0["20 co-located backends<br/>between these hosts: tcp/443 (legacy), tcp/8443 (new)"]'
