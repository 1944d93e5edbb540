"""Calling a compiled kernel: views in, freshly allocated outputs out, threads if it pays.

Everything that depends only on the operands' shapes and strides (the iteration
shape, element strides, the variant to run, how to split it across threads) is
worked out once per layout and kept in a small plan cache, so a call costs little
more than allocating the output and entering the kernel.
"""

from __future__ import annotations

import ctypes
import functools
import itertools
import os
import time
from collections.abc import Callable
from concurrent.futures import wait
from dataclasses import dataclass

import numpy as np

from graphc.backends import buffers
from graphc.backends.llvm.kernel import ARRAY_DATA_OFFSET, STREAM_ALIGNMENT, KernelLayout
from graphc.backends.llvm.kernel.layout import STASH_ROW_BYTES, stash_bytes
from graphc.threads import get_num_threads, shared_pool

KERNEL_SIGNATURE = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                                    ctypes.c_int64, ctypes.c_int64)
PARALLEL_MIN_ELEMENTS = 1 << 18  # below this, threads cost more than they save...
OPS_PER_ELEMENT = 8  # ...for a kernel of this many ops; one of 3,000 ops (W7) splits 65,536 elements
# Outputs at least this large are written with streaming stores, past the caches (they would
# not stay there anyway): no line is read before it is overwritten. W1: 23 -> 16.5 ms.
STREAM_MIN_BYTES = 1 << 23
# An elementwise kernel of at least this many ops per element for each operand laid out other
# than in C order (Fortran-ordered, transposed, strided) runs on C-ordered copies of them, when
# that lets its vector loop take them instead of its scalar loop; three times as many for an
# operand past COPY_CACHED_BYTES, whose transposing copy runs from memory. Measured on float32
# chains of multiplies and adds over a Fortran-ordered matrix (2 cores, AVX-512): 256x256, the
# copy won from 16 ops (81 vs 147 us); 4096x1024, from about 40 (64 ops: 24 vs 42 ms; 32: 21
# vs 15). A reduce or row kernel copies whatever its ops: its scalar loop adds each element to
# the one accumulator, waiting for the previous addition, slower than any copy.
COPY_MIN_OPS = int(os.environ.get("GRAPHC_COPY_MIN_OPS", 16))
COPY_CACHED_BYTES = 1 << 20
# A kernel's calls past that size split over threads where a measured split call took under
# this share of a measured one-thread call (`KernelCall._measure`).
SPLIT_GAIN = 0.85
STREAM_ROW = 64  # elements per thread's share of a 1-d stream kernel: keeps its start aligned
MAX_PLANS = 64


TUPLE_ITEMS_OFFSET = tuple.__basicsize__  # where a tuple's items start (checked below)


def _check_array_layout() -> None:
    """Kernels read array data pointers at a fixed offset, and their arguments from a tuple's
    items: make sure this NumPy and this Python agree."""
    probe = np.arange(3, dtype=np.float64)[1:]
    at_offset = ctypes.c_void_p.from_address(id(probe) + ARRAY_DATA_OFFSET).value
    if at_offset != probe.ctypes.data:
        raise ImportError("this NumPy's array struct differs from the one graphc's LLVM kernels"
                          " read; use the NumPy backend")
    pair = (probe, at_offset)
    if ctypes.c_void_p.from_address(id(pair) + TUPLE_ITEMS_OFFSET + 8).value != id(at_offset):
        raise ImportError("this Python's tuple layout differs from the one graphc's LLVM kernels"
                          " read; use the NumPy backend")


_check_array_layout()


class _Call(ctypes.Structure):
    """A kernel call's function and its constant arguments, read by `graphc.enter`."""

    _fields_ = [("function", ctypes.c_void_p), ("strides", ctypes.c_void_p), ("sizes", ctypes.c_void_p),
                ("start", ctypes.c_int64), ("stop", ctypes.c_int64)]


