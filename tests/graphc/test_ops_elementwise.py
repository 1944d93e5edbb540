"""graphc's creation and elementwise ops against NumPy, on every backend (see op_checks.py)."""

from __future__ import annotations

import math
import operator

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import graphc
from tests.graphc.op_checks import (
    ALL_DTYPES,
    BOOL,
    F32,
    F64,
    FLOATS,
    I32,
    I64,
    NUMERIC,
    SETTINGS,
    arrays,
    assert_same,
    check,
    check_raises,
    compiled,
    erf_reference,
    float_result,
    given_on_each_backend,
    pytest_generate_tests,  # noqa: F401  (pytest's hook: a test taking `backend` runs per backend)
    scalar_dtype,
    small_shapes,
    torch_result_type,
)

# -------------------------------------------------------------------- creation

fill_values = st.one_of(st.booleans(), st.integers(-100, 100), st.floats(-100, 100, width=32))


@given_on_each_backend(shape=small_shapes(), fill=fill_values)
def test_full_infers_dtype_like_pytorch(backend, shape, fill):
    out = graphc.full(shape, fill)
    expected = np.full(shape, fill, dtype=scalar_dtype(fill))
    assert out.dtype.numpy == scalar_dtype(fill)
    assert_same(compiled(backend, [], out)(), expected, scalar_dtype(fill))
    assert_same(out.numpy(), expected, scalar_dtype(fill))


@SETTINGS
@given(shape=small_shapes(), fill=fill_values, dtype=st.sampled_from(ALL_DTYPES))
def test_full_with_dtype_converts_the_fill_value_as_numpy(shape, fill, dtype):
    out = graphc.full(shape, fill, dtype=dtype)
    assert_same(out.numpy(), np.full(shape, fill, dtype=dtype), dtype)


@SETTINGS
@given(shape=small_shapes(), dtype=st.sampled_from(ALL_DTYPES))
def test_zeros_and_ones(shape, dtype):
    for make, value in ((graphc.zeros, 0), (graphc.ones, 1)):
        assert_same(make(shape, dtype=dtype).numpy(), np.full(shape, value, dtype), dtype)
        assert_same(make(*shape, dtype=dtype).numpy(), np.full(shape, value, dtype), dtype)
        assert make(*shape).dtype is graphc.float32


@given_on_each_backend(x=hnp.arrays(st.sampled_from(ALL_DTYPES), small_shapes()), fill=fill_values,
                       dtype=st.sampled_from([None, *ALL_DTYPES]))
def test_zeros_ones_full_like_keep_shape_and_dtype(backend, x, fill, dtype):
    want = x.dtype if dtype is None else dtype
    check(backend, lambda t: graphc.zeros_like(t, dtype=dtype), lambda a: np.zeros_like(a, dtype=want), x,
          dtype=want)
    check(backend, lambda t: graphc.ones_like(t, dtype=dtype), lambda a: np.ones_like(a, dtype=want), x,
          dtype=want)
    if want.kind in "iu" and isinstance(fill, float):
        fill = int(fill)
    check(backend, lambda t: graphc.full_like(t, fill, dtype=dtype),
          lambda a: np.full_like(a, fill, dtype=want), x, dtype=want)


def test_like_constructors_follow_symbolic_shapes(backend):
    x = graphc.placeholder("x", ("n", 3), dtype=graphc.int32)
    f = compiled(backend, [x], [graphc.zeros_like(x), graphc.ones_like(x, dtype=graphc.float64)])
    for n in (0, 1, 4):
        zeros, ones = f(np.empty((n, 3), np.int32))
        assert_same(zeros, np.zeros((n, 3), np.int32), I32)
        assert_same(ones, np.ones((n, 3)), F64)


@given_on_each_backend(start=st.integers(-20, 20), stop=st.integers(-20, 20),
                       step=st.integers(-5, 5).filter(bool))
def test_arange_of_ints_is_int64(backend, start, stop, step):
    out = graphc.arange(start, stop, step)
    assert_same(out.numpy(), np.arange(start, stop, step), I64)
    assert_same(compiled(backend, [], out)(), np.arange(start, stop, step), I64)
    if start >= 0:
        assert_same(graphc.arange(start).numpy(), np.arange(start), I64)


@SETTINGS
@given(start=st.integers(-40, 40), stop=st.integers(-40, 40), step=st.integers(-8, 8).filter(bool),
       dtype=st.sampled_from([None, F32, F64]))
def test_arange_of_floats(start, stop, step, dtype):
    start, stop, step = start / 4, stop / 4, step / 4  # exact in binary, so the length is unambiguous
    want = F32 if dtype is None else dtype
    length = max(0, math.ceil((stop - start) / step))
    expected = start + np.arange(length) * step
    assert_same(graphc.arange(start, stop, step, dtype=dtype).numpy(), expected, want)


