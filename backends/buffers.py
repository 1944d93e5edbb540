"""Large output buffers, reused once no array uses them, so calls stop paying page faults.

A fresh array of many megabytes comes from the OS as untouched pages, and the first write
to each page traps into the kernel, which zeroes it: for a 40 MB float32 output that was
3 ms of a 6.5 ms `x + 1` here, against 3.5 ms into a reused buffer. NumPy itself pays it
on every call. `empty` hands out views of pooled blocks of at least MIN_BYTES instead: a
block is free again when only the pool refers to it (the caller dropped every array over
it), so an output the caller keeps is never reused, and intermediates a call deletes are
reused by its later kernels. The pool grows to at most its limit (1 GiB, or
`GRAPHC_POOL_BYTES`, e.g. `256M`; `0` turns pooling off; `set_limit` at run time); past
that, `np.empty`.
`empty_group` carves a kernel's several outputs from one block: 665 outputs of 512 KB each
(W7) are one pooled block instead of 665 mallocs whose pages glibc returns to the OS on free
and faults in again on the next call (two thirds of that call's time). An output the caller
keeps keeps its whole group alive.
`handed_out(a)` tells the arrays `empty` returned (whole blocks, which a call may return
to its caller as they are) from other views.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import weakref

import numpy as np

MIN_BYTES = 1 << 22  # 4 MiB: smaller arrays come from malloc's heap, already mapped
DEFAULT_LIMIT = 1 << 30
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def parse_bytes(text: str) -> int:
    """`"256M"` -> 268435456: a count of bytes with an optional K, M or G (powers of 1024)."""
    value = text.strip().upper().removesuffix("B").removesuffix("I")
    unit = value[-1:] if value[-1:] in _UNITS and value[-1:] else ""
    number = value[:-1] if unit else value
    if not number.isdigit():
        raise ValueError(f"GRAPHC_POOL_BYTES must be a byte count such as 268435456, 256M or 1G,"
                         f" got {text!r}")
    return int(number) * _UNITS[unit]


_limit = parse_bytes(os.environ["GRAPHC_POOL_BYTES"]) if "GRAPHC_POOL_BYTES" in os.environ \
    else DEFAULT_LIMIT
ALIGNMENT = 64  # pooled arrays start on a cache line (what streaming stores need)

_lock = threading.Lock()
_blocks: dict[int, list[np.ndarray]] = {}
_held = 0
_handed: weakref.WeakValueDictionary = weakref.WeakValueDictionary()  # id -> array from `empty`


def _free_refcount() -> int:
    """What `sys.getrefcount` reads, in `empty`'s loop, for a block only the pool refers to (3
    on CPython 3.11: the list, the loop variable, the call's argument; interpreters that borrow
    references for locals read less)."""
    blocks = [np.empty(1, np.uint8)]
    for block in blocks:
        return sys.getrefcount(block)
    raise AssertionError("unreachable")


_FREE_REFCOUNT = _free_refcount()
# A free-threaded interpreter's reference counts are split per thread: no pool there.
_POOLING = getattr(sys, "_is_gil_enabled", lambda: True)()


def empty(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """An uninitialised C-contiguous array, from the pool when it is large."""
    global _held
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes < MIN_BYTES or not _POOLING:
        return np.empty(shape, dtype)
    with _lock:
        blocks = _blocks.setdefault(nbytes, [])
        for block in blocks:
            if sys.getrefcount(block) == _FREE_REFCOUNT:
                return _hand_out(block, shape, dtype)
        if _held + nbytes <= _limit:
            block = np.empty(nbytes + ALIGNMENT, np.uint8)
            blocks.append(block)
            _held += nbytes
            return _hand_out(block, shape, dtype)
    return np.empty(shape, dtype)


def empty_group(shape: tuple[int, ...], dtypes: list[np.dtype]) -> list[np.ndarray]:
    """One uninitialised C-contiguous array of `shape` per dtype, each starting on a cache line
    of one block (a pooled one when the group is large)."""
    count = math.prod(shape)
    offsets, total = [], 0
    for dtype in dtypes:
        offsets.append(total)
        total += -(-count * dtype.itemsize // ALIGNMENT) * ALIGNMENT
    if total < MIN_BYTES:  # malloc's heap serves small groups as well as one block would
        return [np.empty(shape, dtype) for dtype in dtypes]
    block = empty((total + ALIGNMENT,), np.dtype(np.uint8))
    start = -block.ctypes.data % ALIGNMENT
    return [block[start + offset:start + offset + count * dtype.itemsize].view(dtype).reshape(shape)
            for offset, dtype in zip(offsets, dtypes)]


def _hand_out(block: np.ndarray, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    start = -block.ctypes.data % ALIGNMENT
    array = block[start:start + block.size - ALIGNMENT].view(dtype).reshape(shape)
    _handed[id(array)] = array
    return array


def handed_out(array: np.ndarray) -> bool:
    """Whether `array` is an array `empty` returned from the pool (not a view of one)."""
    return _handed.get(id(array)) is array


def held_bytes() -> int:
    """Bytes the pool holds, in use or free."""
    return _held


def limit() -> int:
    """The most bytes the pool will hold."""
    return _limit


def set_limit(nbytes: int) -> None:
    """Hold at most `nbytes` from now on (0: no pooling), letting go of free blocks above it."""
    global _limit, _held
    if not isinstance(nbytes, int) or nbytes < 0:
        raise ValueError(f"the buffer pool's limit must be a non-negative int of bytes, got {nbytes!r}")
    with _lock:
        _limit = nbytes
        for size, blocks in _blocks.items():
            free = {id(block) for block in blocks if sys.getrefcount(block) == _FREE_REFCOUNT}
            kept = []
            for block in blocks:
                if id(block) in free and _held > _limit:
                    _held -= size
                else:
                    kept.append(block)
            blocks[:] = kept
