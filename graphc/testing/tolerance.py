"""What "backends agree" means, graph by graph: the NumPy backend is the reference.

Dtypes, shapes, and the positions of NaN and of each signed infinity must match exactly.
Values must match bit for bit (signed zeros included) unless the graph computes something
NumPy itself only approximates: a transcendental function (ours are within `MAX_ULP` ulp of
NumPy's) or a floating-point sum, mean, product or matrix product (whose rounding depends on
the order of summation). Those agree within `TOLERANCE`. docs/fuzzing.md states the whole model; the
element-by-element bounds the fuzzer adds live in `graphc.testing.bounds`.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from graphc import dtypes
from graphc.graph import Graph
from graphc.node import Node

# How far (in ulp of the result) the LLVM backend's transcendental functions may be from NumPy's;
# tests/backends/llvm/test_math.py measures it over each function's range.
MAX_ULP = 4
TRANSCENDENTAL = frozenset({"exp", "log", "log1p", "expm1", "sin", "cos", "tan", "tanh", "sigmoid",
                            "erf", "pow", "atan2"})
# Sums whose order of summation is free (a matrix product's elements are sums of products).
ORDER_DEPENDENT = frozenset({"sum", "mean", "prod", "matmul"})
# Their error is |x| times their argument's: of an approximate argument, any value in range.
PERIODIC = frozenset({"sin", "cos", "tan"})
# NumPy's max and min reductions pick either of two equal zeros, depending on its SIMD path.
ZERO_SIGN_FREE = frozenset({"max", "min"})
# (rtol, atol) per float dtype for graphs that are not exact: a few ulp, compounded over a chain.
TOLERANCE = {np.dtype(np.float32): (1e-6, 1e-6), np.dtype(np.float64): (1e-12, 1e-12),
             np.dtype(np.float16): (1e-3, 1e-3), dtypes.bfloat16.numpy: (1e-2, 1e-2)}
# From the strictest comparison to the loosest (see `precision`).
LEVELS = ("bits", "values", "close", "amplified", "product", "periodic")
# The tolerance factor of "amplified" graphs (see `precision`).
AMPLIFIED = 1000


def all_nodes(graph: Graph) -> Iterator[Node]:
    """The graph's nodes and those of its kernels' bodies."""
    stack = [graph]
    while stack:
        g = stack.pop()
        for node in g.nodes:
            yield node
            if node.op == "kernel":
                stack.append(node.attr("body"))


def precision(graph: Graph) -> str:
    """How closely another backend must reproduce the NumPy backend on `graph`.

    "bits": NumPy computes every value exactly, so values and signed zeros must match;
    "values": the same, but the sign of a zero may differ (a max/min reduction over 0.0 and -0.0);
    "close": within `TOLERANCE` (a transcendental function, a float sum, mean, product or matrix
    product);
    "amplified": within `AMPLIFIED` times that, where a transcendental function reads a value
    that is itself approximate: its condition number (|x| for exp(x), |y ln x| for pow(x, y),
    up to ~700 in float64) scales the few ulp its operand may differ by;
    "periodic": only dtype and shape, where sin, cos or tan reads an approximate value (a float
    sum of 12583072.5 rounds to either neighbour by summation order, and the sines of the two
    differ by 0.37: no tolerance separates that from a bug);
    "product": as "close" where both results are finite, but which elements overflow to inf,
    underflow to 0 or become NaN may differ, where a float `prod` is involved: NumPy
    multiplies in the memory order of its operands, including the intermediates it lays out
    its own way (`sum` of a Fortran-ordered array is Fortran-ordered), so whether a partial
    product overflows depends on layouts no other backend reproduces.
    (tests/backends/llvm/test_backend.py pins NumPy's order for C-ordered operands.)
    """
    levels = ["bits"]
    inexact: set = set()
    for node in all_nodes(graph):
        if node.op == "kernel":  # its body's nodes follow
            continue
        if not node.dtype.is_floating_point and not (node.inputs and node.inputs[0].dtype.is_floating_point):
            continue
        if node.op in TRANSCENDENTAL and any(i in inexact for i in node.inputs):
            levels.append("periodic" if node.op in PERIODIC else "amplified")
        if node.op == "prod":
            levels.append("product")
        if node.op in TRANSCENDENTAL or node.op in ORDER_DEPENDENT:
            levels.append("close")
            inexact.add(node)
        elif any(i in inexact for i in node.inputs):
            inexact.add(node)
        elif node.op in ZERO_SIGN_FREE:
            levels.append("values")
    return max(levels, key=LEVELS.index)


def assert_agree(got: np.ndarray, want: np.ndarray, level: str, rtol: float | None = None,
                 atol: float | None = None, what: str = "result") -> None:
    """`got` (another backend) agrees with `want` (the NumPy backend) to `level` (see `precision`)."""
    assert isinstance(got, np.ndarray), f"{what}: {type(got).__name__}, not an array"
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype}, the NumPy backend gives {want.dtype}"
    assert got.shape == want.shape, f"{what}: shape {got.shape}, the NumPy backend gives {want.shape}"
    if got.dtype == dtypes.bfloat16.numpy:  # compared as the float32 values they are
        default_rtol, default_atol = TOLERANCE[got.dtype]
        got, want = got.astype(np.float32), want.astype(np.float32)
        rtol, atol = rtol or default_rtol, atol or default_atol
    if got.dtype.kind != "f":
        np.testing.assert_array_equal(got, want, err_msg=what)
        return
    if level == "periodic":
        return
    if level == "product":
        both = np.isfinite(got) & np.isfinite(want)
        got, want, level = got[both], want[both], "close"
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=f"{what}: NaN positions differ")
    for sign in (np.inf, -np.inf):
        np.testing.assert_array_equal(got == sign, want == sign, err_msg=f"{what}: {sign} positions differ")
    if level not in ("close", "amplified"):
        np.testing.assert_array_equal(got, want, err_msg=f"{what}: values differ ({level} graph)")
        differ = np.flatnonzero((np.signbit(got) != np.signbit(want)) & (want == 0))
        assert level != "bits" or not differ.size, (
            f"{what}: signed zeros differ at flat index {differ[:5]}:"
            f" {got.flat[differ[0]]!r} vs {want.flat[differ[0]]!r}")
        return
    finite = np.isfinite(want)
    default_rtol, default_atol = TOLERANCE[got.dtype]
    if level == "amplified":
        default_rtol, default_atol = default_rtol * AMPLIFIED, default_atol * AMPLIFIED
    np.testing.assert_allclose(got[finite], want[finite], rtol=rtol or default_rtol,
                               atol=atol or default_atol, err_msg=f"{what}: values differ")


def agrees(got: np.ndarray, want: np.ndarray, level: str) -> bool:
    """Whether `assert_agree(got, want, level)` passes."""
    try:
        assert_agree(got, want, level)
    except AssertionError:
        return False
    return True


def identical(got, want) -> bool:
    """Same type, dtype, shape and bits (NaN payloads aside; -0.0 differs from 0.0)."""
    if not (isinstance(got, np.ndarray) and isinstance(want, np.ndarray)):
        return False
    if got.dtype != want.dtype or got.shape != want.shape:
        return False
    if got.dtype.kind != "f":
        return bool(np.array_equal(got, want))
    nan = np.isnan(got)
    return bool(np.array_equal(nan, np.isnan(want))
                and np.array_equal(got[~nan], want[~nan])
                and np.array_equal(np.signbit(got[~nan]), np.signbit(want[~nan])))


def _ordered(a: np.ndarray) -> np.ndarray:
    """Float bits as integers in the order of the floats (so ulp distance is a difference)."""
    bits = a.view(np.int32 if a.dtype == np.float32 else np.int64).astype(np.int64)
    return np.where(bits < 0, np.int64(np.iinfo(bits.dtype).min) - bits if a.dtype == np.float64
                    else np.int64(-(2**31)) - bits, bits)


def ulp_error(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """ulp distance per element; 0 where both are NaN, huge where only one is."""
    both_nan = np.isnan(got) & np.isnan(want)
    one_nan = np.isnan(got) ^ np.isnan(want)
    a, b = _ordered(got), _ordered(want)
    d = np.abs(((a >> 32) - (b >> 32)).astype(np.float64) * 2.0**32
               + ((a & 0xFFFFFFFF) - (b & 0xFFFFFFFF)).astype(np.float64))  # exact when small
    return np.where(both_nan, 0.0, np.where(one_nan, np.inf, d))