def test_arange_with_zero_step_raises():
    with pytest.raises(graphc.GraphBuildError):
        graphc.arange(0, 5, 0)


@pytest.mark.parametrize("n, m", [(0, None), (1, None), (3, None), (2, 4), (4, 2), (3, 0)])
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_eye(backend, n, m, dtype):
    out = graphc.eye(n, m, dtype=dtype)
    assert_same(out.numpy(), np.eye(n, m, dtype=dtype), dtype)
    assert_same(compiled(backend, [], out)(), np.eye(n, m, dtype=dtype), dtype)
    assert graphc.eye(n, m).dtype is graphc.float32


# ----------------------------------------------------------------- elementwise

UNARY = {
    # name: (NumPy reference, "number" keeps the dtype and rejects bool, "float" computes in a float)
    "neg": (np.negative, "number"),
    "abs": (np.abs, "number"),
    "sign": (np.sign, "number"),
    "exp": (np.exp, "float"),
    "log": (np.log, "float"),
    "log1p": (np.log1p, "float"),
    "expm1": (np.expm1, "float"),
    "sqrt": (np.sqrt, "float"),
    "rsqrt": (lambda x: 1 / np.sqrt(x), "float"),
    "sin": (np.sin, "float"),
    "cos": (np.cos, "float"),
    "tan": (np.tan, "float"),
    "tanh": (np.tanh, "float"),
    "sigmoid": (lambda x: (1 / (1 + np.exp(-x.astype(np.float64)))).astype(x.dtype), "float"),
    "relu": (lambda x: np.maximum(x, np.zeros((), x.dtype)), "number"),
    "floor": (np.floor, "number"),
    "ceil": (np.ceil, "number"),
    "round": (np.round, "number"),  # half to even, as torch.round
    "erf": (erf_reference, "float"),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@given_on_each_backend(data=st.data())
def test_unary_matches_numpy(backend, name, data):
    reference, kind = UNARY[name]
    dtype = data.draw(st.sampled_from(ALL_DTYPES if kind == "float" else NUMERIC), label="dtype")
    x = data.draw(arrays(dtype, small_shapes()), label="x")
    want = float_result(dtype) if kind == "float" else dtype
    check(backend, getattr(graphc, name), lambda a: reference(a.astype(want)), x, dtype=want)
    if name in ("neg", "abs"):
        check(backend, operator.neg if name == "neg" else operator.abs, lambda a: reference(a), x, dtype=want)


SPECIALS = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, 2.5, -2.5,
            1e30, -1e30, 1e-30, 1e300]


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("dtype", FLOATS)
def test_unary_nan_and_inf_as_numpy(backend, name, dtype):
    reference, _ = UNARY[name]
    with np.errstate(over="ignore"):
        x = np.array(SPECIALS).astype(dtype)  # 1e300 is inf in float32
    check(backend, getattr(graphc, name), reference, x, dtype=dtype)


@pytest.mark.parametrize("name", ["neg", "abs", "sign", "relu", "floor", "ceil", "round"])
def test_numeric_unary_ops_on_int_keep_the_dtype(backend, name):
    reference, _ = UNARY[name]
    for dtype in (I32, I64):
        x = np.array([-3, -1, 0, 1, 2, 7], dtype)
        check(backend, getattr(graphc, name), reference, x, dtype=dtype)


def test_neg_of_bool_raises():
    check_raises(graphc.neg, np.array([True, False]))


@pytest.mark.parametrize("name", ["exp", "sin", "sqrt", "sigmoid", "erf"])
def test_float_unary_of_int_and_bool_is_float32(backend, name):
    reference, _ = UNARY[name]
    for x in (np.array([0, 1, 4], np.int32), np.array([0, 1, 4], np.int64), np.array([True, False])):
        check(backend, getattr(graphc, name), lambda a: reference(a.astype(F32)), x, dtype=F32)


BINARY = {
    # name: (NumPy reference, kind). "any" allows bool; "number" rejects bool; "float"
    # computes in a float; "compare" gives bool; "logical" treats operands as truth values.
    "add": (np.add, "any"),
    "sub": (np.subtract, "number"),
    "mul": (np.multiply, "any"),
    "div": (np.true_divide, "float"),
    "floordiv": (np.floor_divide, "number"),
    "mod": (np.mod, "number"),
    "pow": (np.power, "number"),
    "maximum": (np.maximum, "any"),
    "minimum": (np.minimum, "any"),
    "atan2": (np.arctan2, "float"),
    "eq": (np.equal, "compare"),
    "ne": (np.not_equal, "compare"),
    "lt": (np.less, "compare"),
    "le": (np.less_equal, "compare"),
    "gt": (np.greater, "compare"),
    "ge": (np.greater_equal, "compare"),
    "logical_and": (np.logical_and, "logical"),
    "logical_or": (np.logical_or, "logical"),
}


