"""Every graphc op against NumPy: values, shapes and dtypes, define-then-run and eager, on every backend.

Each op is built twice: from placeholders, compiled with `graphc.function` and called
with arrays; and eagerly from `graphc.tensor(array)`, read back with `.numpy()`.
Values follow NumPy; result dtypes follow PyTorch's promotion rules, stated
independently of graphc in `torch_result_type` below.

Every test that compiles takes a `backend` and runs once per backend. A backend other than
NumPy must also agree with the NumPy backend's result as tests/backends/agree.py states it:
bit for bit where NumPy computes exactly, within a few ulp for transcendental functions and
float reductions, with NaN and inf in the same places.
"""

from __future__ import annotations

import functools
import inspect
import math
import operator
import os

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import graphc
from tests.backends.agree import assert_agree, precision

SETTINGS = settings(max_examples=30, deadline=None)
# Each new graph costs a compilation to machine code on LLVM, so it draws fewer examples.
BACKEND_SETTINGS = {"numpy": SETTINGS, "llvm": settings(max_examples=8, deadline=None)}


def pytest_generate_tests(metafunc):
    """A test that takes `backend` runs once per backend."""
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", list(BACKEND_SETTINGS))


def given_on_each_backend(**strategies):
    """`@given(**strategies)` for a test taking `backend`, with that backend's settings."""
    def decorate(test):
        runs = {backend: options(given(**strategies)(test)) for backend, options in BACKEND_SETTINGS.items()}

        @functools.wraps(test)
        def run(backend, **params):
            runs[backend](backend=backend, **params)

        run.__signature__ = inspect.signature(runs["numpy"])  # without the drawn arguments
        return run
    return decorate

BOOL, I32, I64, F32, F64 = (np.dtype(t) for t in (np.bool_, np.int32, np.int64, np.float32, np.float64))
ALL_DTYPES = [BOOL, I32, I64, F32, F64]
NUMERIC = [I32, I64, F32, F64]
FLOATS = [F32, F64]
TOLERANCE = {F32: (1e-5, 1e-6), F64: (1e-12, 1e-12)}  # (rtol, atol)


# ------------------------------------------------------------------ references

def category(dtype: np.dtype) -> int:
    """bool < integer < floating, PyTorch's promotion categories."""
    return 0 if dtype.kind == "b" else 1 if dtype.kind in "iu" else 2


def scalar_dtype(value) -> np.dtype:
    """The dtype PyTorch gives a Python scalar."""
    if isinstance(value, bool):
        return BOOL
    return I64 if isinstance(value, int) else F32


def torch_result_type(*operands) -> np.dtype:
    """PyTorch's result dtype for tensors (as NumPy arrays) and Python scalars.

    The highest category among all operands wins. Its dtype comes from the first tier
    holding an operand of that category: tensors with dimensions (the widest of them),
    then zero-dimensional tensors (the widest), then Python scalars (the default dtype).
    """
    def dtype_of(x):
        return x.dtype if isinstance(x, np.ndarray) else scalar_dtype(x)

    top = max(category(dtype_of(x)) for x in operands)
    tiers = ([x for x in operands if isinstance(x, np.ndarray) and x.ndim > 0],
             [x for x in operands if isinstance(x, np.ndarray) and x.ndim == 0],
             [x for x in operands if not isinstance(x, np.ndarray)])
    for tier in tiers:
        members = [dtype_of(x) for x in tier if category(dtype_of(x)) == top]
        if members:
            return max(members, key=lambda d: d.itemsize)
    raise AssertionError("no operands")


def float_result(dtype: np.dtype) -> np.dtype:
    """Float-only ops compute integers and bools in PyTorch's default float, float32."""
    return dtype if dtype.kind == "f" else F32


_erf = np.vectorize(math.erf, otypes=[np.float64])


def erf_reference(x):
    return _erf(x).astype(x.dtype)


# --------------------------------------------------------------------- helpers

def elements(dtype: np.dtype, lo=None, hi=None):
    """Values of `dtype`: bounded if `lo, hi` are given, else any (floats with NaN and inf)."""
    if dtype.kind == "b":
        return st.booleans()
    if dtype.kind in "iu":
        return st.integers(-1000 if lo is None else lo, 1000 if hi is None else hi)
    width = dtype.itemsize * 8
    if lo is None:
        return st.floats(width=width)
    return st.floats(lo, hi, width=width)


def arrays(dtype, shape, lo=None, hi=None):
    return hnp.arrays(dtype, shape, elements=elements(np.dtype(dtype), lo, hi))


def small_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def assert_same(result, expected: np.ndarray, dtype: np.dtype, rtol=None, atol=None) -> None:
    """`result` is an array of graphc's declared dtype with NumPy's shape and values."""
    assert isinstance(result, np.ndarray), type(result)
    assert result.dtype == dtype, f"result dtype {result.dtype}, graphc declared {dtype}"
    assert result.shape == expected.shape, f"shape {result.shape}, NumPy gives {expected.shape}"
    if dtype.kind == "f":
        default_rtol, default_atol = TOLERANCE[dtype]
        np.testing.assert_allclose(result, expected.astype(dtype), rtol=rtol or default_rtol,
                                   atol=atol or default_atol)
    else:
        np.testing.assert_array_equal(result, expected)