# ctypes converts each argument of a call on its own, and four of the five kernel arguments
# are the same on every call of a plan: a call through `enter`, with one pointer to them,
# costs about 0.4 us instead of 1.0 (at 16 elements, W3, a third of the call).
_ENTER_IR = """
%call = type { ptr, ptr, ptr, i64, i64 }
define void @graphc.enter(ptr noalias %arrays, ptr noalias %call) {
  %f = load ptr, ptr %call
  %sp = getelementptr %call, ptr %call, i64 0, i32 1
  %strides = load ptr, ptr %sp
  %zp = getelementptr %call, ptr %call, i64 0, i32 2
  %sizes = load ptr, ptr %zp
  %ap = getelementptr %call, ptr %call, i64 0, i32 3
  %start = load i64, ptr %ap
  %bp = getelementptr %call, ptr %call, i64 0, i32 4
  %stop = load i64, ptr %bp
  call void %f(ptr %arrays, ptr %strides, ptr %sizes, i64 %start, i64 %stop)
  ret void
}
"""


@functools.cache
def _enter() -> Callable[[int, int], None]:
    """`enter(arrays, call)`: runs `call.function(arrays, call.strides, ...)` (compiled once)."""
    from graphc.backends.llvm import jit

    engine = jit.ENGINE.load(f'target triple = "{jit.triple()}"\n{_ENTER_IR}')
    return ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)(
        engine.get_function_address("graphc.enter"))


@dataclass
class _Plan:
    out_shape: tuple[int, ...]
    copies: frozenset[int]  # operands whose strides are not whole elements: run on a copy
    strides: ctypes.Array
    sizes: ctypes.Array
    function: object
    outer: int  # the extent of the dimension threads may split (0: do not split)
    total: int  # elements, weighted by the kernel's ops per element (OPS_PER_ELEMENT: 1)
    allocate: Callable  # np.empty, or buffers.empty for outputs large enough to pool
    stop: int  # the outermost loop's extent (1 for a 0-d iteration)
    stream: bool = False  # may use the streaming variant, when the outputs are aligned
    restore: tuple[int, ...] = ()  # the axes of the outputs, laid out in another order, as returned
    split: bool | None = None  # whether threads share the work (None: not yet measured)
    trials: int = 0  # calls measured so far (`KernelCall._measure`)
    alone: float = 0.0  # the fewest seconds a measured call took on one thread
    shared: float = 0.0  # the fewest seconds a measured split call took

    def __post_init__(self):
        # what a one-thread call passes, computed once
        self.strides_address = ctypes.addressof(self.strides)
        self.sizes_address = ctypes.addressof(self.sizes)
        self.call = _Call(ctypes.cast(self.function, ctypes.c_void_p).value, self.strides_address,
                          self.sizes_address, 0, self.stop)
        self.call_address = ctypes.addressof(self.call)
        self.may_split = bool(self.outer) and self.total >= PARALLEL_MIN_ELEMENTS
        # one call, as planned
        self.plain = not (self.copies or self.stream or self.may_split or self.restore)


def _memory_order(view: np.ndarray) -> tuple[int, ...] | None:
    """The axes of `view` from the largest step to the smallest (axes of one element first),
    for a view that steps forward along every axis, none broadcast, in an order other than C's;
    else None."""
    if view.ndim < 2 or view.flags.c_contiguous:
        return None
    if any(s <= 0 for s, n in zip(view.strides, view.shape) if n > 1):
        return None
    return tuple(sorted(range(view.ndim), key=lambda d: (view.shape[d] != 1, -view.strides[d])))


def _worth_copying(view: np.ndarray) -> bool:
    """Whether an operand laid out other than in C order may be copied into C order for a
    vector loop: not a broadcast (a step of 0 would make the copy larger than the operand)."""
    return not view.flags.c_contiguous and all(s != 0 for s, n in zip(view.strides, view.shape) if n > 1)


def _stride_classes(steps: list[int], rank: int, dim: int, arrays: int) -> tuple[str, ...]:
    """Each array's step along iteration dimension `dim`: broadcast, contiguous or strided."""
    inner = [steps[k * rank + dim] for k in range(arrays)]
    return tuple("b" if s == 0 else "c" if s == 1 else "s" for s in inner)


