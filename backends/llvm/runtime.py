"""Calling a compiled kernel: views in, a freshly allocated output out, threads if it pays."""

from __future__ import annotations

import ctypes
import itertools
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from backends.llvm.kernel import KernelLayout
from graphc.node import Node
from graphc.threads import get_num_threads

KERNEL_SIGNATURE = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                                    ctypes.c_int64, ctypes.c_int64)
PARALLEL_MIN_ELEMENTS = 1 << 16  # below this, threads cost more than they save
_pool: ThreadPoolExecutor | None = None


def _executor(threads: int) -> ThreadPoolExecutor:
    global _pool
    if _pool is None or _pool._max_workers < threads:
        _pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="graphc")
    return _pool


class KernelCall:
    """A compiled kernel as a Python callable over NumPy views of its operands."""

    def __init__(self, node: Node, spec: KernelLayout, generic: int, vector: int | None):
        self.name = spec.name
        self.generic = KERNEL_SIGNATURE(generic)
        self.vector = KERNEL_SIGNATURE(vector) if vector else None
        self.expected = spec.expected
        self.out_dtype = node.dtype.numpy
        self.rank = spec.rank
        self.reduction = spec.reduction
        if spec.reduction is not None:
            axes = spec.reduction.attr("axes")
            self.axes = axes
            self.perm = tuple(d for d in range(spec.rank) if d not in axes) + tuple(axes)
            self.keepdims = spec.reduction.attr("keepdims")
            self.needs_elements = spec.reduction.op in ("max", "min")

    def __call__(self, *views: np.ndarray) -> np.ndarray:
        shape = np.broadcast_shapes(*(v.shape for v in views))
        operands = [np.broadcast_to(v, shape) for v in views]
        if self.reduction is None:
            out = np.empty(shape, self.out_dtype)
            out_view = out
        else:
            if self.needs_elements and any(shape[a] == 0 for a in self.axes):
                raise ValueError(f"{self.reduction.op} of an empty axis has no value"
                                 f" (reduction created at {self.reduction.location})")
            operands = [np.transpose(v, self.perm) for v in operands]
            kept = tuple(shape[d] for d in self.perm[:self.rank - len(self.axes)])
            out_shape = tuple(1 if d in self.axes else shape[d] for d in range(self.rank)) \
                if self.keepdims else kept
            out = np.empty(out_shape, self.out_dtype)
            out_view = out.reshape(kept + (1,) * len(self.axes))
            shape = operands[0].shape if operands else shape
        arrays = [*operands, out_view]
        n = len(arrays)
        data = (ctypes.c_void_p * n)(*(a.ctypes.data for a in arrays))
        strides = (ctypes.c_int64 * max(1, n * self.rank))(
            *(s // a.itemsize if a.shape[d] != 1 else 0
              for a in arrays for d, s in enumerate(a.strides)))
        sizes = (ctypes.c_int64 * max(1, self.rank))(*shape)
        function = self.generic
        if self.vector is not None:
            inner = [strides[k * self.rank + self.rank - 1] for k in range(n)]
            actual = tuple("b" if s == 0 else "c" if s == 1 else "s" for s in inner)
            if all(a == e or e == "s" for a, e in zip(actual, self.expected)):
                function = self.vector
        self._run(function, data, strides, sizes, shape)
        return out

    def _run(self, function, data, strides, sizes, shape) -> None:
        outer = shape[0] if shape and (self.reduction is None or len(self.axes) < self.rank) else 0
        threads = min(get_num_threads(), outer) if outer else 1
        total = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if threads <= 1 or total < PARALLEL_MIN_ELEMENTS:
            function(data, strides, sizes, 0, shape[0] if shape else 1)
            return
        bounds = [outer * k // threads for k in range(threads + 1)]
        jobs = [_executor(threads).submit(function, data, strides, sizes, lo, hi)
                for lo, hi in itertools.pairwise(bounds) if hi > lo]
        for job in jobs:
            job.result()
