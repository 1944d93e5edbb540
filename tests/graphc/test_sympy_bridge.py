"""graphc.from_sympy, to_sympy and expr, checked against SymPy itself: values against
`sympy.lambdify` (NumPy), round trips, gradients against `sympy.diff`."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy.codegen.cfunctions import expm1, log1p

import graphc as G
from graphc.formula import FormulaError
from graphc.graph import topological_order
from graphc.sympy_bridge import SympyConversionError

x, y = sympy.symbols("x y", real=True)
N = 64
RNG = np.random.default_rng(7)
XS, YS = RNG.uniform(-2, 2, N), RNG.uniform(-2, 2, N)

EXPRESSIONS = [
    sympy.sin(x) ** 2 + sympy.cos(x) ** 2,
    x ** 3 - 2 * x * y + y ** 2 / 3,
    (x - y) / (x ** 2 + 1),
    sympy.sqrt(x ** 2 + 1) + 1 / sympy.sqrt(y ** 2 + 2) + (x ** 2 + 1) ** sympy.Rational(3, 2),
    sympy.exp(-x ** 2 / 2) * sympy.log(y ** 2 + 1),
    sympy.Piecewise((x, x > y), (y ** 2, x < 0), (0, True)),
    sympy.Max(x, y, sympy.Rational(1, 2)) - sympy.Min(x, -y),
    sympy.Abs(x - y) * sympy.sign(x),
    sympy.floor(x) + sympy.ceiling(y) + sympy.Mod(x, sympy.Rational(3, 2)),
    sympy.atan2(y, x) + sympy.atan(x) + sympy.tanh(y),
    log1p(x ** 2) + expm1(y / 3),
    x ** -2 + y ** 5 + (x / 2) ** 70,
    sympy.Piecewise((1, (x > 0) & (y > 0)), (2, (x < 0) | ~(y > 1)), (3, True)),
    sympy.erf(x) * 2 ** y,
    sympy.Rational(1, 3) * x + sympy.pi * y + sympy.sqrt(2) * sympy.sin(2),
]


def compile_exprs(exprs, backend="llvm"):
    X = G.placeholder("x", (N,), dtype=G.float64)
    Y = G.placeholder("y", (N,), dtype=G.float64)
    return G.function([X, Y], G.from_sympy(exprs, {x: X, y: Y}), backend=backend)


def numpy_values(expr):
    with np.errstate(all="ignore"):
        return np.broadcast_to(sympy.lambdify([x, y], expr, ["scipy", "numpy"])(XS, YS), (N,))


@pytest.mark.parametrize("expr", EXPRESSIONS, ids=str)
def test_from_sympy_computes_what_sympy_lambdify_computes(expr):
    (got,) = compile_exprs([expr])(XS, YS)
    np.testing.assert_allclose(got, numpy_values(expr), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("expr", EXPRESSIONS, ids=str)
def test_round_trip_is_the_same_function(expr):
    X, Y = G.placeholder("x", (N,), dtype=G.float64), G.placeholder("y", (N,), dtype=G.float64)
    back = G.to_sympy(G.from_sympy(expr, {x: X, y: Y}))
    assert back.free_symbols <= {x, y}
    np.testing.assert_allclose(numpy_values(back), numpy_values(expr), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("expr", [x ** 3 - 2 * x * y + y ** 2 / 3, (x - y) / (x ** 2 + 1),
                                  sympy.Abs(x - y) * sympy.sign(x), sympy.sin(x) * sympy.cos(y)], ids=str)
def test_round_trip_is_symbolically_equal(expr):
    back = G.to_sympy(G.from_sympy(expr, {x: G.placeholder("x"), y: G.placeholder("y")}))
    assert sympy.simplify(back - expr) == 0


# ------------------------------------------------------------ random expressions

UNARY = [sympy.sin, sympy.cos, sympy.Abs, lambda u: sympy.exp(sympy.tanh(u)),
         lambda u: sympy.log(u ** 2 + 1), lambda u: sympy.sqrt(u ** 2 + sympy.Rational(1, 4)),
         lambda u: u ** 3, lambda u: -u, sympy.sign, expm1]
BINARY = [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / (b ** 2 + 1),
          sympy.Max, sympy.Min, lambda a, b: sympy.Piecewise((a, a > b), (b - a, True)),
          lambda a, b: sympy.atan2(a, b ** 2 + 1)]
LEAVES = st.sampled_from([x, y, sympy.Rational(3, 7), sympy.Float(-1.25), sympy.Integer(2)])
TREES = st.recursive(
    LEAVES,
    lambda children: st.one_of(
        st.builds(lambda f, a: f(a), st.sampled_from(UNARY), children),
        st.builds(lambda f, a, b: f(a, b), st.sampled_from(BINARY), children, children)),
    max_leaves=10)


@settings(max_examples=60, deadline=None, database=None)
@given(expr=TREES)
def test_random_expressions_agree_with_sympy_and_round_trip(expr):
    (got,) = compile_exprs([expr], backend="numpy")(XS, YS)
    np.testing.assert_allclose(got, numpy_values(expr), rtol=1e-10, atol=1e-10)
    back = G.to_sympy(G.from_sympy(expr, {x: G.placeholder("x", (N,), G.float64),
                                          y: G.placeholder("y", (N,), G.float64)}))
    np.testing.assert_allclose(numpy_values(back), numpy_values(expr), rtol=1e-10, atol=1e-10)


# ------------------------------------------------------------------ gradients

@pytest.mark.parametrize("expr", [x ** 3 * y + sympy.sin(x), sympy.exp(-x ** 2 / 2) * sympy.log(y ** 2 + 1),
                                  (x - y) / (x ** 2 + 1), sympy.Abs(x) * y,
                                  sympy.sqrt(x ** 2 + y ** 2 + 1) * sympy.atan2(y, x + 3)], ids=str)
def test_gradients_agree_with_sympy_diff(expr):
    X, Y = G.placeholder("x", (N,), dtype=G.float64), G.placeholder("y", (N,), dtype=G.float64)
    gx, gy = G.grad(G.sum(G.from_sympy(expr, {x: X, y: Y})), [X, Y])
    got = G.function([X, Y], [gx, gy])(XS, YS)
    for g, s in zip(got, (x, y)):
        np.testing.assert_allclose(g, numpy_values(sympy.diff(expr, s)), rtol=1e-10, atol=1e-12)
    # and the gradient graph, read back, is sympy.diff's derivative
    X0, Y0 = G.placeholder("x", dtype=G.float64), G.placeholder("y", dtype=G.float64)
    dx = G.grad(G.from_sympy(expr, {x: X0, y: Y0}), X0)
    assert sympy.simplify(G.to_sympy(dx) - sympy.diff(expr, x)) == 0


# ------------------------------------------------------------------ lowering details

def _walk(t):
    return topological_order([t.node])


def test_nodes_and_errors_name_the_callers_line_and_scope():
    X = G.placeholder("x", (N,), dtype=G.float64)
    with G.scope("kinetics"):
        out = G.from_sympy(sympy.exp(-x ** 2 / 2) + sympy.sin(x) / 3, {x: X})
        line = f"{__file__}:{sys._getframe().f_lineno - 1}"
    built = [n for n in topological_order([out.node]) if n.inputs]
    assert len(built) > 4
    assert {(str(n.location), n.location.scope) for n in built} == {(line, "kinetics")}
    after = G.exp(X * 3.0)  # (built past the conversion: a line of its own again)
    assert str(after.node.location) == f"{__file__}:{sys._getframe().f_lineno - 1}"
    with pytest.raises(ValueError, match=f"at {__file__}:{sys._getframe().f_lineno + 1}"):
        G.from_sympy(x + y, {x: G.placeholder("a", (2,)), y: G.placeholder("b", (3,))})


def test_signs_fold_into_lone_constants_and_products_stay_shared():
    X = G.placeholder("x", (N,), dtype=G.float64)
    Y = G.placeholder("y", (N,), dtype=G.float64)
    quotient, gain, loss = G.from_sympy([-sympy.Float(3.5) / x, 2.5 * x * y, -2.5 * x * y], {x: X, y: Y})
    assert sorted(n.op for n in topological_order([quotient.node])) == ["div", "placeholder", "scalar"]
    assert loss.node.op == "neg" and loss.node.inputs[0] is gain.node
    q, lost = G.function([X, Y], [quotient, loss], backend="llvm")(XS, YS)
    np.testing.assert_array_equal(q, -(3.5 / XS))  # the same bits as the negated quotient
    np.testing.assert_array_equal(lost, -(XS * YS * 2.5))


def test_integer_powers_become_products_and_half_powers_roots():
    X = G.placeholder("x", dtype=G.float64)
    ops = lambda e: [n.op for n in _walk(G.from_sympy(e, {x: X}))]  # noqa: E731
    assert ops(x ** 5).count("mul") == 3 and "pow" not in ops(x ** 5)
    assert "div" in ops(1 / x ** 2) and "pow" not in ops(1 / x ** 2)
    assert "sqrt" in ops(sympy.sqrt(x)) and "rsqrt" in ops(1 / sympy.sqrt(x))
    assert "pow" in ops(x ** 100)
    assert "pow" in ops(x ** y.subs(y, sympy.Rational(1, 3)))


def test_rationals_are_constants_of_the_tensors_dtype():
    X = G.placeholder("x", (3,), dtype=G.float32)
    t = G.from_sympy(x / 3 + sympy.Rational(1, 7), {x: X})
    assert {n.dtype for n in _walk(t)} == {G.float32}
    xs = np.array([1, 2, 3], np.float32)
    np.testing.assert_allclose(G.function([X], t)(xs), xs / 3 + 1 / 7, rtol=1e-6)


def test_constant_results_take_the_requested_dtype():
    assert G.from_sympy(sympy.sqrt(2) + 1, {}, dtype=G.float64).dtype is G.float64
    assert G.from_sympy(sympy.sqrt(2) + 1, {}).numpy() == np.float32(np.sqrt(2) + 1)


def test_symbols_bind_by_name_and_to_numbers_and_arrays():
    t = G.from_sympy(x * y + 1, {"x": np.array([1.0, 2.0]), sympy.Symbol("y"): 3.0})
    np.testing.assert_allclose(t.numpy(), [4.0, 7.0])


def test_containers_keep_their_shape():
    X = G.placeholder("x")
    assert isinstance(G.from_sympy([x, x + 1], {x: X}), list)
    assert isinstance(G.from_sympy((x, x + 1), {x: X}), tuple)
    rows = G.from_sympy(sympy.Matrix([[x, 1], [2, x]]), {x: X})
    assert len(rows) == 2 and len(rows[0]) == 2


def test_a_deep_tree_and_a_deep_graph_convert_without_recursion():
    expr = x
    for k in range(3000):
        expr = sympy.sin(expr, evaluate=False) if k % 2 else sympy.Mul(
            sympy.exp(expr, evaluate=False), sympy.Rational(1, 2), evaluate=False)
    X = G.placeholder("x", (2,), dtype=G.float64)
    t = G.from_sympy(expr, {x: X})
    back = G.to_sympy(t, evaluate=False)
    again = G.from_sympy(back, {x: X})
    a, b = G.function([X], [t, again], backend="numpy")(np.array([0.1, 0.4]))
    np.testing.assert_array_equal(a, b)
    with pytest.raises(SympyConversionError, match="evaluate=False"):
        G.to_sympy(t)


# ------------------------------------------------------------------ Sum and Product

def test_sum_over_an_indexed_symbol_is_a_reduction():
    c, i = sympy.IndexedBase("c"), sympy.Symbol("i", integer=True)
    coeffs = np.array([1.0, -2.0, 0.5, 3.0])
    X = G.placeholder("x", (N,), dtype=G.float64)
    poly = G.from_sympy(sympy.Sum(c[i] * x ** i, (i, 0, 3)), {x: X, c: coeffs})
    assert "sum" in [n.op for n in _walk(poly)]
    np.testing.assert_allclose(G.function([X], poly)(XS), np.polyval(coeffs[::-1], XS), rtol=1e-12)


def test_sums_with_offsets_products_and_bounds_bound_to_ints():
    v, i, n = sympy.IndexedBase("v"), sympy.Symbol("i", integer=True), sympy.Symbol("n", integer=True)
    values = np.array([1.0, 4.0, 9.0, 16.0, 25.0])
    diffs = G.from_sympy(sympy.Sum((v[i + 1] - v[i]) ** 2, (i, 0, n - 2)), {v: values, "n": 5})
    assert diffs.item() == pytest.approx(np.sum(np.diff(values) ** 2))
    product = G.from_sympy(sympy.Product(v[i], (i, 1, 3)) + v[0], {v: values})
    assert product.item() == pytest.approx(4 * 9 * 16 + 1)
    constant_term = G.from_sympy(sympy.Sum(x, (i, 0, 4)), {x: np.array([1.0, 2.0])})
    np.testing.assert_allclose(constant_term.numpy(), [5.0, 10.0])


@pytest.mark.parametrize("expr,message", [
    (lambda v, w, i, j: sympy.Sum(v[i] + sympy.Sum(w[j] + i, (j, 0, 1)), (i, 0, 1)), "outer index"),
    (lambda v, w, i, j: sympy.Sum(v[i] + sympy.Sum(w[j] * v[i], (j, 0, 1)), (i, 0, 1)), "plus an integer"),
    (lambda v, w, i, j: sympy.Sum(v[i], (i, 0, 9)), "which has 3"),
    (lambda v, w, i, j: sympy.Sum(v[2 * i], (i, 0, 1)), "plus an integer"),
    (lambda v, w, i, j: sympy.Sum(v[i], (i, 0, sympy.Symbol("m"))), "must be integers"),
    (lambda v, w, i, j: v[i] + 1, "outside a Sum"),
    (lambda v, w, i, j: sympy.Sum(v[i] * w[j], (i, 0, 1), (j, 0, 1)), "several indices"),
])
def test_sums_that_do_not_map_cleanly_say_why(expr, message):
    v, w = sympy.IndexedBase("v"), sympy.IndexedBase("w")
    i, j = sympy.symbols("i j", integer=True)
    with pytest.raises(SympyConversionError, match=message):
        G.from_sympy(expr(v, w, i, j), {v: np.ones(3), w: np.ones(3)})


# ------------------------------------------------------------------ errors

@pytest.mark.parametrize("expr,name", [
    (sympy.besselj(0, x), "besselj"), (sympy.Integral(x, x), "Integral"),
    (sympy.Function("f")(x), "f"), (x + sympy.I, "not a real number|ImaginaryUnit"),
])
def test_unsupported_constructs_name_themselves(expr, name):
    with pytest.raises(SympyConversionError, match=name):
        G.from_sympy(expr, {x: G.placeholder("x")})


def test_an_unbound_symbol_is_named_with_what_is_bound():
    with pytest.raises(SympyConversionError, match=r"symbol y is not bound.*bound: x"):
        G.from_sympy(x + y, {x: G.placeholder("x")})


def test_to_sympy_refuses_what_is_not_elementwise():
    X = G.placeholder("x", (3,))
    with pytest.raises(SympyConversionError, match="sum"):
        G.to_sympy(G.sum(X))
    with pytest.raises(SympyConversionError, match="no single value"):
        G.to_sympy(X * G.tensor([1.0, 2.0, 3.0]))


def test_to_sympy_reads_casts_wheres_and_own_symbols():
    X = G.placeholder("x")
    s = sympy.Symbol("s")
    assert G.to_sympy(G.where(X > 0, X, 0.5)) == sympy.Piecewise((sympy.Symbol("x", real=True),
                                                                   sympy.Symbol("x", real=True) > 0),
                                                                  (sympy.Rational(1, 2), True))
    indicator = sympy.Piecewise((1, s > 1), (0, True))
    assert G.to_sympy(G.cast(X > 1, G.float32) * X, symbols={"x": s}) == s * indicator
    hidden = G.exp(X) + 1
    assert G.to_sympy(hidden * 2, symbols={hidden: s}) == 2 * s


# ------------------------------------------------------------------ expr

def test_expr_parses_a_formula_and_computes_it():
    xs = np.linspace(-1, 1, 5)
    np.testing.assert_allclose(G.expr("sin(x)**2 + cos(x)**2", x=xs).numpy(), np.ones(5))
    np.testing.assert_allclose(G.expr("x^2 + Max(x, 0)/3", x=xs).numpy(), xs ** 2 + np.maximum(xs, 0) / 3)
    piecewise = G.expr("Piecewise((x, x > 0), (-2*x, True))", x=xs).numpy()
    np.testing.assert_allclose(piecewise, np.where(xs > 0, xs, -2 * xs))


@pytest.mark.parametrize("formula,message", [
    ("__import__('os').system('echo pwned')", "unknown name '__import__'"),
    ("().__class__", r"'\.' is not allowed"),
    ("x.real", r"'\.' is not allowed"),
    ("exec('1')", "unknown name 'exec'"),
    ("'abc'", "is not allowed"),
    ("lambda: x", "unknown keyword 'lambda'"),
    ("x == 1", r"write Eq\(a, b\)"),
    ("x and 1", r"write \(a\) & \(b\)"),
    ("2j * x", "complex"),
    ("z + 1", "unknown name 'z'.*bound names: x"),
    ("sin(x", "cannot read formula"),
    ("x[0]", r"'\[' is not allowed"),
])
def test_expr_refuses_anything_but_a_formula(formula, message):
    with pytest.raises(FormulaError, match=message):
        G.expr(formula, x=1.0)


def test_expr_names_can_shadow_sympy_names():
    assert G.expr("gamma * E", gamma=2.0).item() == pytest.approx(2 * np.e)
    with pytest.raises(FormulaError, match="cannot name"):
        G.expr("x", __x=1.0)
