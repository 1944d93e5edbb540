"""graphc.backends.llvm.math against NumPy: max ulp error over sweeps of each function's range, special
values exactly, explicit vector calls (`<lanes x T>` at the host's width) bit for bit equal to
scalar calls, also for vectors mixing fast-path and slow-path lanes, and vectorisation of a loop
that calls exp.

Run as a script (python -m tests.backends.llvm.test_math) to print the max-ulp table.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special

from graphc.backends.llvm.jit import link_math
from graphc.testing.tolerance import MAX_ULP, ulp_error
from tests.backends.llvm.harness import host_lanes, kernel, loop_module, optimize

UNARY = ["exp", "expm1", "log", "log1p", "sin", "cos", "tan", "tanh", "sigmoid", "erf", "sqrt"]
BINARY = ["pow", "atan2"]
DTYPES = [np.float32, np.float64]

REFERENCE = {
    "exp": np.exp, "expm1": np.expm1, "log": np.log, "log1p": np.log1p, "sin": np.sin, "cos": np.cos,
    "tan": np.tan, "tanh": np.tanh, "erf": scipy.special.erf,
    "sqrt": np.sqrt, "pow": np.power, "atan2": np.arctan2,
}
# Where the interesting part of each function's domain lies (uniform samples there).
RANGES = {
    "exp": [(-750, 750), (-1, 1)], "expm1": [(-40, 720), (-1, 1), (-1e-5, 1e-5)],
    "log": [(0, 3), (0.5, 2)], "log1p": [(-1, 1), (-1e-5, 1e-5), (-1, -0.99)],
    "sin": [(-10, 10), (-1e6, 1e6), (-1e22, 1e22)], "cos": [(-10, 10), (-1e6, 1e6), (-1e22, 1e22)],
    "tan": [(-10, 10), (-1e6, 1e6), (-1e22, 1e22)], "tanh": [(-25, 25), (-1, 1)],
    "sigmoid": [(-750, 750), (-40, 40)], "erf": [(-7, 7), (-1.5, 1.5)], "sqrt": [(0, 10)],
}
SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 3.0, -3.0,
           5e-324, -5e-324, 2.2250738585072014e-308, 1e-300, 1.7976931348623157e308, -1.7976931348623157e308,
           1.401298464324817e-45, 1.1754943508222875e-38, 3.4028234663852886e38, -3.4028234663852886e38,
           88.72, 88.73, -103.9, -104.0, 709.78, 709.79, -745.1, -745.2, 1e-10, -1e-10, np.pi, np.pi / 2]


def _samples(name: str, dtype, rng: np.random.Generator) -> np.ndarray:
    """Log-spaced magnitudes of both signs, uniform samples in the function's ranges, random bit
    patterns, and special values."""
    info = np.finfo(dtype)
    lo, hi = np.log10(info.smallest_subnormal), np.log10(info.max)
    mags = 10.0 ** rng.uniform(lo, hi, 200_000)
    parts = [mags, -mags, np.array(SPECIAL)]
    for a, b in RANGES[name]:
        parts.append(rng.uniform(a, b, 100_000))
    if dtype == np.float32:
        parts.append(rng.integers(0, 2**32, 300_000, dtype=np.uint64).astype(np.uint32).view(np.float32))
    else:
        parts.append(rng.integers(0, 2**63, 100_000, dtype=np.uint64).view(np.float64))
    if name in ("sin", "cos", "tan"):  # close to multiples of pi/2
        k = rng.integers(-2**20, 2**20, 50_000)
        parts.append(k * (np.pi / 2) + rng.uniform(-1e-6, 1e-6, k.size))
        parts.append(k * (np.pi / 2))
    with np.errstate(all="ignore"):
        return np.concatenate([np.asarray(p, np.float64).astype(dtype) for p in parts])


def _pairs(name: str, dtype, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Argument pairs for pow and atan2: special values crossed, log-spaced, random bits, and (for
    pow) bases near 1 with large exponents, negative bases with integer exponents."""
    spec = np.array([*SPECIAL, 4.0, 0.25, -4.0, 1e300, -1e-300], np.float64)
    xs, ys = [np.repeat(spec, spec.size)], [np.tile(spec, spec.size)]
    n = 200_000
    sign = rng.choice([-1.0, 1.0], n)
    if name == "pow":
        xs += [10.0 ** rng.uniform(-30, 30, n), 1 + rng.uniform(-1e-3, 1e-3, n),
               -(10.0 ** rng.uniform(-5, 5, n)), rng.uniform(0, 3, n)]
        ys += [rng.uniform(-30, 30, n), rng.uniform(-6e5, 6e5, n), rng.integers(-60, 60, n).astype(float),
               rng.uniform(-700, 700, n)]
    else:
        xs += [sign * 10.0 ** rng.uniform(-300, 300, n), rng.uniform(-3, 3, n),
               sign * 10.0 ** rng.uniform(-30, 30, n)]
        ys += [rng.choice([-1.0, 1.0], n) * 10.0 ** rng.uniform(-300, 300, n), rng.uniform(-3, 3, n),
               10.0 ** rng.uniform(-30, 30, n) * rng.choice([-1.0, 1.0], n)]
    with np.errstate(all="ignore"):
        x = np.concatenate(xs).astype(dtype)
        y = np.concatenate(ys).astype(dtype)
    if dtype == np.float32:
        bits = rng.integers(0, 2**32, (2, n), dtype=np.uint64).astype(np.uint32).view(np.float32)
        x, y = np.concatenate([x, bits[0]]), np.concatenate([y, bits[1]])
    return x, y