def binary_expectation(name: str, a, b):
    """(result dtype, NumPy reference) of `name(a, b)` under PyTorch's promotion, or None if it raises."""
    reference, kind = BINARY[name]
    common = torch_result_type(a, b)
    if kind == "logical":
        return BOOL, reference
    if kind == "number" and common == BOOL:
        return None
    compute = float_result(common) if kind == "float" else common

    def ref(x, y):
        return reference(np.asarray(x).astype(compute), np.asarray(y).astype(compute))

    return (BOOL if kind == "compare" else compute), ref


@pytest.mark.parametrize("name", sorted(BINARY))
@given_on_each_backend(data=st.data())
def test_binary_broadcasts_and_promotes_like_pytorch(backend, name, data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
                       label="shapes")
    da, db = (data.draw(st.sampled_from(ALL_DTYPES), label="dtype") for _ in range(2))
    if name == "pow":  # integer powers: NumPy refuses negative exponents, so keep them >= 0
        a = data.draw(arrays(da, shapes.input_shapes[0], lo=-6, hi=6), label="a")
        b = data.draw(arrays(db, shapes.input_shapes[1], lo=0, hi=4), label="b")
    else:
        a = data.draw(arrays(da, shapes.input_shapes[0]), label="a")
        b = data.draw(arrays(db, shapes.input_shapes[1]), label="b")
    fn = getattr(graphc, name)
    expectation = binary_expectation(name, a, b)
    if expectation is None:
        check_raises(fn, a, b)
        return
    dtype, reference = expectation
    check(backend, fn, reference, a, b, dtype=dtype)


OPERATORS = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv,
    "floordiv": operator.floordiv, "mod": operator.mod, "pow": operator.pow,
    "eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "le": operator.le, "gt": operator.gt,
    "ge": operator.ge,
}


@pytest.mark.parametrize("name", sorted(OPERATORS))
@given_on_each_backend(data=st.data())
def test_operators_with_python_scalars(backend, name, data):
    op = OPERATORS[name]
    dtype = data.draw(st.sampled_from(ALL_DTYPES), label="dtype")
    x = data.draw(arrays(dtype, small_shapes(max_dims=2), lo=0, hi=5), label="x")
    scalars = [True, False, 0, 3, 2.5, -0.5, 0.0] + ([] if name == "pow" else [-2, -7])
    scalar = data.draw(st.sampled_from(scalars), label="scalar")
    if data.draw(st.booleans(), label="scalar first"):
        build, args = (lambda t: op(scalar, t)), (scalar, x)
    else:
        build, args = (lambda t: op(t, scalar)), (x, scalar)
    expectation = binary_expectation(name, *args)
    if expectation is None:
        check_raises(build, x)
        return
    dtype_out, reference = expectation
    check(backend, build, lambda a: reference(*(a if v is x else v for v in args)), x, dtype=dtype_out)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "floordiv", "mod", "pow", "maximum",
                                  "minimum", "atan2", "eq", "lt", "ge"])
@pytest.mark.parametrize("dtype", FLOATS)
def test_binary_nan_and_inf_as_numpy(backend, name, dtype):
    values = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -2.5, 3.0], dtype)
    a, b = np.meshgrid(values, values)
    fn, (dtype_out, reference) = getattr(graphc, name), binary_expectation(name, a, b)
    check(backend, fn, reference, a, b, dtype=dtype_out)


