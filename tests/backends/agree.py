"""What "backends agree" means in the differential tests: the NumPy backend is the reference.

Dtypes, shapes, and the positions of NaN and of each signed infinity must match exactly.
Values must match bit for bit (signed zeros included) unless the graph computes something
NumPy itself only approximates: a transcendental function (ours are within 4 ulp of NumPy's)
or a floating-point sum, mean or product (whose rounding depends on the order of summation).
Those agree within `TOLERANCE`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

import graphc
from graphc.graph import Graph

TRANSCENDENTAL = frozenset({"exp", "log", "log1p", "expm1", "sin", "cos", "tan", "tanh", "sigmoid",
                            "erf", "pow", "atan2"})
ORDER_DEPENDENT = frozenset({"sum", "mean", "prod"})
# Their error is |x| times their argument's: of an approximate argument, any value in range.
PERIODIC = frozenset({"sin", "cos", "tan"})
# NumPy's max and min reductions pick either of two equal zeros, depending on its SIMD path.
ZERO_SIGN_FREE = frozenset({"max", "min"})
# (rtol, atol) per float dtype for graphs that are not exact: a few ulp, compounded over a chain.
TOLERANCE = {np.dtype(np.float32): (1e-6, 1e-6), np.dtype(np.float64): (1e-12, 1e-12),
             np.dtype(np.float16): (1e-3, 1e-3)}
# From the strictest comparison to the loosest (see `precision`).
LEVELS = ("bits", "values", "close", "amplified", "product", "periodic")
# The tolerance factor of "amplified" graphs (see `precision`).
AMPLIFIED = 1000


def all_nodes(graph: Graph):
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
    "close": within `TOLERANCE` (a transcendental function, a float sum, mean or product);
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


def compare_backends(inputs: Sequence, outputs: Sequence, args: Sequence, compile_fn: Callable | None = None,
                     rtol: float | None = None, atol: float | None = None,
                     backend: str = "llvm") -> list[np.ndarray]:
    """Compile `outputs` of `inputs` on the NumPy backend and on `backend`, call both with
    `args`, assert they agree.

    Returns the NumPy backend's results. `compile_fn(inputs, outputs, backend)` defaults to
    `graphc.function`.
    """
    compile_fn = compile_fn or graphc.function
    reference = compile_fn(inputs, list(outputs), "numpy")
    tested = compile_fn(inputs, list(outputs), backend)
    with np.errstate(all="ignore"):
        want = reference(*args)
    got = tested(*args)
    level = precision(reference.graph)
    for k, (g, w) in enumerate(zip(got, want)):
        assert_agree(g, w, level, rtol, atol, what=f"output {k}")
    return want
