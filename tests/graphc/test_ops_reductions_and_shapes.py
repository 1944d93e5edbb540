"""graphc's reductions, shape ops and linear algebra against NumPy, on every backend (see op_checks.py)."""

from __future__ import annotations

import operator

import numpy as np
import pytest
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import graphc
from tests.graphc.op_checks import (
    ALL_DTYPES,
    F32,
    I64,
    NUMERIC,
    arrays,
    axes,
    check,
    check_raises,
    elements,
    given_on_each_backend,
    pytest_generate_tests,  # noqa: F401  (pytest's hook: a test taking `backend` runs per backend)
    small_shapes,
    torch_result_type,
)

# ------------------------------------------------------------------- reductions

REDUCTIONS = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min, "prod": np.prod}


def reduction_dtype(name: str, dtype: np.dtype) -> np.dtype:
    """PyTorch: sum and prod of bools and integers give int64 (mean takes floats only)."""
    if name in ("sum", "prod") and dtype.kind != "f":
        return I64
    return dtype


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@given_on_each_backend(data=st.data())
def test_reductions_over_axes(backend, name, data):
    floats = [d for d in ALL_DTYPES if d.kind == "f"]  # PyTorch refuses an integer mean
    dtype = data.draw(st.sampled_from(floats if name == "mean" else ALL_DTYPES), label="dtype")
    min_side = 1 if name in ("max", "min", "mean") else 0  # NumPy refuses an empty max; empty mean warns
    shape = data.draw(small_shapes(min_side=min_side), label="shape")
    lo, hi = (-2, 2) if name == "prod" else (-100, 100)
    x = data.draw(arrays(dtype, shape, lo=lo, hi=hi), label="x")
    axis = data.draw(axes(len(shape)), label="axis")
    keepdims = data.draw(st.booleans(), label="keepdims")
    want = reduction_dtype(name, dtype)
    fn, reference = getattr(graphc, name), REDUCTIONS[name]
    atol = 1e-3 if want == F32 else None  # float32 sums of up to 64 values near 100
    check(backend, lambda t: fn(t, axis=axis, keepdims=keepdims),
          lambda a: reference(a.astype(want), axis=axis, keepdims=keepdims), x, dtype=want, atol=atol)
    if isinstance(axis, int):  # PyTorch's spelling (max and min also give indices then)
        values = (lambda r: r.values) if name in ("max", "min") else (lambda r: r)
        check(backend, lambda t: values(getattr(t, name)(dim=axis, keepdim=keepdims)),
              lambda a: reference(a.astype(want), axis=axis, keepdims=keepdims), x, dtype=want, atol=atol)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@given_on_each_backend(data=st.data())
def test_argmax_argmin_pick_the_first_extreme(backend, name, data):
    dtype = data.draw(st.sampled_from(ALL_DTYPES), label="dtype")
    shape = data.draw(small_shapes(min_side=1), label="shape")
    if dtype.kind == "f":  # few distinct values, so ties and NaNs are common
        values = st.sampled_from([-1.0, 0.0, 2.0, np.inf, -np.inf, np.nan])
    else:
        values = elements(dtype, -2, 2)
    x = data.draw(hnp.arrays(dtype, shape, elements=values), label="x")
    ndim = len(shape)
    axis = data.draw(st.none() if not ndim else st.one_of(st.none(), st.integers(-ndim, ndim - 1)))
    keepdims = data.draw(st.booleans(), label="keepdims")
    reference = getattr(np, name)
    check(backend, lambda t: getattr(graphc, name)(t, axis=axis, keepdims=keepdims),
          lambda a: reference(a, axis=axis, keepdims=keepdims), x, dtype=I64)


@pytest.mark.parametrize("name", ["max", "min", "sum", "mean", "prod"])
def test_reductions_propagate_nan(backend, name):
    x = np.array([[1.0, np.nan, 3.0], [np.inf, 2.0, -1.0], [-np.inf, 0.0, 5.0]], F32)
    reference = REDUCTIONS[name]
    for axis in (None, 0, 1):
        check(backend, lambda t, axis=axis: getattr(graphc, name)(t, axis=axis),
              lambda a, axis=axis: reference(a, axis=axis), x, dtype=F32)