def _reference(name: str, dtype, *args: np.ndarray) -> np.ndarray:
    """NumPy's result in `dtype` (NumPy's own float32 loops for float32); SciPy's erf evaluated in
    float64 and rounded; sigmoid in x86 long double and rounded."""
    with np.errstate(all="ignore"):
        if name == "sigmoid":  # SciPy's expit flushes results below 2^-1022 to zero; x86 long double
            x = args[0].astype(np.longdouble)
            return (1 / (1 + np.exp(-x))).astype(dtype)
        if name == "erf":
            return REFERENCE[name](*(a.astype(np.float64) for a in args)).astype(dtype)
        return REFERENCE[name](*args)


def measure(name: str, dtype, seed: int = 0) -> tuple[float, np.ndarray, np.ndarray, tuple]:
    """(max ulp error, ours, reference, arguments) over the sweep of `name` in `dtype`."""
    rng = np.random.default_rng(seed)
    args = _pairs(name, dtype, rng) if name in BINARY else (_samples(name, dtype, rng),)
    got = kernel(name, dtype, len(args))(*args)
    want = _reference(name, dtype, *args)
    return float(ulp_error(got, want).max()), got, want, args


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", UNARY + BINARY)
def test_within_4_ulp_of_numpy_over_the_range(name, dtype):
    err, got, want, args = measure(name, dtype)
    bad = np.argmax(ulp_error(got, want))
    where = ", ".join(repr(a[bad]) for a in args)
    assert err <= MAX_ULP, f"{name}({where}) = {got[bad]!r}, NumPy: {want[bad]!r} ({err} ulp)"


def _special_inputs(name: str, dtype) -> tuple[np.ndarray, ...]:
    """Special values (crossed with each other for pow and atan2), and sweeps across the overflow
    and underflow thresholds and through the subnormals."""
    spec = np.array([*SPECIAL, 4.0, 0.25, -4.0, 1e300, -1e-300])
    edges = np.concatenate([np.linspace(a, b, 20_001) for a, b in
                            [(80, 90), (-110, -80), (700, 720), (-760, -700), (-30, 30)]])
    tiny = np.finfo(dtype).smallest_normal * np.linspace(-2, 2, 4_001)
    with np.errstate(all="ignore"):
        if name in BINARY:
            x, y = np.repeat(spec, spec.size), np.tile(spec, spec.size)
            return np.concatenate([x, np.full(edges.size, 2.0), np.exp(1) + 0 * edges]).astype(dtype), \
                np.concatenate([y, edges, edges]).astype(dtype)
        return (np.concatenate([spec, edges, tiny]).astype(dtype),)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", UNARY + BINARY)
def test_special_values_match_numpy_exactly(name, dtype):
    args = _special_inputs(name, dtype)
    got = kernel(name, dtype, len(args))(*args)
    want = _reference(name, dtype, *args)
    assert ulp_error(got, want).max() <= MAX_ULP
    exact = ~np.isfinite(want) | (want == 0) | np.isnan(got)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(got[exact], want[exact])
    signed = exact & ~np.isnan(want)
    np.testing.assert_array_equal(np.signbit(got[signed]), np.signbit(want[signed]))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_large_arguments_of_sin_cos_against_mpmath(dtype):
    import mpmath  # installed with sympy
    rng = np.random.default_rng(1)
    top = 300 if dtype == np.float64 else 38
    x = 10.0 ** rng.uniform(5, top, 300) * rng.choice([-1, 1], 300)
    hard = [6381956970095103 * 2.0**797, 1e22, 2.0**1023, 1.5e300] if dtype == np.float64 else [
        1.0e38, 2.0**127, 16367173.0, 3.4028234663852886e38]
    x = np.concatenate([x, hard]).astype(dtype)
    with mpmath.workdps(400):
        for name, fn in (("sin", mpmath.sin), ("cos", mpmath.cos), ("tan", mpmath.tan)):
            want = np.array([float(fn(mpmath.mpf(float(v)))) for v in x]).astype(dtype)
            assert ulp_error(kernel(name, dtype)(x), want).max() <= 2, name


