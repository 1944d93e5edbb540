"""Graphs the CUDA backend's tests compile: the corpus, the passes' random graphs and row
functions (the LLVM backend's random graphs are drawn by hypothesis in the tests)."""

from __future__ import annotations

import graphc
from graphc import Graph, passes
from tests.backends.llvm.test_row_kernels import layer_norm, log_softmax, softmax
from tests.passes.corpus import CORPUS
from tests.passes.test_results_unchanged import random_graph


def fused(graph: Graph) -> Graph:
    """`graph` as `graphc.function(..., backend="cuda")` compiles it: -O1, then fused for CUDA."""
    return passes.run(passes.run(graph, "-O1"), "fuse{backend=cuda,vector-rows=false}")


def row_graphs() -> list[Graph]:
    x = graphc.placeholder("x", ("n", "m"))
    h = graphc.placeholder("h", (4, "m"), graphc.float16)
    d = graphc.placeholder("d", (3, 5, "m"), graphc.float64)
    b = graphc.placeholder("b", ("n", 1))
    return [Graph([x], [softmax(x), log_softmax(x), layer_norm(x)]),
            Graph([h], [softmax(h)]),
            Graph([d], [layer_norm(d, (1, 2)), softmax(d.T)]),
            Graph([x, b], [x * graphc.exp(b) - graphc.max(x, -1, keepdims=True)])]


def small_dtype_graphs() -> list[Graph]:
    """uint8, int8, int16 and bfloat16 in elementwise, reduce and row kernels."""
    graphs = []
    for dtype in (graphc.uint8, graphc.int8, graphc.int16):
        a, b = graphc.placeholder("a", ("n", 7), dtype), graphc.placeholder("b", ("n", 7), dtype)
        graphs.append(Graph([a, b], [a * b + a, graphc.maximum(a, b), a < b, a // b, a.float() + 0.5,
                                     graphc.max(a - b, 1), graphc.min(a, 0), graphc.sum(a * b, 1),
                                     graphc.abs(a) + graphc.sign(b)]))
    x, y = (graphc.placeholder(v, ("n", 9), graphc.bfloat16) for v in "xy")
    graphs.append(Graph([x, y], [x * y + 0.1, graphc.exp(x) / y, x.float() * 2, (x * 3).int(),
                                 graphc.sum(x * y, 1), graphc.max(x, 0), graphc.mean(x, 1), softmax(x)]))
    return graphs


def all_graphs() -> dict[str, Graph]:
    graphs = {f"corpus:{name}": build() for name, build in CORPUS.items()}
    graphs.update((f"dtypes:{k}", g) for k, g in enumerate(small_dtype_graphs()))
    graphs.update((f"random:{seed}", random_graph(seed)) for seed in range(8))
    graphs.update((f"rows:{k}", g) for k, g in enumerate(row_graphs()))
    return graphs