@pytest.mark.parametrize("dtype", [I32, I64])
def test_integer_division_by_zero_as_numpy(backend, dtype):
    a = np.array([7, -7, 0, 1, -1, 5], dtype)
    b = np.zeros(6, dtype)
    with np.errstate(all="ignore"):
        check(backend, graphc.floordiv, np.floor_divide, a, b, dtype=dtype)
        check(backend, graphc.mod, np.mod, a, b, dtype=dtype)
        check(backend, operator.floordiv, np.floor_divide, a, b, dtype=dtype)
        check(backend, operator.mod, np.mod, a, b, dtype=dtype)
        # true division of integers gives float32, as PyTorch: inf, -inf and nan
        check(backend, graphc.div, lambda x, y: np.true_divide(x.astype(F32), y.astype(F32)), a, b, dtype=F32)
        check(backend, lambda t: t / 0, lambda x: np.true_divide(x.astype(F32), F32.type(0)), a, dtype=F32)
        check(backend, lambda t: t // 0, lambda x: np.floor_divide(x, dtype.type(0)), a, dtype=dtype)
        check(backend, lambda t: t % 0, lambda x: np.mod(x, dtype.type(0)), a, dtype=dtype)


def test_floordiv_and_mod_take_the_sign_of_the_divisor(backend):
    a = np.array([7, -7, 7, -7, 0], np.int64)
    b = np.array([2, 2, -2, -2, 3], np.int64)
    check(backend, graphc.floordiv, lambda x, y: np.array([3, -4, -4, 3, 0]), a, b, dtype=I64)
    check(backend, graphc.mod, lambda x, y: np.array([1, 1, -1, -1, 0]), a, b, dtype=I64)
    af, bf = a.astype(F32) + 0.5, b.astype(F32)
    check(backend, graphc.mod, np.mod, af, bf, dtype=F32)
    check(backend, graphc.floordiv, np.floor_divide, af, bf, dtype=F32)


@pytest.mark.parametrize("name", ["logical_and", "logical_or"])
def test_logical_ops_treat_values_as_truth(backend, name):
    a = np.array([np.nan, 0.0, -0.0, 2.0, np.inf, 0.0])
    b = np.array([1, 0, 1, 0, 0, 3], np.int32)
    check(backend, getattr(graphc, name), getattr(np, name), a, b, dtype=BOOL)
    operator_ = operator.and_ if name == "logical_and" else operator.or_
    p, q = np.array([True, True, False, False]), np.array([True, False, True, False])
    check(backend, operator_, getattr(np, name), p, q, dtype=BOOL)


@given_on_each_backend(x=hnp.arrays(np.int64, small_shapes(), elements=st.integers(-2, 2)),
                       dtype=st.sampled_from(ALL_DTYPES))
def test_logical_not(backend, x, dtype):
    x = x.astype(dtype)
    check(backend, graphc.logical_not, np.logical_not, x, dtype=BOOL)
    check(backend, operator.invert, np.logical_not, x.astype(bool), dtype=BOOL)


@given_on_each_backend(data=st.data())
def test_where_broadcasts_and_promotes(backend, data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3))
    cond = data.draw(arrays(BOOL, shapes.input_shapes[0]))
    dx, dy = (data.draw(st.sampled_from(ALL_DTYPES)) for _ in range(2))
    x, y = data.draw(arrays(dx, shapes.input_shapes[1])), data.draw(arrays(dy, shapes.input_shapes[2]))
    want = torch_result_type(x, y)
    check(backend, graphc.where, lambda c, a, b: np.where(c, a.astype(want), b.astype(want)), cond, x, y,
          dtype=want)
    scalar = data.draw(st.sampled_from([0, 1.5, True]))
    want = torch_result_type(x, scalar)
    check(backend, lambda c, a: graphc.where(c, a, scalar),
          lambda c, a: np.where(c, a.astype(want), np.asarray(scalar).astype(want)), cond, x, dtype=want)


def test_where_with_a_non_bool_condition_tests_truth(backend):
    cond = np.array([0, 2, -1, 0], np.int32)
    x, y = np.arange(4.0, dtype=F32), np.full(4, -1.0, F32)
    check(backend, graphc.where, np.where, cond, x, y, dtype=F32)


@given_on_each_backend(data=st.data())
def test_cast_converts_as_numpy(backend, data):
    source, target = (data.draw(st.sampled_from(ALL_DTYPES)) for _ in range(2))
    x = data.draw(arrays(source, small_shapes(), lo=-1000, hi=1000))  # finite, so int casts are defined
    check(backend, lambda t: graphc.cast(t, target), lambda a: a.astype(target), x, dtype=target)
    check(backend, lambda t: t.to(target), lambda a: a.astype(target), x, dtype=target)


def test_cast_of_nan_and_inf_to_bool_and_float(backend):
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e300])
    for target in (BOOL, F32, F64):
        with np.errstate(all="ignore"):
            check(backend, lambda t, target=target: graphc.cast(t, target),
                  lambda a, target=target: a.astype(target),
                  x, dtype=target)


def test_tensor_methods_for_dtype_conversion():
    x = graphc.tensor([1.7, -2.2, 0.0])
    assert_same(x.int().numpy(), np.array([1, -2, 0], I32), I32)
    assert_same(x.long().numpy(), np.array([1, -2, 0], I64), I64)
    assert_same(x.double().numpy(), np.array([1.7, -2.2, 0.0], F32).astype(F64), F64)
    assert_same(x.bool().numpy(), np.array([True, True, False]), BOOL)
    assert_same(x.long().float().numpy(), np.array([1, -2, 0], F32), F32)
