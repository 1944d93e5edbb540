"""A fused graph as a Dask array computation: one Dask operation per node, by a table.

`lower` walks the graph in topological order. Kernels (and elementwise ops or reductions
that fusion left outside kernels) run their compiled bodies on blocks (graphc.dask.kernels);
every other op has a dask.array counterpart, in `LOWERINGS`. Sizes in attributes may be
symbolic: they are evaluated with the values the call's arrays bind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import dask.array as da
import numpy as np
from dask.array.core import normalize_chunks

from graphc import index_arrays
from graphc.dask.chunks import ChunkPlan
from graphc.dask.kernels import run_blocks, run_reduce
from graphc.graph import Graph
from graphc.node import Node
from graphc.shapes import Dim, Shape


@dataclass
class Lowering:
    """What lowering a node may need besides its operands."""

    symbols: Mapping  # symbol -> the size the call's arrays bind it to
    plans: Mapping[Node, ChunkPlan]  # the kernels, and ops run as one-op kernels
    known_chunks: dict  # an input dimension (int or symbol expression) -> its chunks

    def size(self, dim: Dim) -> int:
        return dim if isinstance(dim, int) else int(dim.subs(self.symbols))

    def shape(self, shape: Shape) -> tuple[int, ...]:
        return tuple(self.size(d) for d in shape)


Lower = Callable[[Node, list, Lowering], "da.Array | tuple[da.Array, ...]"]


def _array_leaf(node: Node, operands: list, ctx: Lowering) -> da.Array:
    """A parameter or constant: its array as it is at this call."""
    return da.from_array(node.attr("value").value)


def _scalar(node: Node, operands: list, ctx: Lowering) -> da.Array:
    return da.from_array(np.asarray(node.attr("value"), node.dtype.numpy))


def _arange(node: Node, operands: list, ctx: Lowering) -> da.Array:
    values = np.arange(node.attr("start"), node.attr("stop"), node.attr("step"), node.dtype.numpy)
    return da.from_array(values)


def _broadcast_to(node: Node, operands: list, ctx: Lowering) -> da.Array:
    """A broadcast view, made block by block: new and stretched dimensions are split like any
    other array's (one huge view would be copied whole wherever Dask moves it)."""
    (x,) = operands
    shape = ctx.shape(node.shape)
    lead = len(shape) - x.ndim
    chunks = tuple("auto" if k < lead or x.shape[k - lead] != size else x.chunks[k - lead]
                   for k, size in enumerate(shape))
    return da.broadcast_to(x, shape, chunks=normalize_chunks(chunks, shape, dtype=x.dtype))


def _reshape(node: Node, operands: list, ctx: Lowering) -> da.Array:
    """Dask reshapes only by merging or splitting whole dimensions; any other reshape goes
    through the flat array (both steps of that kind: row-major order is the same)."""
    (x,) = operands
    shape = ctx.shape(node.attr("shape"))
    try:
        return x.reshape(shape)
    except NotImplementedError:
        return x.reshape(-1).reshape(shape)


def _getitem(node: Node, operands: list, ctx: Lowering) -> da.Array:
    index = tuple(slice(*e) if isinstance(e, tuple) else e for e in node.attr("index"))
    return operands[0][index]


def _pad(node: Node, operands: list, ctx: Lowering) -> da.Array:
    widths = tuple((ctx.size(lo), ctx.size(hi)) for lo, hi in node.attr("widths"))
    return da.pad(operands[0], widths, mode="constant", constant_values=node.attr("value"))


def _arg_reduction(node: Node, operands: list, ctx: Lowering) -> da.Array:
    function = da.argmax if node.op == "argmax" else da.argmin
    (x,) = operands
    axis, keepdims = node.attr("axis"), node.attr("keepdims")
    if axis is None:  # over the flattened array
        found = function(x.reshape(-1), axis=0)
        return found.reshape((1,) * x.ndim) if keepdims else found
    return function(x, axis=axis, keepdims=keepdims)