@pytest.mark.parametrize("name", ["sum", "mean", "max", "argmax"])
def test_reduction_over_a_bad_axis_raises(name):
    check_raises(lambda t: getattr(graphc, name)(t, axis=2), np.zeros((2, 3), F32))
    check_raises(lambda t: getattr(graphc, name)(t, axis=-3), np.zeros((2, 3), F32))


# -------------------------------------------------------------------- shape ops

@given_on_each_backend(data=st.data())
def test_reshape_with_and_without_minus_one(backend, data):
    dtype = data.draw(st.sampled_from(ALL_DTYPES))
    shape = data.draw(small_shapes())
    x = data.draw(arrays(dtype, shape))
    target = list(data.draw(st.permutations(shape)))
    target[len(target) // 2:len(target) // 2] = [1] * data.draw(st.integers(0, 2))
    if x.size and target and data.draw(st.booleans()):
        target[data.draw(st.integers(0, len(target) - 1))] = -1
    check(backend, lambda t: graphc.reshape(t, tuple(target)), lambda a: a.reshape(target), x, dtype=dtype)
    check(backend, lambda t: t.reshape(*target), lambda a: a.reshape(target), x, dtype=dtype)
    check(backend, lambda t: t.view(-1), lambda a: a.reshape(-1), x, dtype=dtype)


@pytest.mark.parametrize("target", [(4,), (2, 2), (-1, 4), (5, -1), (-1, -1)])
def test_reshape_to_a_wrong_size_raises(target):
    check_raises(lambda t: t.reshape(target), np.zeros((2, 3), F32))


@given_on_each_backend(data=st.data())
def test_broadcast_to(backend, data):
    shape = data.draw(small_shapes(max_dims=3, max_side=3))
    other = data.draw(hnp.broadcastable_shapes(shape, max_dims=4, max_side=3))
    target = np.broadcast_shapes(shape, other)
    x = data.draw(arrays(data.draw(st.sampled_from(ALL_DTYPES)), shape))
    check(backend, lambda t: graphc.broadcast_to(t, target), lambda a: np.broadcast_to(a, target), x,
          dtype=x.dtype)


@pytest.mark.parametrize("shape, target", [((3,), (4,)), ((2, 3), (3,)), ((2, 3), (3, 3)), ((3,), (3, 2))])
def test_broadcast_to_an_incompatible_shape_raises(shape, target):
    check_raises(lambda t: graphc.broadcast_to(t, target), np.zeros(shape, F32))


@given_on_each_backend(data=st.data())
def test_permute_transpose_and_T(backend, data):
    shape = data.draw(small_shapes(max_dims=4))
    x = data.draw(arrays(data.draw(st.sampled_from(ALL_DTYPES)), shape))
    perm = tuple(data.draw(st.permutations(range(len(shape)))))
    check(backend, lambda t: graphc.permute(t, perm), lambda a: np.transpose(a, perm), x, dtype=x.dtype)
    check(backend, lambda t: t.permute(*perm), lambda a: np.transpose(a, perm), x, dtype=x.dtype)
    check(backend, lambda t: t.T, lambda a: a.T, x, dtype=x.dtype)
    if len(shape) >= 2:
        d0, d1 = (data.draw(st.integers(-len(shape), len(shape) - 1)) for _ in range(2))
        check(backend, lambda t: graphc.transpose(t, d0, d1), lambda a: np.swapaxes(a, d0, d1), x,
              dtype=x.dtype)
        check(backend, lambda t: t.transpose(), lambda a: np.swapaxes(a, -2, -1), x, dtype=x.dtype)


def test_permute_with_a_bad_permutation_raises():
    x = np.zeros((2, 3, 4), F32)
    check_raises(lambda t: graphc.permute(t, (0, 1)), x)
    check_raises(lambda t: graphc.permute(t, (0, 0, 1)), x)
    check_raises(lambda t: graphc.permute(t, (0, 1, 3)), x)


@given_on_each_backend(data=st.data())
def test_squeeze_and_unsqueeze(backend, data):
    shape = tuple(data.draw(st.lists(st.sampled_from([1, 2, 3]), max_size=4)))
    x = data.draw(arrays(data.draw(st.sampled_from(ALL_DTYPES)), shape))
    check(backend, graphc.squeeze, np.squeeze, x, dtype=x.dtype)
    ones = [i for i, d in enumerate(shape) if d == 1]
    if ones:
        axis = data.draw(st.sampled_from(ones))
        check(backend, lambda t: graphc.squeeze(t, axis), lambda a: np.squeeze(a, axis), x, dtype=x.dtype)
        check(backend, lambda t: graphc.squeeze(t, tuple(ones)), lambda a: np.squeeze(a, tuple(ones)), x,
              dtype=x.dtype)
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    check(backend, lambda t: graphc.unsqueeze(t, axis), lambda a: np.expand_dims(a, axis), x, dtype=x.dtype)


def test_squeeze_of_a_dimension_that_is_not_one_keeps_it_as_pytorch(backend):
    check(backend, lambda t: graphc.squeeze(t, 0), lambda a: a, np.zeros((2, 1, 3), F32), dtype=F32)
    check(backend, lambda t: graphc.squeeze(t, (0, 1)), lambda a: a[:, 0], np.zeros((2, 1, 3), F32),
          dtype=F32)


def test_unsqueeze_out_of_range_raises():
    check_raises(lambda t: graphc.unsqueeze(t, 3), np.zeros((2, 3), F32))
    check_raises(lambda t: graphc.unsqueeze(t, -4), np.zeros((2, 3), F32))


@given_on_each_backend(data=st.data())
def test_cat_promotes_and_joins(backend, data):
    ndim = data.draw(st.integers(1, 3))
    base = list(data.draw(small_shapes(min_dims=ndim, max_dims=ndim, max_side=3)))
    axis = data.draw(st.integers(-ndim, ndim - 1))
    parts = []
    for _ in range(data.draw(st.integers(1, 3))):
        shape = list(base)
        shape[axis] = data.draw(st.integers(0, 3))
        parts.append(data.draw(arrays(data.draw(st.sampled_from(ALL_DTYPES)), tuple(shape))))
    want = torch_result_type(*parts)

    def reference(*arrays):
        return np.concatenate([a.astype(want) for a in arrays], axis)

    check(backend, lambda *ts: graphc.cat(list(ts), axis), reference, *parts, dtype=want)
    check(backend, lambda *ts: graphc.cat(ts, dim=axis), reference, *parts, dtype=want)


@given_on_each_backend(data=st.data())
def test_stack_joins_along_a_new_axis(backend, data):
    shape = data.draw(small_shapes(max_side=3))
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    dtype = data.draw(st.sampled_from(ALL_DTYPES))
    parts = [data.draw(arrays(dtype, shape)) for _ in range(data.draw(st.integers(1, 3)))]
    check(backend, lambda *ts: graphc.stack(list(ts), axis), lambda *a: np.stack(a, axis), *parts,
          dtype=dtype)


def test_cat_and_stack_of_mismatched_shapes_raise():
    a, b = np.zeros((2, 3), F32), np.zeros((2, 4), F32)
    check_raises(lambda x, y: graphc.cat([x, y], 0), a, b)
    check_raises(lambda x, y: graphc.stack([x, y]), a, b)
    check_raises(lambda x, y: graphc.cat([x, y], 0), a, np.zeros(3, F32))
    check_raises(lambda x: graphc.cat([x, x], 2), a)
    check_raises(lambda x: graphc.cat([x, x]), np.zeros((), F32))


@given_on_each_backend(data=st.data())
def test_basic_indexing_matches_numpy(backend, data):
    dtype = data.draw(st.sampled_from(ALL_DTYPES))
    shape = data.draw(small_shapes(max_dims=4, max_side=5))
    x = data.draw(arrays(dtype, shape))
    index = data.draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    check(backend, lambda t: t[index], lambda a: a[index], x, dtype=dtype)
    check(backend, lambda t: graphc.getitem(t, index), lambda a: a[index], x, dtype=dtype)


@pytest.mark.parametrize("index", [
    (slice(None, None, -1),), (slice(None, None, -2), 1), (-1, slice(3, 0, -1)), (Ellipsis, -1),
    (None, Ellipsis, None), (1, Ellipsis, None, 2), (slice(10, 20),), (slice(-10, 2), slice(None, None, 3)),
    (), Ellipsis, -3, (np.int64(1), np.int32(-1)), (slice(None), None, slice(1, None, 2)),
])
def test_indexing_cases(backend, index):
    x = np.arange(3 * 4 * 5, dtype=F32).reshape(3, 4, 5)
    check(backend, lambda t: t[index], lambda a: a[index], x, dtype=F32)


@pytest.mark.parametrize("index", [3, -4, (0, 4), (0, 0, 5), (0, 0, -6), (0, 0, 0, 0), (Ellipsis, Ellipsis),
                                   (slice(None, None, 0),), 1.0])
def test_bad_indices_raise(index):
    check_raises(lambda t: t[index], np.zeros((3, 4, 5), F32))


@given_on_each_backend(data=st.data())
def test_flip(backend, data):
    shape = data.draw(small_shapes())
    x = data.draw(arrays(data.draw(st.sampled_from(ALL_DTYPES)), shape))
    axis = data.draw(axes(len(shape)))
    check(backend, lambda t: graphc.flip(t, axis), lambda a: np.flip(a, axis), x, dtype=x.dtype)


@given_on_each_backend(data=st.data())
def test_pad_with_a_constant(backend, data):
    dtype = data.draw(st.sampled_from(ALL_DTYPES))
    shape = data.draw(small_shapes(max_side=3))
    x = data.draw(arrays(dtype, shape))
    value = data.draw(st.sampled_from([0, 1, -3] if dtype.kind in "iub" else [0.0, -1.5, np.nan]))
    widths = tuple(data.draw(st.tuples(st.integers(0, 2), st.integers(0, 2))) for _ in shape)
    expected = lambda a: np.pad(a, widths or 0, constant_values=dtype.type(value))  # noqa: E731
    check(backend, lambda t: graphc.pad_widths(t, widths, value), expected, x, dtype=dtype)
    w = data.draw(st.integers(0, 2))
    check(backend, lambda t: graphc.pad_widths(t, w, value),
          lambda a: np.pad(a, w, constant_values=dtype.type(value)), x, dtype=dtype)
    if shape:
        pair = data.draw(st.tuples(st.integers(0, 2), st.integers(0, 2)))
        check(backend, lambda t: graphc.pad_widths(t, pair), lambda a: np.pad(a, pair), x, dtype=dtype)


def test_pad_with_negative_widths_raises():
    check_raises(lambda t: graphc.pad_widths(t, ((0, -1), (1, 1))), np.zeros((2, 3), F32))
    check_raises(lambda t: graphc.pad_widths(t, ((0, 1),) * 3), np.zeros((2, 3), F32))


# ----------------------------------------------------------------------- linalg

@given_on_each_backend(data=st.data())
def test_matmul_has_numpy_semantics(backend, data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(signature=np.matmul.signature, max_dims=2,
                                                         max_side=3))
    da, db = (data.draw(st.sampled_from(NUMERIC)) for _ in range(2))
    a = data.draw(arrays(da, shapes.input_shapes[0], lo=-10, hi=10))
    b = data.draw(arrays(db, shapes.input_shapes[1], lo=-10, hi=10))
    want = torch_result_type(a, b)
    reference = lambda x, y: np.matmul(x.astype(want), y.astype(want))  # noqa: E731
    check(backend, graphc.matmul, reference, a, b, dtype=want, atol=1e-4)
    check(backend, operator.matmul, reference, a, b, dtype=want, atol=1e-4)
    if a.ndim == 1 and b.ndim == 1:
        check(backend, graphc.dot, reference, a, b, dtype=want, atol=1e-4)


@pytest.mark.parametrize("sa, sb", [((2, 3), (2, 3)), ((3,), (4,)), ((), (3,)), ((2, 3, 4), (5, 4, 2)),
                                    ((2, 3), ())])
def test_matmul_of_mismatched_shapes_raises(sa, sb):
    check_raises(graphc.matmul, np.zeros(sa, F32), np.zeros(sb, F32))


def test_dot_needs_two_vectors_of_one_length():
    check_raises(graphc.dot, np.zeros(3, F32), np.zeros(4, F32))
    check_raises(graphc.dot, np.zeros((3, 3), F32), np.zeros(3, F32))
