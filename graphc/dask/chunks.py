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
from graphc.ops import VIEW_OPS, make, make_leaf
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

    def block_shape(shape: Shape) -> Shape:
        """A shape broadcast into the space (right-aligned), as it is in one block."""
        return tuple(1 if d == 1 else block_dim(rank - len(shape) + j) for j, d in enumerate(shape))

    mapping = {node: _placeholder(f"a{k}", node.dtype, block_shape(node.shape))
               for k, node in enumerate(body.inputs)}
    spanned = {rank - n.ndim + j for n in mapping.values() for j, d in enumerate(n.shape) if d != 1}
    spans = tuple(a for a in range(rank) if a not in spanned and block_dim(a) != 1)
    for node in body.nodes[len(body.inputs):]:
        mapping[node] = _in_block(node, [mapping[i] for i in node.inputs], block_shape, node is reduction)
    inputs = [mapping[i] for i in body.inputs] + [_placeholder(f"s{a}", dtypes.bool_, (chunk_symbol(a),))
                                                  for a in spans]
    graph = Graph(inputs, [mapping[o] for o in body.outputs])
    kernel = ChunkKernel(str(graph), len(graph.outputs))
    operand_axes = tuple(tuple(range(rank - n.ndim, rank)) for n in body.inputs)
    outputs = tuple(o.type for o in body.outputs)
    if reduction is not None:
        return ChunkPlan(kernel, kind, space, operand_axes, spans, tuple(reduction.attr("axes")),
                         outputs, reduction, tree_step_kernel(reduction, rank, True, final=False),
                         tree_step_kernel(reduction, rank, reduction.attr("keepdims"), final=True))
    axes = row_axes(space, row_shape_of(body)) if kind == "row" else ()
    return ChunkPlan(kernel, kind, space, operand_axes, spans, axes or (), outputs)


def _placeholder(name: str, dtype, shape: Shape) -> Node:
    return make_leaf("placeholder", TensorType(dtype, shape), identity=True, name=name)


def _in_block(node: Node, operands: list[Node], block_shape, partial: bool) -> Node:
    """A body's node over one block's operands: a broadcast goes to the block's shape, and the
    reduction of a reduce kernel (`partial`) keeps its axes, summing where it takes a mean."""
    if node.op == "scalar":
        return node
    op, attrs = node.op, node.attr_dict
    if op == "broadcast_to":
        attrs["shape"] = block_shape(node.shape)
    elif op in VIEW_OPS:  # the fusion predicate keeps the other views out of kernels
        raise NotImplementedError(f"graphc.dask cannot run {op} inside a kernel")
    if partial:
        op, attrs["keepdims"] = ("sum" if op == "mean" else op), True
    return make(op, operands, **attrs)


def tree_step_kernel(reduction: Node, rank: int, keepdims: bool, final: bool) -> ChunkKernel:
    """The kernel that reduces partial results of `reduction`: a combine step of the tree
    (`final=False`), or its last step, which divides by the element count for a mean (given
    as a second, 0-d operand) and drops the axes unless the reduction keeps them."""
    partials = _placeholder("partials", reduction.dtype, tuple(map(chunk_symbol, range(rank))))
    op = "sum" if reduction.op == "mean" else reduction.op
    out = make(op, [partials], axes=reduction.attr("axes"), keepdims=keepdims)
    inputs = [partials]
    if final and reduction.op == "mean":
        count = _placeholder("count", reduction.dtype, ())
        inputs.append(count)
        out = make("div", [out, count])
    return ChunkKernel(str(Graph(inputs, [out])), 1)