class KernelCall:
    """A compiled kernel as a Python callable over NumPy views of its operands."""

    def __init__(self, spec: KernelLayout, addresses: dict[str, Callable[[], int]]):
        """`addresses[variant]()` gives the address of the kernel's function `variant`
        ("vector": rows innermost, "column": kept columns innermost, "generic": any strides,
        "stream": the vector one with streaming stores), compiling it if it is not yet."""
        self.name = spec.name
        self._addresses = addresses
        self._functions: dict[str, Callable] = {}
        self.has_vector, self.has_column = "vector" in addresses, "column" in addresses
        self._stream_address = addresses.get("stream")
        self.expected = spec.expected
        self.column_expected = spec.column_expected
        self.out_dtypes = [np.dtype(o.dtype.numpy) for o in spec.outputs]
        self.single = self.out_dtypes[0] if len(self.out_dtypes) == 1 else None  # its dtype
        self.rank = spec.rank
        self.ops = spec.ops
        self.reduction = spec.reduction
        # NumPy gives 0-d results as scalars, but kernels read the data pointer of an ndarray.
        self.zero_d = any(o.ndim == 0 for o in spec.operands)
        self.plans: dict[tuple, _Plan] = {}
        self.enter = _enter()
        # a row kernel's max or min of an empty row has no value (NumPy raises)
        self.row_extremum = next((r for step in spec.schedule.passes for r in step.reductions
                                  if r.op in ("max", "min")), None) if spec.schedule else None
        self.schedule = spec.schedule is not None
        if spec.schedule is not None:
            self.row_axes = spec.schedule.axes
            self.stash_bytes = stash_bytes(spec)  # per element of a row, in its widest stash
        if spec.reduction is not None:
            axes = spec.reduction.attr("axes")
            self.axes = axes
            self.perm = tuple(d for d in range(spec.rank) if d not in axes) + tuple(axes)
            self.keepdims = spec.reduction.attr("keepdims")
            self.needs_elements = spec.reduction.op in ("max", "min")

    def __call__(self, *views: np.ndarray) -> np.ndarray:
        if self.zero_d:
            views = tuple(np.asarray(v) for v in views)
        if len(views) == 1:  # (no list to build: a 16-element call costs little more than this)
            key = ((views[0].shape, views[0].strides),)
        else:
            key = tuple([(v.shape, v.strides) for v in views])
        plan = self.plans.get(key)
        if plan is None:
            plan = self._plan(views)
            if len(self.plans) >= MAX_PLANS:
                self.plans.clear()
            self.plans[key] = plan
        if plan.plain and self.single is not None:  # the common case, kept short
            out = plan.allocate(plan.out_shape, self.single)
            arrays = (*views, out)  # the kernel reads the tuple's item pointers in place
            self.enter(id(arrays) + TUPLE_ITEMS_OFFSET, plan.call_address)
            return out
        if plan.copies:
            views = tuple(np.ascontiguousarray(v) if k in plan.copies else v for k, v in enumerate(views))
        outs = [plan.allocate(plan.out_shape, self.single)] if self.single is not None \
            else buffers.empty_group(plan.out_shape, self.out_dtypes)  # one block for all
        arrays = (*views, *outs)
        address = id(arrays) + TUPLE_ITEMS_OFFSET
        function = plan.function
        if plan.stream and all(o.ctypes.data % STREAM_ALIGNMENT == 0 for o in outs):
            function = self.function("stream")
        if plan.may_split and get_num_threads() > 1 and plan.split is not False:
            if plan.split:
                self._run_threads(plan, function, address)
            else:
                self._measure(plan, function, address)
        elif function is plan.function:
            self.enter(address, plan.call_address)
        else:
            function(address, plan.strides_address, plan.sizes_address, 0, plan.stop)
        if plan.restore:
            outs = [o.transpose(plan.restore) for o in outs]
        return outs if self.single is None else outs[0]

    def _plan(self, views, copied: frozenset[int] = frozenset(), order: tuple[int, ...] = (),
              vector_only: bool = False) -> _Plan | None:
        """Iteration shape, element strides and variant for one layout of the operands, the
        operands `copied` (and those whose strides are not whole elements) run on C-ordered
        copies, the axes iterated in `order` (outermost first; default: the kernel's own).
        With `vector_only`, None where the loops would read an operand element by element."""
        original = views
        # A field of a structured array can step by a number of bytes that is not a whole
        # number of elements; kernels step in elements.
        copies = copied | frozenset(k for k, v in enumerate(views) if any(s % v.itemsize for s in v.strides))
        views = [np.ascontiguousarray(v) if k in copies else v for k, v in enumerate(views)]
        shape = np.broadcast_shapes(*(v.shape for v in views))
        if len(shape) != self.rank:  # the kernel's loops are built for its rank only
            raise ValueError(f"kernel {self.name} iterates {self.rank} dimensions, but its operands"
                             f" broadcast to shape {list(shape)}")
        operands = [np.broadcast_to(v, shape) for v in views]
        if self.row_extremum is not None and any(shape[a] == 0 for a in self.row_axes):
            raise ValueError(f"{self.row_extremum.op} of an empty axis has no value"
                             f" (reduction created at {self.row_extremum.location})")
        full = operands
        if self.reduction is None:
            if order:  # the outputs are laid out in that order too (as NumPy's and PyTorch's are)
                operands = [v.transpose(order) for v in operands]
                shape = tuple(shape[d] for d in order)
            out_shape = shape
            out_view = np.empty(shape, self.out_dtypes[0])
        else:
            if self.needs_elements and any(shape[a] == 0 for a in self.axes):
                raise ValueError(f"{self.reduction.op} of an empty axis has no value"
                                 f" (reduction created at {self.reduction.location})")
            perm = order or self.perm
            operands = [np.transpose(v, perm) for v in operands]
            kept = tuple(shape[d] for d in perm[:self.rank - len(self.axes)])
            out_shape = tuple(1 if d in self.axes else shape[d] for d in range(self.rank)) \
                if self.keepdims else kept
            out_view = np.empty(kept + (1,) * len(self.axes), self.out_dtypes[0])
            shape = tuple(shape[d] for d in perm)
        arrays = [*operands, *(out_view for _ in self.out_dtypes)]  # outputs share one layout
        steps = [s // a.itemsize if a.shape[d] != 1 else 0
                 for a in arrays for d, s in enumerate(a.strides)]
        strides = (ctypes.c_int64 * max(1, len(steps)))(*steps)
        sizes = (ctypes.c_int64 * max(1, self.rank))(*shape)
        variant = "generic"
        gathers = len(arrays) + 1  # operands the chosen variant reads element by element
        if self.has_vector:
            actual = _stride_classes(steps, self.rank, self.rank - 1, len(arrays))
            if all(a == e or e == "s" for a, e in zip(actual, self.expected)):
                variant, gathers = "vector", actual.count("s")
        if self.has_column:  # a reduction whose kept columns are contiguous
            actual = _stride_classes(steps, self.rank, self.rank - len(self.axes) - 1, len(arrays))
            if all(a == e or e == "s" for a, e in zip(actual, self.column_expected)) \
                    and actual.count("s") < gathers:
                variant, gathers = "column", actual.count("s")
        if gathers and self.has_vector and not vector_only:
            # The scalar loop would run every op an element at a time, or a vector loop gather
            # an operand. Iterate the axes in the order an operand lays them out in memory, so
            # its innermost one is contiguous; or copy the operands not in C order: whichever
            # lets a vector loop read every operand whole (the first that does).
            for alternative in self._alternatives(original, copies, full):
                plan = self._plan(original, *alternative, vector_only=True)
                if plan is not None:
                    return plan
        if vector_only and gathers:
            return None
        function = self.function(variant)
        # threads split the outermost dimension, unless it is reduced (a 1-d row kernel is one row)
        reduced = len(self.axes) if self.reduction is not None else len(self.row_axes) if self.schedule else 0
        splittable = shape and reduced < self.rank
        total = int(np.prod(shape, dtype=np.int64)) if shape else 1
        weighted = total * max(1, self.ops // OPS_PER_ELEMENT)
        out_bytes = int(np.prod(out_shape, dtype=np.int64)) * max(d.itemsize for d in self.out_dtypes)
        allocate = buffers.empty if out_bytes >= buffers.MIN_BYTES else np.empty
        # streaming stores need every row to start on a cache line, as pooled arrays do; a row
        # kernel's stream variant, rows whose stashes fit its buffers on the stack
        stream = (variant == "vector" and self._stream_address is not None
                  and out_bytes >= STREAM_MIN_BYTES
                  and (self.rank == 1 or all(shape[-1] * d.itemsize % STREAM_ALIGNMENT == 0
                                             for d in self.out_dtypes))
                  and (not self.schedule or self._row_fits(shape)))
        restore = tuple(int(d) for d in np.argsort(order)) if order and self.reduction is None else ()
        return _Plan(tuple(out_shape), copies, strides, sizes, function, shape[0] if splittable else 0,
                     weighted, allocate, shape[0] if self.rank else 1, stream, restore)

    def _alternatives(self, views, copies: frozenset[int], operands: list[np.ndarray]):
        """(copied, order) arguments of `_plan` to try, in turn, for a layout of the operands
        whose loops would read one element by element: the order in memory of the first
        operand whose axes are in another (an elementwise kernel's axes, or a reduction's
        reduced ones among themselves); then copies of the operands not in C order (for an
        elementwise kernel, one of at least COPY_MIN_OPS ops per copy)."""
        if not self.schedule:
            for v in operands:
                order = _memory_order(v)
                if order is None:
                    continue
                if self.reduction is not None:  # kept axes stay in their order: so do the outputs
                    kept = self.perm[:self.rank - len(self.axes)]
                    order = kept + tuple(d for d in order if d in self.axes)
                if order != (self.perm if self.reduction is not None else tuple(range(self.rank))):
                    yield frozenset(), order
                break
        others = frozenset(k for k, v in enumerate(views) if k not in copies and _worth_copying(v))
        weight = sum(1 if views[k].nbytes <= COPY_CACHED_BYTES else 3 for k in others)
        accumulates = self.reduction is not None or self.schedule  # (see COPY_MIN_OPS)
        if others and (accumulates or self.ops >= COPY_MIN_OPS * weight):
            yield others, ()

    def function(self, variant: str) -> Callable:
        """The kernel's function `variant`, as a ctypes function (compiled on first use)."""
        function = self._functions.get(variant)
        if function is None:
            function = self._functions[variant] = KERNEL_SIGNATURE(self._addresses[variant]())
        return function

    def _row_fits(self, shape: tuple[int, ...]) -> bool:
        """Whether a row of a row kernel's iteration `shape` fits its stream variant's stash
        buffers (rows of any length do where it stashes nothing)."""
        row = int(np.prod([shape[a] for a in self.row_axes], dtype=np.int64))
        return row * self.stash_bytes <= STASH_ROW_BYTES

    def _measure(self, plan: _Plan, function, arrays: int) -> None:
        """One of the calls that decide whether `plan`'s work is worth splitting over threads:
        the first is split, untimed (its outputs may be fresh memory, and the pool's first use
        starts its thread); then, timed, one thread, split, one thread, split. Later calls split
        only where the faster split call took under SPLIT_GAIN of the faster one-thread call.
        (Waking a thread can cost tens of microseconds, and two threads that share a core or
        its memory bandwidth may run no faster than one.)"""
        trial = plan.trials
        start = time.perf_counter()
        if trial in (0, 2, 4):
            self._run_threads(plan, function, arrays)
        else:
            function(arrays, plan.strides_address, plan.sizes_address, 0, plan.stop)
        seconds = time.perf_counter() - start
        if trial in (1, 3):
            plan.alone = min(plan.alone or seconds, seconds)
        elif trial in (2, 4):
            plan.shared = min(plan.shared or seconds, seconds)
        if trial == 4:
            plan.split = plan.shared < SPLIT_GAIN * plan.alone
        plan.trials = trial + 1

    def _run_threads(self, plan: _Plan, function, arrays: int) -> None:
        """Split the outermost dimension: the pool's threads take all shares but the first,
        which this thread runs meanwhile (one wake-up fewer, and no thread idles waiting)."""
        outer = plan.outer
        threads = min(get_num_threads(), outer)
        bounds = [outer * k // threads for k in range(threads)] + [outer]
        if plan.stream and self.rank == 1:  # each thread's first store stays aligned
            bounds = [b - b % STREAM_ROW for b in bounds[:-1]] + [outer]
        shares = [(lo, hi) for lo, hi in itertools.pairwise(bounds) if hi > lo]
        pool = shared_pool("kernels", threads - 1)
        jobs = [pool.submit(function, arrays, plan.strides, plan.sizes, lo, hi) for lo, hi in shares[1:]]
        try:
            function(arrays, plan.strides, plan.sizes, *shares[0])
            for job in jobs:
                job.result()
        finally:  # interrupted or failed: still never leave a kernel writing into dropped outputs
            wait(jobs)