_COMPILED: dict[tuple, graphc.Function] = {}


def compiled(backend: str, inputs, outputs) -> graphc.Function:
    """`graphc.function(inputs, outputs, backend=backend)`, once per graph text.

    Hypothesis draws the same graph (shapes, dtypes, ops) again and again; compiling each
    once keeps the LLVM half of this file fast. The text names every input, shape, dtype and
    attribute, and constants print by value, so equal texts are the same function.
    """
    graph = graphc.Graph(inputs, outputs if isinstance(outputs, list) else [outputs])
    if any(n.op == "parameter" for n in graph.nodes):  # read by reference: the text is not enough
        return graphc.function(inputs, outputs, backend=backend)
    key = (backend, isinstance(outputs, list), str(graph))
    if key not in _COMPILED:
        _COMPILED[key] = graphc.function(inputs, outputs, backend=backend)
    return _COMPILED[key]


def check(backend, build, reference, *arrays, dtype=None, rtol=None, atol=None) -> None:
    """Compare `build(*tensors)` with `reference(*arrays)`, define-then-run and eagerly.

    `dtype` is PyTorch's result dtype: graphc must declare it, and both runs must return it.
    On a backend other than NumPy, the compiled result must also agree with the NumPy
    backend's (agree.py); the eager run, which always uses the NumPy backend, is checked on
    the NumPy run only.
    """
    inputs = [graphc.placeholder(f"x{k}", a.shape, dtype=a.dtype) for k, a in enumerate(arrays)]
    out = build(*inputs)
    declared = out.dtype.numpy
    if dtype is not None:
        assert declared == np.dtype(dtype), f"graphc declares {declared}, PyTorch gives {np.dtype(dtype)}"
    with np.errstate(all="ignore"):
        expected = np.asarray(reference(*arrays))
    assert tuple(out.shape) == expected.shape, f"graphc declares {out.shape}, NumPy gives {expected.shape}"

    copies = [a.copy() for a in arrays]
    result = compiled(backend, inputs, out)(*arrays)
    assert_same(result, expected, declared, rtol, atol)
    for a, before in zip(arrays, copies):
        np.testing.assert_array_equal(a, before)  # inputs are not written
        assert not np.shares_memory(result, a), "a result must not alias an input"
    if backend != "numpy":
        reference_fn = compiled("numpy", inputs, out)
        assert_agree(result, reference_fn(*arrays), precision(reference_fn.graph), atol=atol)
        return

    eager = build(*(graphc.tensor(a) for a in arrays))
    assert eager.dtype is out.dtype
    assert tuple(eager.shape) == expected.shape
    assert_same(eager.numpy(), expected, declared, rtol, atol)


def check_raises(build, *arrays, error=graphc.GraphBuildError) -> None:
    """`build` raises `error` at build time, both from placeholders and eagerly."""
    inputs = [graphc.placeholder(f"x{k}", a.shape, dtype=a.dtype) for k, a in enumerate(arrays)]
    with pytest.raises(error):
        build(*inputs)
    with pytest.raises(error):
        build(*(graphc.tensor(a) for a in arrays))


def axes(ndim: int):
    """An axis spec for a reduction over `ndim` dimensions: None, an int or a tuple."""
    if ndim == 0:
        return st.sampled_from([None, ()])
    return st.one_of(st.none(), st.integers(-ndim, ndim - 1), hnp.valid_tuple_axes(ndim, min_size=1))


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


# ------------------------------------------------------------------- reductions

REDUCTIONS = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min, "prod": np.prod}


def reduction_dtype(name: str, dtype: np.dtype) -> np.dtype:
    """PyTorch: sum and prod of bools and integers give int64; mean computes in a float."""
    if name in ("sum", "prod") and dtype.kind != "f":
        return I64
    if name == "mean":
        return float_result(dtype)
    return dtype


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@given_on_each_backend(data=st.data())
def test_reductions_over_axes(backend, name, data):
    dtype = data.draw(st.sampled_from(ALL_DTYPES), label="dtype")
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
    if isinstance(axis, int):  # PyTorch's spelling
        check(backend, lambda t: getattr(t, name)(dim=axis, keepdim=keepdims),
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
                                   (slice(None, None, 0),), 1.0, [0, 1]])
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
    check(backend, lambda t: graphc.pad(t, widths, value), expected, x, dtype=dtype)
    w = data.draw(st.integers(0, 2))
    check(backend, lambda t: graphc.pad(t, w, value),
          lambda a: np.pad(a, w, constant_values=dtype.type(value)), x, dtype=dtype)
    if shape:
        pair = data.draw(st.tuples(st.integers(0, 2), st.integers(0, 2)))
        check(backend, lambda t: graphc.pad(t, pair), lambda a: np.pad(a, pair), x, dtype=dtype)


def test_pad_with_negative_widths_raises():
    check_raises(lambda t: graphc.pad(t, ((0, -1), (1, 1))), np.zeros((2, 3), F32))
    check_raises(lambda t: graphc.pad(t, ((0, 1),) * 3), np.zeros((2, 3), F32))


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
            graphc.cat([x, x], 1).reshape(-1, 3), graphc.flip(x, 0), graphc.pad(x, 1),
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
    "cast to the same dtype": lambda t: t.long(), "pad by nothing": lambda t: graphc.pad(t, 0),
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
