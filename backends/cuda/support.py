"""Launching the support kernels (support.cuh): copies, fills, argmax/argmin, cumsum/cumprod,
integer matmul.

The support module is compiled once per architecture (and cached on disk with the rest) and
loaded once per device. Arrays up to GC_MAX_RANK dimensions after merging the dimensions
that are contiguous in both operands (any real array) take the strided copy kernel.
"""

from __future__ import annotations

import ctypes
import functools
import math

import numpy as np

from graphc.backends.cuda import nvrtc, runtime
from graphc.backends.cuda.arrays import DeviceArray
from graphc.backends.cuda.codegen import BLOCK
from graphc.backends.cuda.source import support_source

MAX_RANK = 8
BLOCKS_PER_SM = 32  # grid-stride loops: at most this many blocks per multiprocessor
_INTEGERS = {1: ctypes.c_uint8, 2: ctypes.c_uint16, 4: ctypes.c_uint32, 8: ctypes.c_uint64}
_MATMUL = {"bool": "bool", "uint8": "uint8", "int8": "int8", "int16": "int16", "int32": "int32",
           "int64": "int64"}


class Dims(ctypes.Structure):
    """support.cuh's GcDims: up to MAX_RANK sizes or element strides, passed by value."""

    _fields_ = [("v", ctypes.c_int64 * MAX_RANK)]


@functools.cache
def _compiled(arch: str) -> nvrtc.Compiled:
    return nvrtc.compile_module(support_source(), arch, "graphc_support.cu")


def function(device: runtime.Device, name: str):
    return device.module(_compiled(device.arch).cubin).function(name)


def grid(device: runtime.Device, work: int, block: int = BLOCK) -> int:
    """Blocks for a grid-stride loop over `work` items."""
    return max(1, min(math.ceil(work / block), device.sm_count * BLOCKS_PER_SM))


