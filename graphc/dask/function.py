"""`graphc.dask.compile`: a graphc graph as a function from Dask arrays to Dask arrays."""

from __future__ import annotations

import math

import dask.array as da
import numpy as np

from graphc.dask.chunks import ChunkPlan, lone_op_body, plan_chunks
from graphc.dask.lower import Lowering, lower
from graphc.function import Function
from graphc.graph import Graph
from graphc.kernel import REDUCE_OPS
from graphc.node import Node
from graphc.ops import VIEW_OPS, is_elementwise


def block_local(llvm_fusible):
    """The fusion predicate: what the LLVM backend compiles in a kernel, less the views that
    move elements between blocks (reshape, transpose, getitem, flip), which Dask runs."""

    def fusible(node: Node) -> bool:
        return llvm_fusible(node) and (node.op not in VIEW_OPS or node.op == "broadcast_to")

    return fusible


class DaskFunction:
    """A graph compiled for Dask: call it with Dask arrays, get lazy Dask arrays back.

    `graph` is the fused graph it runs: each kernel runs its compiled body on every block
    (graphc.dask.kernels), every other op is the matching dask.array operation.
    """

    def __init__(self, graph: Graph, returns_list: bool):
        from graphc.backends.signature import Signature
        from graphc.passes.fuse import fuse
        from graphc.targets import fusion_predicate

        self.signature = Signature(graph)
        # a 1-d array is one row in a row kernel: that would gather it into one block
        self.graph = fuse(graph, block_local(fusion_predicate("llvm")), vector_rows=False)
        self.returns_list = returns_list
        self.plans: dict[Node, ChunkPlan] = {}
        for node in self.graph.nodes[len(self.graph.inputs):]:
            if node.op == "kernel":
                self.plans[node] = plan_chunks(node.attr("body"), node.attr("kind"))
            elif is_elementwise(node.op) or node.op in REDUCE_OPS:
                self.plans[node] = plan_chunks(*lone_op_body(node))

    def __call__(self, *args) -> da.Array | list[da.Array]:
        arrays = [a if isinstance(a, da.Array) else da.asarray(a) for a in args]
        for k, array in enumerate(arrays):
            if any(math.isnan(size) for size in array.shape):
                raise ValueError(f"argument {self.signature.names[k]!r} has chunks of unknown size;"
                                 " call .compute_chunk_sizes() on it first")
        # The compiled call's own checks, on zero-stride stand-ins of the arrays' shapes.
        stand_ins = tuple(np.broadcast_to(np.empty((), a.dtype), a.shape) for a in arrays)
        _, symbols = self.signature.bind(stand_ins)
        outputs = lower(self.graph, arrays, Lowering(symbols, self.plans, {}))
        return outputs if self.returns_list else outputs[0]

    def __repr__(self) -> str:
        return f"<graphc.dask function: {len(self.plans)} kernels, {len(self.graph)} nodes>"


def compile(fn_or_graph: Function | Graph, passes: str = "-O1") -> DaskFunction:  # noqa: A001
    """Run a graphc Function (its optimised graph) or a Graph on Dask arrays.

    A Graph first goes through `passes`; it returns a list of outputs, a Function what its
    call returns (one array or a list).
    """
    if isinstance(fn_or_graph, Function):
        return DaskFunction(fn_or_graph.graph, fn_or_graph.returns_list)
    if isinstance(fn_or_graph, Graph):
        graph = fn_or_graph
        if passes:
            from graphc.passes import run as run_pipeline

            graph = run_pipeline(graph, passes)
        return DaskFunction(graph, returns_list=True)
    raise TypeError(f"graphc.dask.compile takes a graphc.Function or a graphc.Graph,"
                    f" got {type(fn_or_graph).__name__}")
