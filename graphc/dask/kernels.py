"""A fused kernel as Dask operations on the blocks of its iteration space.

- elementwise: one `da.blockwise` call; Dask aligns the operands' chunks and broadcasts
  operands of size 1 along an axis, and the compiled kernel runs on each block.
- row: the same, after rechunking so that each block holds whole rows (the row axes in
  one chunk), since each row is reduced and then used again.
- reduce: a blockwise call computes each block's partial result (the body and its
  reduction, keeping the reduced axes at size 1), then `da.reduction` combines the partials
  as a tree, with graphc kernels as its combine and aggregate steps.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass

import dask.array as da
import numpy as np
from dask.array.core import normalize_chunks

from graphc.dask.chunks import ChunkKernel, ChunkPlan


def meta(dtype: np.dtype, ndim: int) -> np.ndarray:
    """An empty array of the block type, so Dask never calls a kernel to guess it."""
    return np.empty((0,) * ndim, dtype)


def label(axis: int) -> str:
    return f"k{axis}"


def space_chunks(plan: ChunkPlan, operands: list[da.Array], sizes: tuple[int, ...],
                 known: dict) -> tuple[tuple[int, ...], ...]:
    """Chunks for each axis of the iteration space: an operand's that spans the axis, else
    those of an input dimension of the same size expression, else Dask's automatic choice."""
    chunks: list = ["auto"] * plan.rank
    for array, axes in zip(operands, plan.operand_axes):
        for j, axis in enumerate(axes):
            if chunks[axis] == "auto" and array.shape[j] == sizes[axis]:
                chunks[axis] = array.chunks[j]
    for axis, dim in enumerate(plan.space):
        if chunks[axis] == "auto" and dim in known:
            chunks[axis] = known[dim]
    return normalize_chunks(tuple(chunks), sizes, dtype=plan.outputs[0].dtype.numpy)


def whole_rows(plan: ChunkPlan, operands: list[da.Array], sizes: tuple[int, ...],
               chunks: tuple[tuple[int, ...], ...]) -> list[da.Array]:
    """The operands rechunked so that every block holds whole rows, where one does not."""
    if all(len(array.chunks[j]) == 1 for array, axes in zip(operands, plan.operand_axes)
           for j, axis in enumerate(axes) if axis in plan.axes):
        return operands
    wanted = tuple(-1 if axis in plan.axes else "auto" for axis in range(plan.rank))
    target = normalize_chunks(wanted, sizes, dtype=plan.outputs[0].dtype.numpy, previous_chunks=chunks)
    return [array.rechunk(tuple(target[axis] if array.shape[j] == sizes[axis] else (array.shape[j],)
                                for j, axis in enumerate(axes)))
            for array, axes in zip(operands, plan.operand_axes)]


def run_blocks(plan: ChunkPlan, operands: list[da.Array], sizes: tuple[int, ...],
               known: dict) -> tuple[da.Array, ...]:
    """The kernel's outputs as Dask arrays (for a reduce kernel, its partial results)."""
    chunks = space_chunks(plan, operands, sizes, known)
    if plan.kind == "row":
        operands = whole_rows(plan, operands, sizes, chunks)
        chunks = space_chunks(plan, operands, sizes, known)
    args: list = []
    for array, axes in zip(operands, plan.operand_axes):
        args += [array, tuple(map(label, axes))]
    for axis in plan.spans:
        args += [da.zeros(sizes[axis], dtype=bool, chunks=(chunks[axis],)), (label(axis),)]
    adjust = {label(axis): 1 for axis in plan.axes} if plan.kind == "reduce" else None
    out = tuple(map(label, range(plan.rank)))
    token = f"graphc-{plan.kind}"
    if len(plan.outputs) == 1:
        dtype = plan.outputs[0].dtype.numpy
        return (da.blockwise(plan.kernel, out, *args, dtype=dtype, meta=meta(dtype, plan.rank),
                             adjust_chunks=adjust, token=token),)
    # Several outputs: each block is a tuple of arrays, which one getitem layer per output reads.
    blocks = da.blockwise(plan.kernel, out, *args, meta=meta(np.dtype(object), plan.rank), token=token)
    return tuple(blocks.map_blocks(operator.getitem, k, dtype=t.dtype.numpy,
                                   meta=meta(t.dtype.numpy, plan.rank), token=f"{token}-result")
                 for k, t in enumerate(plan.outputs))


@dataclass(frozen=True)
class TreeStep:
    """A combine or aggregate step of `da.reduction`: a kernel whose axes are already fixed."""

    kernel: ChunkKernel
    extra: tuple[np.ndarray, ...] = ()

    def __call__(self, partials: np.ndarray, axis=None, keepdims=None) -> np.ndarray:
        return self.kernel(partials, *self.extra)


def already_partial(block: np.ndarray, axis=None, keepdims=None) -> np.ndarray:
    """`da.reduction`'s chunk step: the blockwise kernel already reduced each block."""
    return block


def run_reduce(plan: ChunkPlan, operands: list[da.Array], sizes: tuple[int, ...], known: dict) -> da.Array:
    """A reduce kernel: partial results per block, then a tree of graphc combine steps."""
    (partials,) = run_blocks(plan, operands, sizes, known)
    reduction = plan.reduction
    dtype = reduction.dtype.numpy
    extra = (np.asarray(math.prod(sizes[a] for a in plan.axes), dtype),) if reduction.op == "mean" else ()
    return da.reduction(partials, chunk=already_partial, combine=TreeStep(plan.combine),
                        aggregate=TreeStep(plan.aggregate, extra), axis=plan.axes,
                        keepdims=reduction.attr("keepdims"), dtype=dtype, concatenate=True,
                        meta=meta(dtype, reduction.ndim), name=f"graphc-{reduction.op}")
