"""Compositions of graphc ops (softmax and family), broadcasting, symbolic shapes and aliasing
against NumPy, on every backend (see op_checks.py)."""

from __future__ import annotations

import os

import numpy as np
import pytest
import scipy.special
from hypothesis import strategies as st

import graphc
from tests.graphc.op_checks import (
    F32,
    FLOATS,
    arrays,
    assert_same,
    check,
    check_raises,
    compiled,
    given_on_each_backend,
    pytest_generate_tests,  # noqa: F401  (pytest's hook: a test taking `backend` runs per backend)
    small_shapes,
)

# ----------------------------------------------------------------- compositions

COMPOSITIONS = {
    "softmax": lambda x, axis: scipy.special.softmax(x.astype(np.float64), axis=axis),
    "log_softmax": lambda x, axis: scipy.special.log_softmax(x.astype(np.float64), axis=axis),
    "logsumexp": lambda x, axis: scipy.special.logsumexp(x.astype(np.float64), axis=axis),
}


@pytest.mark.parametrize("name", sorted(COMPOSITIONS))
@given_on_each_backend(data=st.data())
def test_softmax_family_is_stable(backend, name, data):
    dtype = data.draw(st.sampled_from(FLOATS))
    shape = data.draw(small_shapes(min_dims=1, min_side=1))
    scale = data.draw(st.sampled_from([1.0, 1e30 if dtype == F32 else 1e300]))  # exp(x) would overflow
    x = data.draw(arrays(dtype, shape, lo=-10, hi=10)) * dtype.type(scale / 10)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    reference = COMPOSITIONS[name]
    rtol = 1e-5 if dtype == F32 else 1e-10
    check(backend, lambda t: getattr(graphc, name)(t, axis), lambda a: reference(a, axis).astype(dtype), x,
          dtype=dtype, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("name", sorted(COMPOSITIONS))
def test_softmax_family_with_masked_entries(backend, name):
    x = np.array([[0.0, -np.inf, 1.0], [-np.inf, -np.inf, -np.inf], [5.0, 5.0, -np.inf]], F32)
    reference = COMPOSITIONS[name]
    with np.errstate(all="ignore"):
        check(backend, lambda t: getattr(graphc, name)(t), lambda a: reference(a, -1).astype(F32), x,
              dtype=F32)


def test_softmax_family_of_ints_is_float32(backend):
    x = np.array([[1, 2, 3], [0, 0, 0]], np.int64)
    for name, reference in COMPOSITIONS.items():
        check(backend, lambda t, name=name: getattr(graphc, name)(t, 1),
              lambda a, r=reference: r(a, 1).astype(F32), x, dtype=F32)


def test_logsumexp_keepdims_and_axis_tuples(backend):
    x = np.linspace(-3, 3, 24, dtype=F32).reshape(2, 3, 4)
    for axis in (0, -1, (0, 2), None):
        for keepdims in (False, True):
            check(backend, lambda t, axis=axis, keepdims=keepdims: graphc.logsumexp(t, axis, keepdims),
                  lambda a, axis=axis, keepdims=keepdims: scipy.special.logsumexp(a, axis, keepdims=keepdims),
                  x, dtype=F32)


# ------------------------------------------------------------------ broadcasting

INCOMPATIBLE = [((3,), (4,)), ((2, 3), (3, 2)), ((2, 1, 3), (4, 3, 3)), ((5, 2), (2, 5, 3))]


@pytest.mark.parametrize("sa, sb", INCOMPATIBLE)
@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow", "maximum", "atan2", "eq", "lt",
                                  "logical_and"])
def test_shapes_that_cannot_broadcast_raise_at_build_time(name, sa, sb):
    check_raises(getattr(graphc, name), np.ones(sa, F32), np.ones(sb, F32))


@pytest.mark.parametrize("sa, sb", INCOMPATIBLE)
def test_where_of_shapes_that_cannot_broadcast_raises(sa, sb):
    check_raises(lambda x, y: graphc.where(x > 0, x, y), np.ones(sa, F32), np.ones(sb, F32))
    check_raises(lambda x, y: graphc.where(y > 0, x, 0.0), np.ones(sa, F32), np.ones(sb, F32))


def test_a_broadcast_error_names_the_op_and_the_shapes():
    x, y = graphc.placeholder("x", (3,)), graphc.placeholder("y", (4,))
    with pytest.raises(graphc.GraphBuildError, match=r"add.*\[3\].*\[4\]") as err:
        x + y
    assert os.path.basename(__file__) in str(err.value)  # where the user built the node


# --------------------------------------------------------------- symbolic shapes