def _whole(function, **attrs) -> Lower:
    """An op that may move any element anywhere (gather, scatter, argsort, setitem) runs on
    its operands each made one block: correct, but not spread over workers."""
    def lower(node: Node, operands: list, ctx: Lowering) -> da.Array:
        whole = [x.rechunk(-1) if x.ndim else x for x in operands]
        values = {name: node.attr(attr) for name, attr in attrs.items()}
        return da.map_blocks(lambda *blocks: function(*blocks, **values), *whole,
                             dtype=node.dtype.numpy, chunks=tuple((d,) for d in ctx.shape(node.shape)),
                             meta=np.empty((), node.dtype.numpy))
    return lower


def _setitem(node: Node, operands: list, ctx: Lowering) -> da.Array:
    index = tuple(slice(*e) if isinstance(e, tuple) else e for e in node.attr("index"))
    return _whole(lambda base, value: index_arrays.setitem(base, value, index))(node, operands, ctx)


def _scan(node: Node, operands: list, ctx: Lowering) -> da.Array:
    function = da.cumsum if node.op == "cumsum" else da.cumprod
    return function(operands[0], axis=node.attr("axis"), dtype=node.dtype.numpy)


def _nonzero(node: Node, operands: list, ctx: Lowering) -> da.Array:
    """The count is a data-dependent size: the mask is computed here, when the graph is
    lowered (a synchronisation, as on a GPU), and the count bound for the nodes after it."""
    positions = index_arrays.nonzero(np.asarray(operands[0].compute()))
    ctx.symbols = {**ctx.symbols, node.attr("size"): len(positions)}
    return da.from_array(positions)


def _kernel(node: Node, operands: list, ctx: Lowering) -> da.Array | tuple[da.Array, ...]:
    plan = ctx.plans[node]
    sizes = ctx.shape(plan.space)
    if plan.kind == "reduce":
        return run_reduce(plan, operands, sizes, ctx.known_chunks)
    outputs = run_blocks(plan, operands, sizes, ctx.known_chunks)
    return outputs[0] if len(outputs) == 1 else outputs


LOWERINGS: dict[str, Lower] = {
    "parameter": _array_leaf,
    "constant": _array_leaf,
    "scalar": _scalar,
    "arange": _arange,
    "eye": lambda node, operands, ctx: da.eye(node.attr("n"), M=node.attr("m"), dtype=node.dtype.numpy),
    "broadcast_to": _broadcast_to,
    "reshape": _reshape,
    "transpose": lambda node, operands, ctx: da.transpose(operands[0], node.attr("perm")),
    "flip": lambda node, operands, ctx: da.flip(operands[0], node.attr("axes")),
    "getitem": _getitem,
    "pad": _pad,
    "cat": lambda node, operands, ctx: da.concatenate(operands, axis=node.attr("axis")),
    "matmul": lambda node, operands, ctx: da.matmul(*operands),
    "argmax": _arg_reduction,
    "argmin": _arg_reduction,
    "setitem": _setitem,
    "gather": _whole(index_arrays.gather, dim="dim"),
    "scatter": _whole(index_arrays.scatter, dim="dim", accumulate="accumulate"),
    "argsort": _whole(index_arrays.argsort, dim="dim", descending="descending"),
    "cumsum": _scan,
    "cumprod": _scan,
    "nonzero": _nonzero,
    "kernel": _kernel,
    "result": lambda node, operands, ctx: operands[0][node.attr("index")],
}


def lower(graph: Graph, arrays: list[da.Array], ctx: Lowering) -> list[da.Array]:
    """The graph's outputs as Dask arrays, given Dask arrays for its inputs."""
    values: dict[Node, object] = dict(zip(graph.inputs, arrays))
    for node, array in zip(graph.inputs, arrays):
        for dim, chunks in zip(node.shape, array.chunks):
            ctx.known_chunks.setdefault(dim, chunks)
    for node in graph.nodes[len(graph.inputs):]:
        rule = _kernel if node in ctx.plans else LOWERINGS.get(node.op)
        if rule is None:
            raise NotImplementedError(f"graphc.dask has no Dask lowering for {node.op}"
                                      f" (created at {node.location})")
        values[node] = rule(node, [values[i] for i in node.inputs], ctx)
    return [values[o] for o in graph.outputs]
