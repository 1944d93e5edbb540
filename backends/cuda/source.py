"""The CUDA C of a fused graph: the prelude, then one kernel per `kernel` node.

`graph_module(graph)` returns the source and the spec of each kernel (what its launcher
needs), `compile_graph_module` compiles it without register spills; `support_source()` is the
module of support kernels every graph shares.
"""

from __future__ import annotations

from importlib import resources

from graphc.backends.cuda import nvrtc
from graphc.backends.cuda.codegen import MIN_BLOCKS, elementwise_kernel, prelude
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


def compile_graph_module(source: str, arch: str) -> nvrtc.Compiled:
    """`source` (of `graph_module`) compiled for `arch`, again for as long as a kernel spills
    registers to local memory, with half as many blocks per SM for each kernel that did (so
    twice the registers per thread: 64, 128, then 255). A kernel that fits in 64 registers keeps
    the occupancy of MIN_BLOCKS; a long float64 body gets the registers it needs."""
    blocks: dict[str, int] = {}
    while True:
        defines = tuple(f"GC_MIN_BLOCKS_{k}={v}" for k, v in sorted(blocks.items()))
        compiled = nvrtc.compile_module(source, arch, defines=defines)
        spilled = [k for k, usage in compiled.spills.items()
                   if usage.registers is not None and blocks.get(k, MIN_BLOCKS) > 1]
        if not spilled:
            return compiled
        for k in spilled:
            blocks[k] = blocks.get(k, MIN_BLOCKS) // 2


def support_source() -> str:
    """The support kernels (support.cuh), after the prelude."""
    support = resources.files("graphc.backends.cuda").joinpath("support.cuh").read_text()
    return prelude() + "\n" + support
