"""graphc.lambdify against sympy.lambdify (NumPy) and sympy.diff."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import graphc as G

x, y, z = sympy.symbols("x y z")
EXPRS = [sympy.sin(x) * y + sympy.exp(-x ** 2), x ** 3 / (y ** 2 + 1), sympy.Max(x, y) - z,
         sympy.Piecewise((x * z, x > 0), (y, True)), sympy.sqrt(x ** 2 + z ** 2) * sympy.log(y ** 2 + 1)]
RNG = np.random.default_rng(3)


def reference(exprs, *args):
    return sympy.lambdify([x, y, z], exprs, "numpy")(*args)


@pytest.mark.parametrize("backend", ["llvm", "numpy"])
def test_many_expressions_over_arrays_match_sympy_lambdify(backend):
    args = [RNG.normal(size=1000) for _ in range(3)]
    f = G.lambdify([x, y, z], EXPRS, backend=backend)
    got = f(*args)
    assert isinstance(got, list) and len(got) == len(EXPRS)
    for g, want in zip(got, reference(EXPRS, *args)):
        np.testing.assert_allclose(g, want, rtol=1e-12, atol=1e-14)


def test_arguments_broadcast_like_numpy():
    f = G.lambdify([x, y, z], EXPRS)
    xs, ys = RNG.normal(size=(3, 1)), RNG.normal(size=(4,))
    for g, want in zip(f(xs, ys, 0.5), reference(EXPRS, xs, ys, 0.5)):
        assert g.shape == (3, 4)
        np.testing.assert_allclose(g, np.broadcast_to(want, (3, 4)), rtol=1e-12)
    scalars = f(0.3, -1.2, 2.0)
    np.testing.assert_allclose(scalars, reference(EXPRS, 0.3, -1.2, 2.0), rtol=1e-12)
    assert all(np.ndim(s) == 0 for s in scalars)


def test_results_have_the_structure_of_the_expressions():
    xs = np.linspace(0, 1, 5)
    single = G.lambdify(x, sympy.cos(x))(xs)
    np.testing.assert_allclose(single, np.cos(xs))
    pair = G.lambdify([x], (x + 1, sympy.Integer(2)))(xs)
    assert isinstance(pair, tuple)
    np.testing.assert_allclose(pair[1], np.full(5, 2.0))  # a constant is broadcast, as a view
    assert not pair[1].flags.writeable
    matrix = G.lambdify([x, y], sympy.Matrix([[x, y], [x * y, 1]]))(xs, 2.0)
    assert matrix.shape == (2, 2, 5)
    np.testing.assert_allclose(matrix[1, 0], 2 * xs)


def test_jacobian_matches_sympy_diff_and_skips_zeros():
    exprs = [x * y, sympy.sin(z), x + z ** 2]
    f = G.lambdify([x, y, z], exprs, jacobian=True)
    args = [RNG.normal(size=50) for _ in range(3)]
    values, jac = f(*args)
    for g, want in zip(values, reference(exprs, *args)):
        np.testing.assert_allclose(g, want, rtol=1e-12)
    for row, e in zip(jac, exprs):
        for entry, s in zip(row, (x, y, z)):
            derivative = sympy.diff(e, s)
            want = np.broadcast_to(reference(derivative, *args), (50,))
            np.testing.assert_allclose(entry, want, rtol=1e-12)
            if derivative == 0:
                assert entry.strides == (0,) and not entry.flags.writeable  # never computed
    state_only = G.lambdify([x, y, z], exprs, jacobian=[x, z])
    _, rows = state_only(*args)
    assert len(rows[0]) == 2
    np.testing.assert_allclose(rows[2][1], 2 * args[2])


def test_float32_computes_in_float32():
    f = G.lambdify([x, y], [x * y + 1], dtype=G.float32)
    (out,) = f(np.ones(4), np.full(4, 2.0))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.full(4, 3.0, np.float32))


def test_bad_calls_and_definitions_are_named():
    f = G.lambdify([x, y], x + y)
    with pytest.raises(TypeError, match="takes 2 arguments"):
        f(1.0)
    with pytest.raises(ValueError, match="do not broadcast"):
        f(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="symbol z is not bound"):
        G.lambdify([x, y], x + z)
    with pytest.raises(ValueError, match="not all arguments"):
        G.lambdify([x], x, jacobian=[y])
    with pytest.raises(TypeError, match="float32 or float64"):
        G.lambdify([x], x, dtype=G.int64)


def test_the_light_default_pipeline_leaves_no_more_for_O1_to_find():
    """SymPy's own evaluation simplifies: -O1's canonicalize and simplify add nothing to a
    kinetics-like system and its Jacobian (the same kernel, op for op), and `passes` is used."""
    c, temperature = sympy.symbols("c0:4"), sympy.Symbol("T")
    rates = [sympy.Float(10 ** (k + 3)) * temperature ** sympy.Rational(k - 1, 2)
             * sympy.exp(-sympy.Float(1e4 * (k + 1)) / (8.314 * temperature)) * c[k] * c[(k + 1) % 4]
             for k in range(4)]
    rhs = [rates[k - 1] - 2 * rates[k] + sympy.Rational(1, 3) * rates[(k + 2) % 4] for k in range(4)]
    args = [*c, temperature]

    def kernel_ops(passes):
        compiled = G.lambdify(args, rhs, jacobian=list(c), passes=passes)._compile((True,) * 5)
        assert compiled.passes == passes
        (kernel,) = compiled.executable.layouts
        return sorted(n.op for n in kernel.attr("body").nodes)

    light, full = kernel_ops(G.sympy_lambdify.PASSES), kernel_ops("-O1")
    assert light == full and len(light) > 50
