"""What runs on one Dask block: a kernel's body over chunk-sized symbolic shapes.

A kernel of the fused graph computes over its iteration space; on Dask it runs once per
block of that space. `plan_chunks` rebuilds its body over fresh placeholders whose every
dimension is a symbol, `c0, c1, ...` for the axes of the space (1 where the operand is
broadcast along that axis), so one compiled function serves every block shape, uneven
edge blocks included. An axis that no operand spans (a scalar broadcast into the space)
gets a one-dimensional bool operand `s{i}` that only binds its size. The rebuilt graph
ships to workers as text (`ChunkKernel`) and is compiled once per process, on first use.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from graphc import dtypes
from graphc.function import restore
from graphc.graph import Graph
from graphc.kernel import REDUCE_OPS, kernel_input
from graphc.node import Node, TensorType
from graphc.ops import make, make_leaf
from graphc.rows import row_axes, row_shape_of
from graphc.shapes import Dim, Shape, symbol


@dataclass(frozen=True)
class ChunkKernel:
    """A graph in text form, called on blocks; compiled (LLVM) once per process by its text.

    It pickles as its text, so the scheduler, which unpickles task graphs, never compiles it;
    a worker compiles it on its first block (`graphc.function.restore` memoises it) and finds
    the machine code in the LLVM disk cache when a new worker process starts.
    """

    text: str
    outputs: int

    def __call__(self, *blocks: np.ndarray) -> np.ndarray | tuple[np.ndarray, ...]:
        results = restore(self.text, "llvm", single=self.outputs == 1)(*blocks)
        return results if self.outputs == 1 else tuple(results)

    def __dask_tokenize__(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


@dataclass(frozen=True)
class ChunkPlan:
    """How one kernel maps onto blocks of its iteration space (axes numbered 0..rank-1)."""

    kernel: ChunkKernel
    kind: str  # "elementwise", "row" or "reduce", as the kernel's
    space: Shape  # the iteration space, in the symbols of the whole graph
    operand_axes: tuple[tuple[int, ...], ...]  # each operand's dimensions, as axes of the space
    spans: tuple[int, ...]  # axes that a 1-d bool operand spans (no operand does)
    axes: tuple[int, ...]  # reduce: the reduced axes; row: the row axes (whole in every block)
    outputs: tuple[TensorType, ...]  # the kernel's output types
    reduction: Node | None = None  # reduce: the body's reduction (its op, keepdims, dtype)
    combine: ChunkKernel | None = None  # reduce: partials -> partials, axes kept
    aggregate: ChunkKernel | None = None  # reduce: partials -> the result

    @property
    def rank(self) -> int:
        return len(self.space)


def chunk_symbol(axis: int) -> Dim:
    return symbol(f"c{axis}")


def lone_op_body(node: Node) -> tuple[Graph, str]:
    """A one-op body for an elementwise op or reduction that fusion left outside kernels."""
    inputs = [kernel_input(k, i.type) for k, i in enumerate(node.inputs)]
    output = make(node.op, inputs, **node.attr_dict)
    kind = "reduce" if node.op in REDUCE_OPS and node.attr("axes") else "elementwise"
    return Graph(inputs, [output]), kind


def plan_chunks(body: Graph, kind: str) -> ChunkPlan:
    """Rebuild `body` (a kernel's, of `kind`) over per-block symbolic shapes.

    A reduce kernel's block computes its partial result: the reduction with `keepdims=True`,
    and a sum where the kernel takes a mean (the tree reduction divides at the end).
    """
    reduction = body.outputs[0] if kind == "reduce" else None
    space = (reduction.inputs[0] if reduction is not None else body.outputs[0]).shape
    rank = len(space)

    def block_dim(axis: int) -> Dim:
        return 1 if isinstance(space[axis], int) and space[axis] == 1 else chunk_symbol(axis)

    operand_axes, mapping, spanned = [], {}, set()
    for k, node in enumerate(body.inputs):
        axes = tuple(range(rank - node.ndim, rank))
        shape = tuple(1 if d == 1 else block_dim(a) for d, a in zip(node.shape, axes))
        spanned |= {a for a, d in zip(axes, shape) if d != 1}
        operand_axes.append(axes)
        mapping[node] = make_leaf("placeholder", TensorType(node.dtype, shape), identity=True, name=f"a{k}")
    spans = tuple(a for a in range(rank) if a not in spanned and block_dim(a) != 1)
    span_inputs = [make_leaf("placeholder", TensorType(dtypes.bool_, (chunk_symbol(a),)), identity=True,
                             name=f"s{a}") for a in spans]
    for node in body.nodes[len(body.inputs):]:
        operands = [mapping[i] for i in node.inputs]
        attrs = node.attr_dict
        if node.op == "scalar":
            mapping[node] = node
            continue
        if node.op == "broadcast_to":
            attrs["shape"] = tuple(1 if d == 1 else block_dim(rank - node.ndim + j)
                                   for j, d in enumerate(node.shape))
        elif node is reduction:
            node_op, attrs["keepdims"] = ("sum" if node.op == "mean" else node.op), True
            mapping[node] = make(node_op, operands, **attrs)
            continue
        elif not node.inputs or node.op in ("reshape", "transpose", "getitem", "flip"):
            raise NotImplementedError(f"graphc.dask cannot run {node.op} inside a kernel")
        mapping[node] = make(node.op, operands, **attrs)
    graph = Graph([mapping[i] for i in body.inputs] + span_inputs, [mapping[o] for o in body.outputs])
    kernel = ChunkKernel(str(graph), len(graph.outputs))
    outputs = tuple(o.type for o in body.outputs)
    if reduction is not None:
        return ChunkPlan(kernel, kind, space, tuple(operand_axes), spans, tuple(reduction.attr("axes")),
                         outputs, reduction, tree_step_kernel(reduction, rank, True, final=False),
                         tree_step_kernel(reduction, rank, reduction.attr("keepdims"), final=True))
    axes = row_axes(space, row_shape_of(body)) if kind == "row" else ()
    return ChunkPlan(kernel, kind, space, tuple(operand_axes), spans, axes or (), outputs)


def tree_step_kernel(reduction: Node, rank: int, keepdims: bool, final: bool) -> ChunkKernel:
    """The kernel that reduces partial results of `reduction`: a combine step of the tree
    (`final=False`), or its last step, which divides by the element count for a mean (given
    as a second, 0-d operand) and drops the axes unless the reduction keeps them."""
    partials = make_leaf("placeholder", TensorType(reduction.dtype, tuple(map(chunk_symbol, range(rank)))),
                         identity=True, name="partials")
    op = "sum" if reduction.op == "mean" else reduction.op
    out = make(op, [partials], axes=reduction.attr("axes"), keepdims=keepdims)
    inputs = [partials]
    if final and reduction.op == "mean":
        count = make_leaf("placeholder", TensorType(reduction.dtype, ()), identity=True, name="count")
        inputs.append(count)
        out = make("div", [out, count])
    return ChunkKernel(str(Graph(inputs, [out])), 1)