def test_one_function_serves_every_size_of_a_symbolic_dimension(backend):
    x = graphc.placeholder("x", ("n", 3))
    b = graphc.placeholder("b", (3,))
    outs = [graphc.relu(x * 2 + b), graphc.sum(x, 0), graphc.max(x, 1, keepdims=True), x @ x.T, x.T @ x,
            graphc.softmax(x, 1), graphc.mean(x, 1), x[:, 1:], x.reshape(-1), graphc.cat([x, x], 0),
            graphc.cat([x, x], 1).reshape(-1, 3), graphc.flip(x, 0), graphc.pad_widths(x, 1),
            graphc.stack([x, x], 1), graphc.broadcast_to(x[:, None], ("n", 2, 3)), graphc.ones_like(x)]
    f = compiled(backend, [x, b], outs)
    rng = np.random.default_rng(0)
    for n in (0, 1, 2, 7):
        a, bias = rng.standard_normal((n, 3)).astype(F32), rng.standard_normal(3).astype(F32)
        expected = [np.maximum(a * 2 + bias, 0), a.sum(0), a.max(1, keepdims=True) if n else np.empty((0, 1)),
                    a @ a.T, a.T @ a, scipy.special.softmax(a, 1), a.mean(1) if n else np.empty(0), a[:, 1:],
                    a.reshape(-1), np.concatenate([a, a]), np.concatenate([a, a], 1).reshape(-1, 3),
                    np.flip(a, 0), np.pad(a, 1), np.stack([a, a], 1), np.broadcast_to(a[:, None], (n, 2, 3)),
                    np.ones((n, 3))]
        assert len(expected) == len(outs)
        for got, want in zip(f(a, bias), expected):
            assert_same(got, np.asarray(want), F32)


@pytest.mark.parametrize("index", [slice(1, None), slice(None, -1), slice(None, None, 2), slice(1, None, 3),
                                   slice(2, -1), slice(-2, None), 0, -1])
def test_slicing_a_symbolic_dimension(backend, index):
    # Sizes for which every bound lies within the dimension: graphc's symbolic slice
    # lengths assume that (n - 3 for [2:-1], not max(0, n - 3)).
    x = graphc.placeholder("x", ("n", 3))
    y = x[index]
    f = compiled(backend, [x], [y, graphc.zeros_like(y), y.reshape(-1)])
    for n in (3, 4, 7):
        a = np.arange(n * 3, dtype=F32).reshape(n, 3)
        got, zeros, flat = f(a)
        assert_same(got, a[index], F32)
        assert_same(zeros, np.zeros_like(a[index]), F32)
        assert_same(flat, a[index].reshape(-1), F32)


def test_symbolic_shapes_broadcast_with_one_and_themselves(backend):
    x = graphc.placeholder("x", ("n", 1))
    y = graphc.placeholder("y", (1, "m"))
    z = graphc.placeholder("z", ("n", "m"))
    out = x + y + z
    assert out.shape == (graphc.placeholder("t", ("n", "m")).shape)
    f = compiled(backend, [x, y, z], out)
    a, b, c = np.ones((2, 1), F32), np.arange(3, dtype=F32)[None], np.zeros((2, 3), F32)
    assert_same(f(a, b, c), a + b + c, F32)


def test_different_symbols_do_not_broadcast():
    x, y = graphc.placeholder("x", ("n",)), graphc.placeholder("y", ("m",))
    with pytest.raises(graphc.GraphBuildError):
        x + y


def test_inconsistent_sizes_for_one_symbol_raise(backend):
    x = graphc.placeholder("x", ("n", 3))
    y = graphc.placeholder("y", ("n",))
    f = compiled(backend, [x, y], x + y[:, None])
    assert_same(f(np.ones((4, 3), F32), np.ones(4, F32)), np.full((4, 3), 2, F32), F32)
    with pytest.raises(ValueError, match="n"):
        f(np.ones((4, 3), F32), np.ones(5, F32))
    with pytest.raises(ValueError):
        f(np.ones((4, 2), F32), np.ones(4, F32))  # the static dimension differs
    with pytest.raises(ValueError):
        f(np.ones(4, F32), np.ones(4, F32))  # wrong number of dimensions


def test_a_call_with_a_wrong_static_shape_raises(backend):
    x = graphc.placeholder("x", (2, 3))
    f = compiled(backend, [x], graphc.sum(x))
    with pytest.raises(ValueError):
        f(np.ones((3, 2), F32))


# ------------------------------------------------------------------------ aliasing

PASS_THROUGH = {
    "floor": graphc.floor, "ceil": graphc.ceil, "round": graphc.round,
    "stop_gradient": graphc.stop_gradient, "reshape to the same shape": lambda t: t.reshape(2, 3),
    "identity permutation": lambda t: t.permute(0, 1), "squeeze of nothing": graphc.squeeze,
    "cast to the same dtype": lambda t: t.long(), "pad by nothing": lambda t: graphc.pad_widths(t, 0),
    "whole slice": lambda t: t[...],
}


@pytest.mark.parametrize("name", sorted(PASS_THROUGH))
def test_results_never_alias_the_caller_s_arrays(backend, name):
    build = PASS_THROUGH[name]
    array = np.arange(6).reshape(2, 3)
    x = graphc.placeholder("x", (2, 3), graphc.int64)
    result = compiled(backend, [x], build(x))(array)
    assert not np.shares_memory(result, array)
    result[0, 0] = 100  # results belong to the caller
    assert array[0, 0] == 0

    shared = graphc.from_numpy(array)
    np.testing.assert_array_equal(build(shared).numpy(), np.arange(6).reshape(2, 3))
    array[0, 0] = 5  # evaluating an eager op must not freeze or capture the user's array
    assert array.flags.writeable
