"""Checking graphc ops against NumPy: the reference dtypes, the strategies, and `check`.

Each op is built twice: from placeholders, compiled with `graphc.function` and called
with arrays; and eagerly from `graphc.tensor(array)`, read back with `.numpy()`.
Values follow NumPy; result dtypes follow PyTorch's promotion rules, stated
independently of graphc in `torch_result_type` below.

Every test that compiles takes a `backend` and runs once per backend (`pytest_generate_tests`,
which each test_ops_* module imports). A backend other than NumPy must also agree with the
NumPy backend's result as tests/backends/agree.py states it: bit for bit where NumPy computes
exactly, within a few ulp for transcendental functions and float reductions, with NaN and inf
in the same places.
"""

from __future__ import annotations

import functools
import inspect
import math

import numpy as np
import pytest
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