def test_pow_of_negative_bases_and_zeros_follows_c99():
    pw = kernel("pow", np.float64, 2)
    x = np.array([-2.0, -2.0, -2.0, -0.0, -0.0, -0.0, 0.0, -np.inf, -np.inf, -1.0, -1.0, np.nan, 1.0])
    y = np.array([3.0, 2.0, 0.5, -3.0, -2.0, 3.0, -1.0, -3.0, 3.0, np.inf, np.nan, 0.0, np.nan])
    want = np.array([-8.0, 4.0, np.nan, -np.inf, np.inf, -0.0, np.inf, -0.0, -np.inf, 1.0, np.nan, 1.0, 1.0])
    got = pw(x, y)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return np.array_equal(a.view(np.uint8), b.view(np.uint8))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", UNARY + BINARY)
def test_vector_calls_equal_scalar_calls_bit_for_bit(name, dtype):
    _, got, _, args = measure(name, dtype)
    vec = kernel(name, dtype, len(args), host_lanes(dtype))(*args)
    uint = np.uint32 if dtype == np.float32 else np.uint64
    bad = np.flatnonzero(vec.view(uint) != got.view(uint))[:1]
    assert _same_bits(vec, got), f"{name}{tuple(a[bad] for a in args)}: vector {vec[bad]}, scalar {got[bad]}"


def _mixed(name: str, dtype, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Arguments from the common range with one special or huge value in each vector, at a
    different lane each time, and a tail that leaves a scalar remainder."""
    lanes = host_lanes(dtype)
    n = lanes * 4_000 + lanes - 1
    lo, hi = RANGES.get(name, [(-3, 3)])[0]
    rare = np.array([*SPECIAL, 1e30, -1e30, 1e6, -2e5, 100.0, -100.0, 20.0, -20.0])
    args = []
    for _ in range(2 if name in BINARY else 1):
        with np.errstate(all="ignore"):
            a = rng.uniform(max(lo, -50), min(hi, 50), n).astype(dtype)
            at = np.arange(0, n, lanes) + rng.integers(0, lanes, (n + lanes - 1) // lanes)
            at = at[at < n]
            a[at] = rng.choice(rare, at.size).astype(dtype)
        args.append(a)
    return tuple(args)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", UNARY + BINARY)
def test_vectors_mixing_fast_and_slow_lanes(name, dtype):
    args = _mixed(name, dtype, np.random.default_rng(2))
    vec = kernel(name, dtype, len(args), host_lanes(dtype))(*args)
    assert _same_bits(vec, kernel(name, dtype, len(args))(*args))
    assert ulp_error(vec, _reference(name, dtype, *args)).max() <= MAX_ULP


def test_vector_argument_types_work():
    from llvmlite import ir

    from graphc.backends.llvm import math as llvm_math

    module = ir.Module()
    vec = ir.VectorType(ir.DoubleType(), 4)
    fn = ir.Function(module, ir.FunctionType(vec, [vec]), "f")
    b = ir.IRBuilder(fn.append_basic_block())
    b.ret(llvm_math.emit(b, "cos", llvm_math.emit(b, "exp", fn.args[0])))
    optimize(module)  # parses and verifies
    link_math(module)  # compiles the library's <4 x double> exp and cos


def test_vector_loops_compute_math_on_whole_vectors_for_the_host_cpu():
    from graphc.backends.llvm.math import F32, F64, host_lanes

    lanes = host_lanes(F32)
    text = str(optimize(loop_module("exp", np.float32, lanes=lanes)))
    assert f"<{lanes} x float>" in text and f"graphc.math.exp.v{lanes}f32" in text
    lanes = host_lanes(F64)
    text = str(optimize(loop_module("sin", np.float64, lanes=lanes)))
    assert f"<{lanes} x double>" in text and f"graphc.math.sin.v{lanes}f64" in text


def _correctly_rounded(name: str, args: tuple) -> np.ndarray:
    """The float32 result of the float64 reference, rounded once (correctly rounded but for rare
    double-rounding ties)."""
    with np.errstate(all="ignore"):
        return _reference(name, np.float64, *(a.astype(np.float64) for a in args)).astype(np.float32)


def main() -> None:
    """Print max ulp errors over the sweeps: against NumPy (scalar and vector calls) and, for
    float32, against the correctly rounded result."""
    print(f"{'function':10} {'dtype':8} {'scalar':>7} {'vector':>7} {'vs CR':>7}   (max ulp vs NumPy/SciPy)")
    for name in UNARY + BINARY:
        for dtype in DTYPES:
            err, got, want, args = measure(name, dtype)
            vec = kernel(name, dtype, len(args), host_lanes(dtype))(*args)
            cr = ulp_error(got, _correctly_rounded(name, args)).max() if dtype == np.float32 else np.nan
            verr = ulp_error(vec, want).max()
            print(f"{name:10} {np.dtype(dtype).name:8} {err:7.0f} {verr:7.0f} {cr:7.0f}")


if __name__ == "__main__":
    main()
