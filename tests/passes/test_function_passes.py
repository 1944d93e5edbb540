"""graphc.function runs -O1 by default; big graphs go through the pipeline without recursion."""

from __future__ import annotations

import sys
import time

import numpy as np

import graphc as gc
from graphc import passes


def test_function_runs_o1_by_default_and_keeps_the_optimised_graph():
    x = gc.placeholder("x", ("n",))
    f = gc.function([x], (x * 1.0 + 0.0) * gc.full((), 2.0))
    assert f.passes == "-O1"
    assert [n.op for n in f.graph.nodes] == ["placeholder", "scalar", "mul"]
    np.testing.assert_array_equal(f(np.arange(3, dtype=np.float32)), [0, 2, 4])


def test_empty_passes_compiles_the_graph_as_built():
    x = gc.placeholder("x", (3,))
    f = gc.function([x], x * 1.0, passes="")
    assert [n.op for n in f.graph.nodes] == ["placeholder", "scalar", "mul"]


def test_function_takes_any_pipeline():
    x = gc.placeholder("x", (3,))
    f = gc.function([x], [x - x, gc.exp(gc.log(x))], passes="simplify{fast-math=true},dce")
    assert f.graph.outputs[1] is x._node


def test_gradient_graphs_are_cleaned_up_by_o1():
    from graphc.passes.autodiff import vjp_nodes
    from graphc.passes.rewrite import filled

    x, w = gc.placeholder("x", (4,)), gc.placeholder("w", (4,))
    y = gc.sum(x * w + w * x)
    (gw,) = vjp_nodes([y._node], [filled(1, y._node)], [w._node])
    raw = gc.Graph([x, w], [gw])
    f = gc.function([x, w], gc.Tensor(gw))
    assert len(f.graph) < len(raw)
    xs, ws = np.arange(4, dtype=np.float32), np.ones(4, np.float32)
    np.testing.assert_array_equal(f(xs, ws), 2 * xs)


def _chain(n_nodes: int):
    x = gc.placeholder("x", (2,))
    y = x
    for k in range(n_nodes // 3):
        y = gc.sin(y) * 1.0 + float(k % 5)
    return gc.Graph([x], [y])


def test_a_100000_node_graph_goes_through_o1_without_recursion():
    graph = _chain(100_000)
    assert len(graph) >= 100_000
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(400)  # far below the graph's depth: any recursion over it fails
    try:
        out = passes.run(graph, "-O1", verify_each=False)
    finally:
        sys.setrecursionlimit(limit)
    steps = 100_000 // 3
    adds_of_zero = (steps + 4) // 5
    # every `* 1.0` and `+ 0.0` is gone, and the literal 1.0 with them
    assert len(out) == len(graph) - steps - adds_of_zero - 1
    assert not any(n.op == "mul" for n in out.nodes)


def test_o1_time_grows_about_linearly():
    small, large = _chain(1_000), _chain(10_000)
    timings = []
    for graph in (small, large):
        start = time.perf_counter()
        passes.run(graph, "-O1", verify_each=False)
        timings.append(time.perf_counter() - start)
    assert timings[1] < 40 * timings[0] + 0.5
