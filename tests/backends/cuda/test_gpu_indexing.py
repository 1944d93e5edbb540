"""On a GPU (skipped without one): gather, scatter, argsort and setitem agree with the NumPy
backend, on the cases where a GPU could differ: repeated indices, ties and NaN, negative and
out-of-range indices, every dtype."""

from __future__ import annotations

import numpy as np
import pytest

import graphc as gc
from graphc.backends.cuda import runtime
from tests.backends.agree import compare_backends

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not runtime.is_available(), reason="no CUDA GPU here")]


@pytest.mark.parametrize("dtype", [gc.float16, gc.float32, gc.float64, gc.int32, gc.int64, gc.bool_])
def test_sorting_with_ties_and_nan_agrees(dtype):
    rng = np.random.default_rng(0)
    a = rng.integers(0, 4, (5, 300)).astype(np.float64)
    a[a == 3] = np.nan
    a = np.nan_to_num(a, nan=9) if not dtype.is_floating_point else a
    a = (a > 1) if dtype is gc.bool_ else a.astype(dtype.numpy)
    x = gc.placeholder("x", ("n", 300), dtype)
    outs = [gc.argsort(x), gc.argsort(x, 0, descending=True), gc.sort(x, descending=True).values,
            gc.topk(x, 7).indices]
    compare_backends([x], outs, [a], backend="cuda")


@pytest.mark.parametrize("dtype", [gc.float16, gc.float32, gc.float64, gc.int32, gc.int64])
@pytest.mark.parametrize("index_dtype", [gc.int32, gc.int64])
def test_gather_and_scatter_with_repeated_negative_indices_agree(dtype, index_dtype):
    rng = np.random.default_rng(1)
    x = gc.placeholder("x", ("n", 6), dtype)
    i = gc.placeholder("i", ("m", 6), index_dtype)
    s = gc.placeholder("s", ("m", 6), dtype)
    outs = [gc.gather(x, 0, i), gc.scatter(x, 0, i, s), gc.scatter_add(x, 0, i, s),
            gc.scatter_add(x.T, 1, i.T, s.T), x[i[:, 0]],
            gc.index_put(x, (i[:, 0], i[:, 1]), s[:, 0])]
    args = [rng.integers(-5, 5, (40, 6)).astype(dtype.numpy),
            rng.integers(-6, 6, (90, 6)).astype(index_dtype.numpy),
            rng.integers(-5, 5, (90, 6)).astype(dtype.numpy)]
    compare_backends([x, i, s], outs, args, backend="cuda")


def test_setitem_with_strides_agrees():
    x = gc.placeholder("x", (11, 5), gc.float32)  # (static: x[:1] of n rows is Min(1, n) rows,
    y = x * 2                                       # which does not provably broadcast)
    y[1::3, ::-2] = x[:1, :3] + 1
    y[-1] = 7.0
    compare_backends([x], [y], [np.random.default_rng(2).standard_normal((11, 5)).astype(np.float32)],
                     backend="cuda")


def test_an_index_out_of_range_is_an_index_error():
    x = gc.placeholder("x", (3,), gc.float32)  # (static: x[:2] of n is Min(2, n), not i's 2)
    i = gc.placeholder("i", (2,), gc.int64)
    f = gc.function([x, i], [x[i], gc.scatter_add(x, 0, i, x[:2])], backend="cuda")
    with pytest.raises(IndexError, match="out of bounds"):
        f(np.zeros(3, np.float32), np.array([0, 3]))
    got = f(np.arange(3, dtype=np.float32), np.array([-1, 0]))  # the error was cleared
    np.testing.assert_array_equal(got[0], [2.0, 0.0])
