"""The pool of large buffers: reused once no array refers to them, never while one does."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import graphc
from graphc.backends import buffers
from graphc.backends.numpy.runtime import owned

LARGE = (buffers.MIN_BYTES // 4 + 256,)  # float32 elements: just over the pooling threshold
F32 = np.dtype(np.float32)


def test_a_dropped_buffer_is_reused_and_a_held_one_never():
    first = buffers.empty(LARGE, F32)
    address = first.ctypes.data
    held = buffers.empty(LARGE, F32)
    assert held.ctypes.data != address
    del first
    again = buffers.empty(LARGE, F32)
    assert again.ctypes.data == address  # only the pool referred to it
    view = again[::2]
    del again
    assert buffers.empty(LARGE, F32).ctypes.data not in (address, held.ctypes.data)  # the view holds it
    del view
    assert buffers.empty(LARGE, F32).ctypes.data == address


def test_a_group_is_one_pooled_block_free_once_every_array_is_dropped():
    dtypes = [np.dtype(np.float64), np.dtype(np.int32), np.dtype(np.float64), np.dtype(np.bool_)]
    shape = (buffers.MIN_BYTES // 8 // 2 + 7,)  # one float64 array is under the threshold, two over
    group = buffers.empty_group(shape, dtypes)
    assert [a.dtype for a in group] == dtypes and all(a.shape == shape for a in group)
    assert all(a.flags.c_contiguous and a.flags.writeable for a in group)
    assert all(a.ctypes.data % buffers.ALIGNMENT == 0 for a in group)
    spans = sorted((a.ctypes.data, a.ctypes.data + a.nbytes) for a in group)
    assert all(end <= start for (_, end), (start, _) in itertools.pairwise(spans))  # no overlap
    for k, a in enumerate(group):
        a[...] = k + 1
    assert [int(a[-1]) for a in group] == [1, 2, 3, 1]
    addresses = [a.ctypes.data for a in group]
    kept = group[2]
    del group, a
    assert buffers.empty_group(shape, dtypes)[0].ctypes.data != addresses[0]  # one is still held
    del kept
    assert [a.ctypes.data for a in buffers.empty_group(shape, dtypes)] == addresses


def test_small_groups_are_separate_arrays():
    group = buffers.empty_group((3, 2), [F32, np.dtype(np.int64)])
    assert all(a.flags.owndata for a in group) and [a.dtype for a in group] == [F32, np.int64]
    assert buffers.empty_group((0,), [F32, F32])[0].shape == (0,)


def test_a_multi_output_kernel_fills_one_group():
    x = graphc.placeholder("x", ("n",), graphc.float64)
    outs = [graphc.exp(x) + k for k in range(4)]
    f = graphc.function([x], outs, backend="llvm")
    values = np.linspace(0, 1, buffers.MIN_BYTES // 8 // 3 + 5)
    got = f(values)
    assert all(a.base is not None for a in got) and len({id(a.base) for a in got}) == 1  # one block
    for k, a in enumerate(got):
        np.testing.assert_allclose(a, np.exp(values) + k, rtol=1e-15)
    got[0][:] = -1
    assert got[1][0] == 1.0 + 1  # separate memory


def test_small_arrays_are_not_pooled():
    small = buffers.empty((16,), F32)
    assert small.flags.owndata and not buffers.handed_out(small)


def test_a_pooled_output_is_returned_as_is_but_a_view_of_one_is_copied():
    pooled = buffers.empty(LARGE, F32)
    assert buffers.handed_out(pooled) and owned(pooled) is pooled
    view = pooled[1:]
    assert not buffers.handed_out(view)
    copy = owned(view)
    assert copy is not view and copy.flags.owndata


def test_outputs_a_caller_keeps_are_never_overwritten_by_later_calls():
    x = graphc.placeholder("x", ("n",))
    f = graphc.function([x], [graphc.exp(x) + 1.0, x * 2.0], backend="llvm")
    kept = []
    for k in range(4):
        values = np.full(LARGE, float(k), np.float32)
        kept.append(f(values))
        f(values + 10)  # dropped at once: its buffers go back to the pool
    for k, (e, d) in enumerate(kept):
        np.testing.assert_allclose(e, np.exp(np.float32(k)) + 1, rtol=1e-6)
        np.testing.assert_array_equal(d, 2.0 * k)
    assert len({e.ctypes.data for e, _ in kept}) == len(kept)


def test_the_limit_lets_go_of_free_blocks_and_stops_pooling():
    before = buffers.limit()
    try:
        kept = buffers.empty(LARGE, F32)
        dropped = buffers.empty(LARGE, F32)
        del dropped
        held = buffers.held_bytes()
        buffers.set_limit(held - 1)  # one free block must go; the kept one stays
        assert buffers.held_bytes() < held and buffers.handed_out(kept)
        buffers.set_limit(0)
        fresh = buffers.empty(LARGE, F32)
        assert not buffers.handed_out(fresh)  # past the limit: a plain np.empty
    finally:
        buffers.set_limit(before)


def test_the_limit_is_read_as_a_byte_count_with_units():
    assert buffers.parse_bytes("256M") == 256 << 20
    assert buffers.parse_bytes("1GiB") == 1 << 30
    assert buffers.parse_bytes("4096") == 4096 and buffers.parse_bytes("0") == 0
    for bad in ("lots", "-1", "1.5G", ""):
        with pytest.raises(ValueError, match="GRAPHC_POOL_BYTES"):
            buffers.parse_bytes(bad)
    with pytest.raises(ValueError, match="non-negative int"):
        buffers.set_limit(-1)