def element_strides(array: DeviceArray) -> list[int]:
    if any(s % array.itemsize for s in array.strides):
        raise TypeError(f"an array of {array.dtype} whose strides {array.strides} are not whole"
                        " elements cannot be read on the GPU")
    return [s // array.itemsize for s in array.strides]


def _merged(shape, *stride_lists) -> tuple[list[int], list[list[int]]]:
    """Drop dimensions of size 1 and merge neighbours that are contiguous in every operand."""
    dims = [(d, [s[k] for s in stride_lists]) for k, d in enumerate(shape) if d != 1]
    merged: list[tuple[int, list[int]]] = []
    for size, strides in dims:
        if merged and all(outer == inner * size for outer, inner in zip(merged[-1][1], strides)):
            merged[-1] = (merged[-1][0] * size, strides)
        else:
            merged.append((size, strides))
    return [m[0] for m in merged], [[m[1][k] for m in merged] for k in range(len(stride_lists))]


def copy_into(destination: DeviceArray, source: DeviceArray) -> None:
    """destination[...] = source (same shape and dtype; any strides on either side)."""
    device = destination.device
    if destination.is_contiguous and source.is_contiguous:
        runtime.copy(device, destination.pointer, source.pointer, destination.nbytes)
        return
    sizes, (to, frm) = _merged(destination.shape, element_strides(destination), element_strides(source))
    if len(sizes) > MAX_RANK:
        raise ValueError(f"the CUDA backend copies arrays of at most {MAX_RANK} non-contiguous"
                         f" dimensions, not {len(sizes)}")
    n = destination.size
    if not n:
        return
    args = runtime.Arguments.pack([ctypes.c_uint64(destination.pointer), _dims(to),
                                   ctypes.c_uint64(source.pointer), _dims(frm), _dims(sizes),
                                   ctypes.c_int32(len(sizes)), ctypes.c_int64(n)])
    runtime.launch(device, function(device, f"gc_copy_{destination.itemsize}"), grid(device, n), BLOCK, args)


def _dims(values: list[int]) -> Dims:
    dims = Dims()
    for k, v in enumerate(values):
        dims.v[k] = v
    return dims


def fill(destination: DeviceArray, value) -> None:
    """Every element of a contiguous array set to `value` (of its dtype)."""
    device, n = destination.device, destination.size
    if not n:
        return
    size = destination.itemsize
    bits = np.array(value, destination.dtype).view(f"u{size}")
    args = runtime.Arguments.pack([ctypes.c_uint64(destination.pointer), _INTEGERS[size](int(bits)),
                                   ctypes.c_int64(n)])
    runtime.launch(device, function(device, f"gc_fill_{size}"), grid(device, n), BLOCK, args)


def argreduce(op: str, x: DeviceArray, axis: int | None, keepdims: bool, dtype_name: str,
              location: str) -> DeviceArray:
    """NumPy's argmax / argmin of `x` along `axis` (None: of the flattened array)."""
    if x.size == 0 or (axis is not None and x.shape[axis] == 0):
        raise ValueError(f"attempt to get {op} of an empty sequence ({op} created at {location})")
    x = x.contiguous()
    if axis is None:
        outer, count, inner = 1, x.size, 1
        shape = (1,) * x.ndim if keepdims else ()
    else:
        outer, count, inner = math.prod(x.shape[:axis]), x.shape[axis], math.prod(x.shape[axis + 1:])
        shape = tuple(1 if d == axis else s for d, s in enumerate(x.shape) if keepdims or d != axis)
    device = x.device
    out = DeviceArray.empty(device, shape, np.int64)
    args = runtime.Arguments.pack([ctypes.c_uint64(out.pointer), ctypes.c_uint64(x.pointer),
                                   ctypes.c_int64(outer), ctypes.c_int64(count), ctypes.c_int64(inner)])
    runtime.launch(device, function(device, f"gc_{op}_{dtype_name}"), grid(device, outer * inner * 32),
                   BLOCK, args)
    return out


def scan(op: str, x: DeviceArray, axis: int) -> DeviceArray:
    """NumPy's cumsum / cumprod of `x` along `axis`, in a fresh contiguous array of its dtype."""
    x = x.contiguous()
    out = DeviceArray.empty(x.device, x.shape, x.dtype)
    if not x.size:
        return out
    outer, count, inner = math.prod(x.shape[:axis]), x.shape[axis], math.prod(x.shape[axis + 1:])
    device = x.device
    args = runtime.Arguments.pack([ctypes.c_uint64(out.pointer), ctypes.c_uint64(x.pointer),
                                   ctypes.c_int64(outer), ctypes.c_int64(count), ctypes.c_int64(inner)])
    runtime.launch(device, function(device, f"gc_{op}_{x.dtype.name}"), grid(device, outer * inner),
                   BLOCK, args)
    return out


def integer_matmul(c: DeviceArray, a: DeviceArray, b: DeviceArray, batch: int, m: int, n: int, k: int,
                   a_batch: int, b_batch: int) -> None:
    """c = a @ b for bool and integer matrices (C-ordered, batches `a_batch`/`b_batch` apart)."""
    device = c.device
    args = runtime.Arguments.pack([ctypes.c_uint64(p) for p in (c.pointer, a.pointer, b.pointer)]
                                  + [ctypes.c_int64(v) for v in (batch, m, n, k, a_batch, b_batch)])
    runtime.launch(device, function(device, f"gc_matmul_{_MATMUL[c.dtype.name]}"),
                   grid(device, batch * m * n), BLOCK, args)


# ---------------------------------------------------------------------------- indexing

def _raise_flagged(device: runtime.Device) -> None:
    """NumPy's error for what a support kernel flagged (an index out of range)."""
    device.check_status(device.module(_compiled(device.arch).cubin))


def _rank_dims(*shapes) -> list[list[int]]:
    """Shapes of rank 0 as one dimension of size 1; more than MAX_RANK is refused."""
    if len(shapes[0]) > MAX_RANK:
        raise ValueError(f"the CUDA backend indexes arrays of at most {MAX_RANK} dimensions")
    return [list(s) or [1] for s in shapes]


def gather(x: DeviceArray, index: DeviceArray, dim: int) -> DeviceArray:
    """torch.gather (graphc's `gather`): out has index's shape."""
    device = x.device
    out = DeviceArray.empty(device, index.shape, x.dtype)
    if not out.size:
        return out
    sizes, x_strides, i_strides = _rank_dims(index.shape, element_strides(x), element_strides(index))
    dim_size = x.shape[dim] if x.ndim else 1
    args = runtime.Arguments.pack([ctypes.c_uint64(out.pointer), ctypes.c_uint64(x.pointer), _dims(x_strides),
                                   ctypes.c_uint64(index.pointer), _dims(i_strides), _dims(sizes),
                                   ctypes.c_int32(len(sizes)), ctypes.c_int32(dim), ctypes.c_int64(dim_size),
                                   ctypes.c_int64(out.size)])
    name = f"gc_gather_{x.itemsize}_{index.itemsize}"
    runtime.launch(device, function(device, name), grid(device, out.size), BLOCK, args)
    _raise_flagged(device)
    return out


def scatter(base: DeviceArray, index: DeviceArray, src: DeviceArray, dim: int,
            accumulate: bool) -> DeviceArray:
    """graphc's `scatter`: a copy of base with src written (or added) at index along dim."""
    device = base.device
    out = DeviceArray.empty(device, base.shape, base.dtype)
    copy_into(out, base)
    if not index.size:
        return out
    if not out.size:
        raise IndexError(f"scatter: every index is out of bounds for dimension {dim}, of size 0")
    out_sizes, i_strides, s_strides, i_sizes = _rank_dims(
        out.shape, element_strides(index), element_strides(src), index.shape)
    args = runtime.Arguments.pack([ctypes.c_uint64(out.pointer), _dims(out_sizes),
                                   ctypes.c_uint64(index.pointer),
                                   _dims(i_strides), ctypes.c_uint64(src.pointer), _dims(s_strides),
                                   _dims(i_sizes), ctypes.c_int32(len(out_sizes)), ctypes.c_int32(dim),
                                   ctypes.c_int64(out.size)])
    kind = f"add_{base.dtype.name}" if accumulate else str(base.itemsize)
    runtime.launch(device, function(device, f"gc_scatter_{kind}_{index.itemsize}"),
                   grid(device, out.size), BLOCK, args)
    _raise_flagged(device)
    return out


def argsort(x: DeviceArray, dim: int, descending: bool, dtype_name: str) -> DeviceArray:
    """graphc's `argsort` (stable, NaN largest) along `dim`."""
    device = x.device
    out = DeviceArray.empty(device, x.shape, np.int64)
    if not x.size:
        return out
    x = x.contiguous()
    outer, count = math.prod(x.shape[:dim]), x.shape[dim] if x.ndim else 1
    inner = math.prod(x.shape[dim + 1:])
    args = runtime.Arguments.pack([ctypes.c_uint64(out.pointer), ctypes.c_uint64(x.pointer),
                                   ctypes.c_int64(outer), ctypes.c_int64(count), ctypes.c_int64(inner)])
    name = f"gc_argsort_{'descending_' if descending else ''}{dtype_name}"
    runtime.launch(device, function(device, name), grid(device, x.size), BLOCK, args)
    return out


def nonzero(mask: DeviceArray) -> DeviceArray:
    """graphc's `nonzero`: int64 [count, ndim] positions of the true elements. The count is
    copied to the host (a synchronisation) to size the output: it is data-dependent."""
    device = mask.device
    rank = mask.ndim
    if rank > MAX_RANK:
        raise ValueError(f"the CUDA backend indexes arrays of at most {MAX_RANK} dimensions")
    if not mask.size:
        return DeviceArray.empty(device, (0, rank), np.int64)
    mask = mask.contiguous()
    blocks = math.ceil(mask.size / BLOCK)
    counts = DeviceArray.empty(device, (blocks,), np.int64)
    args = runtime.Arguments.pack([ctypes.c_uint64(counts.pointer), ctypes.c_uint64(mask.pointer),
                                   ctypes.c_int64(mask.size)])
    runtime.launch(device, function(device, "gc_nonzero_count"), blocks, BLOCK, args)
    per_block = counts.numpy()  # waits for the count
    out = DeviceArray.empty(device, (int(per_block.sum()), rank), np.int64)
    if not out.size:
        return out
    starts = DeviceArray.from_host(device, np.cumsum(per_block) - per_block)
    args = runtime.Arguments.pack([ctypes.c_uint64(out.pointer), ctypes.c_uint64(mask.pointer),
                                   ctypes.c_uint64(starts.pointer), _dims(list(mask.shape)),
                                   ctypes.c_int32(rank), ctypes.c_int64(mask.size)])
    runtime.launch(device, function(device, "gc_nonzero_positions"), blocks, BLOCK, args)
    return out
