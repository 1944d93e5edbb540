"""The CUDA C of a fused graph: the prelude, then one kernel per `kernel` node.

`graph_module(graph)` returns the source and the spec of each kernel (what its launcher
needs); `support_source()` is the module of support kernels every graph shares.
"""

from __future__ import annotations

from importlib import resources

from graphc.backends.cuda.codegen import elementwise_kernel, prelude
from graphc.backends.cuda.layout import KernelSpec, kernel_names, kernel_spec
from graphc.backends.cuda.reductions import reduce_kernel, row_kernel
from graphc.graph import Graph
from graphc.node import Node
from graphc.printer import value_names

EMITTERS = {"elementwise": elementwise_kernel, "reduce": reduce_kernel, "row": row_kernel}


def graph_module(graph: Graph) -> tuple[str, dict[Node, KernelSpec]]:
    """The module of `graph`'s kernels (its source) and each kernel node's spec."""
    printed = value_names(graph)
    kernels = [n for n in graph.nodes if n.op == "kernel"]
    names = kernel_names([(n, printed[n][1:]) for n in kernels])
    specs = {}
    parts = [prelude()]
    for node in kernels:
        kind = node.attr("kind")
        spec = kernel_spec(node.attr("body"), kind, names[node])
        title = f"{spec.name}: {printed[node]} = kernel (kind={kind}) of the compiled graph"
        parts.append("\n".join(EMITTERS[kind](spec, title)))
        specs[node] = spec
    return "\n\n".join(parts) + "\n", specs


def support_source() -> str:
    """The support kernels (support.cuh), after the prelude."""
    support = resources.files("graphc.backends.cuda").joinpath("support.cuh").read_text()
    return prelude() + "\n" + support
