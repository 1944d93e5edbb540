"""Remake the explorer screenshots in this folder with headless Chromium.

    PYTHONPATH=. python docs/img/screenshots.py

explorer-softmax.png: the softmax of examples/explore.py with its gradient after fusion: scopes
open, kernels closed and coloured by measured time, the gradient's row kernel selected (its body
and LLVM IR in the panel).
explorer-timeline.png: the simplify step of its -O1 timeline, zoomed to the node the pass rewrote
(what it rewrote, added, rebuilt over new operands and removed listed in the panel).
"""

from __future__ import annotations

import importlib.util
import os
import tempfile

from graphc.viz.headless import Page

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.normpath(os.path.join(HERE, "..", "..", "examples", "explore.py"))


def _example():
    spec = importlib.util.spec_from_file_location("explore", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    page = os.path.join(tempfile.mkdtemp(prefix="graphc-shots-"), "softmax.html")
    _example().main(page)
    with Page(width=1600, height=1000) as tab:
        tab.open(page)
        tab.run("window.graphc.ready")
        tab.run("""(async () => {
            document.querySelector('#changes input').click();
            document.querySelector('#times input').click();
            const state = window.graphc.state;
            const groups = [...state.view.groups.values()];
            state.open = new Set(groups.filter((g) => g.kind !== 'kernel').map((g) => g.key));
            await window.graphc.redraw();
            const row = DOC.kernels.find((k) => k.kind === 'row' && DOC.nodes[k.node].gradient);
            await window.graphc.select(String(row.node));
            document.getElementById('fit').click();
        })()""")
        tab.screenshot(os.path.join(HERE, "explorer-softmax.png"))
        tab.open(page)
        tab.run("window.graphc.ready")
        tab.run("""(async () => {
            const k = DOC.steps.findIndex((s) => s.name.startsWith('simplify'));
            document.querySelector(`#timeline .step[data-step="${k}"]`).click();
            await window.graphc.idle();
            await window.graphc.select(String(DOC.steps[k].rewritten[0][0]));
            document.getElementById('summary').click();
        })()""")
        tab.screenshot(os.path.join(HERE, "explorer-timeline.png"))
        if tab.errors:
            raise SystemExit(f"the page reported errors: {tab.errors}")


if __name__ == "__main__":
    main()
