"""How long the explorer takes to open a large graph in headless Chromium.

The graph: the gradient of a chain of K elementwise ops (K=5000 gives over 10,000 nodes), as
built, and again with its -O1 timeline and the LLVM backend's kernels. Each page is written to
a file and loaded in headless Chromium; the time is from navigation until the explorer has drawn
its first view (`window.graphc.ready`). Run it on a quiet machine:

    python bench/viz_explorer.py            # K=5000
    python bench/viz_explorer.py --ops 1000 --keep /tmp/pages
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import graphc
from graphc.graph import Graph
from graphc.viz.diff import all_nodes
from graphc.viz.headless import Page
from graphc.viz.html import explore, page


def chain_gradient(ops: int) -> Graph:
    """`sum(f_K(...f_1(x)))` and its gradient, f cycling through sin, tanh, *1.01, +0.5."""
    x = graphc.placeholder("x", ("n",))
    y = x
    for k in range(ops):
        y = (graphc.sin, graphc.tanh, lambda t: t * 1.01, lambda t: t + 0.5)[k % 4](y)
    loss = graphc.sum(y)
    return Graph([x], [loss, graphc.grad(loss, x)])


def measure(name: str, stages, folder: str, tab: Page) -> None:
    start = time.perf_counter()
    text = page(stages)
    written = time.perf_counter() - start
    path = os.path.join(folder, f"{name}.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    start = time.perf_counter()
    tab.open(path)
    tab.run("window.graphc.ready")
    opened = time.perf_counter() - start
    nodes = max(len(all_nodes(s.graph)) for s in stages.stages)
    drawn = tab.run("document.body.dataset.drawn")
    print(f"{name:28} {nodes:7d} nodes {len(stages.stages):3d} steps {len(text) / 1e6:6.1f} MB"
          f"  page written in {written:5.2f} s  opened in {opened:5.2f} s ({drawn} boxes drawn)")
    if tab.errors:
        raise SystemExit(f"the page reported errors: {tab.errors}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ops", type=int, default=5000, help="length K of the chain (default 5000)")
    parser.add_argument("--keep", metavar="DIR", help="write the pages here and keep them")
    args = parser.parse_args()
    folder = args.keep or tempfile.mkdtemp(prefix="graphc-viz-bench-")
    os.makedirs(folder, exist_ok=True)
    graph = chain_gradient(args.ops)
    with Page(width=1400, height=900, timeout=300) as tab:
        measure(f"gradient of a {args.ops}-op chain", explore(graph), folder, tab)
        start = time.perf_counter()
        stages = explore(graph, passes="-O1", backend="llvm")
        print(f"(-O1 and the llvm backend took {time.perf_counter() - start:.1f} s)")
        measure("the same, -O1 + llvm", stages, folder, tab)
    print(f"pages in {folder}")


if __name__ == "__main__":
    main()
