"""graphc's gradients of random scalar compositions of the elementwise ops agree with
`sympy.diff` of the same expression (both built from one random expression tree)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import graphc as G

F64 = G.float64
X, Y = sympy.symbols("x y", real=True)


def _sigmoid(u):
    return 1 / (1 + sympy.exp(-u))


# Each op: (graphc builder, sympy builder). Ops with a restricted domain get an argument
# that lies in it, written the same way in both worlds, so the trees stay comparable.
UNARY = {
    "neg": (lambda u: -u, lambda u: -u),
    "abs": (G.abs, sympy.Abs),
    "relu": (G.relu, lambda u: sympy.Max(u, 0)),
    "exp": (lambda u: G.exp(G.tanh(u)), lambda u: sympy.exp(sympy.tanh(u))),
    "expm1": (lambda u: G.expm1(G.tanh(u)), lambda u: sympy.exp(sympy.tanh(u)) - 1),
    "log": (lambda u: G.log(u * u + 0.5), lambda u: sympy.log(u * u + 0.5)),
    "log1p": (lambda u: G.log1p(u * u), lambda u: sympy.log(1 + u * u)),
    "sqrt": (lambda u: G.sqrt(u * u + 0.25), lambda u: sympy.sqrt(u * u + 0.25)),
    "rsqrt": (lambda u: G.rsqrt(u * u + 0.25), lambda u: 1 / sympy.sqrt(u * u + 0.25)),
    "sin": (G.sin, sympy.sin),
    "cos": (G.cos, sympy.cos),
    "tan": (lambda u: G.tan(G.tanh(u)), lambda u: sympy.tan(sympy.tanh(u))),
    "tanh": (G.tanh, sympy.tanh),
    "sigmoid": (G.sigmoid, _sigmoid),
    "erf": (G.erf, sympy.erf),
    "square": (lambda u: u ** 2, lambda u: u ** 2),
    "cube": (lambda u: u ** 3, lambda u: u ** 3),
}
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / (b * b + 0.5), lambda a, b: a / (b * b + 0.5)),
    "pow": (lambda a, b: (a * a + 0.5) ** G.tanh(b), lambda a, b: (a * a + 0.5) ** sympy.tanh(b)),
    "maximum": (G.maximum, sympy.Max),
    "minimum": (G.minimum, sympy.Min),
    "atan2": (lambda a, b: G.atan2(a, b * b + 0.5), lambda a, b: sympy.atan2(a, b * b + 0.5)),
}

# Constants avoid 0 and 1, so that no two different subtrees tie at every point.
LEAVES = st.one_of(st.sampled_from(["x", "y"]), st.sampled_from([0.3, -0.7, 1.6, 2.5]))


def _extend(children):
    unary = st.tuples(st.sampled_from(sorted(UNARY)), children)
    binary = st.tuples(st.sampled_from(sorted(BINARY)), children, children)
    return unary | binary


TREES = st.recursive(LEAVES, _extend, max_leaves=8)


def build(tree, leaves: dict, table: int):
    """The tree as a graphc tensor (table 0) or a sympy expression (table 1), iteratively."""
    results: dict[int, object] = {}
    stack = [(tree, False)]
    while stack:
        node, ready = stack.pop()
        if not isinstance(node, tuple):
            results[id(node)] = leaves[node] if isinstance(node, str) else leaves["number"](node)
            continue
        op, *children = node
        if not ready:
            stack.append((node, True))
            stack.extend((c, False) for c in children)
            continue
        fns = UNARY[op] if len(children) == 1 else BINARY[op]
        results[id(node)] = fns[table](*(results[id(c)] for c in children))
    return results[id(tree)]


def _near_a_kink(expr, point: dict) -> bool:
    """True where an argument of Abs/Max/Min is within reach of a tie at the point."""
    for f in expr.atoms(sympy.Abs, sympy.Max, sympy.Min):
        args = [float(a.evalf(subs=point)) for a in f.args] + ([0.0] if isinstance(f, sympy.Abs) else [])
        if any(abs(a - b) < 1e-6 for i, a in enumerate(args) for b in args[i + 1:]):
            return True
    return False


@settings(max_examples=200, deadline=None, database=None)
@given(tree=TREES, xs=st.lists(st.floats(-2, 2), min_size=3, max_size=3),
       ys=st.lists(st.floats(-2, 2), min_size=3, max_size=3))
def test_gradient_of_a_random_composition_equals_sympy_diff(tree, xs, ys):
    x = G.placeholder("x", (3,), dtype=F64)
    y = G.placeholder("y", (3,), dtype=F64)
    number = lambda v: G.tensor(v, dtype=F64)  # noqa: E731 - Python floats would give float32
    out = build(tree, {"x": x, "y": y, "number": number}, 0) * G.ones(3, dtype=F64)
    gx, gy = G.grad(G.sum(out), [x, y], materialize_grads=True)
    values, dxs, dys = G.function([x, y], [out, gx, gy])(np.array(xs), np.array(ys))
    expr = sympy.sympify(build(tree, {"x": X, "y": Y, "number": sympy.Float}, 1))
    dx, dy = sympy.diff(expr, X), sympy.diff(expr, Y)
    for k, (xv, yv) in enumerate(zip(xs, ys)):
        point = {X: xv, Y: yv}
        if _near_a_kink(expr, point):
            continue
        for got, want, what in ((values[k], expr, "value"), (dxs[k], dx, "d/dx"), (dys[k], dy, "d/dy")):
            expected = float(want.subs(point).evalf())
            assert math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9), (
                f"{what} of {expr} at x={xv}, y={yv}: graphc {got}, sympy {expected}")


@pytest.mark.parametrize("op", sorted(UNARY) + sorted(BINARY))
def test_each_op_alone_matches_sympy(op):
    tree = (op, ("sin", "x")) if op in UNARY else (op, ("sin", "x"), ("mul", "y", -0.7))
    test_gradient_of_a_random_composition_equals_sympy_diff.hypothesis.inner_test(
        tree, [0.4, -1.1, 1.7], [0.2, 0.9, -0.6])


def test_a_deep_composition_matches_sympy():
    # A fixed deep tree, so the check never depends on what hypothesis happens to draw.
    tree = "x"
    binary = ["mul", "div", "pow", "atan2", "sub", "maximum"]
    for k, op in enumerate(["sin", "exp", "log", "tanh", "sqrt", "sigmoid", "erf", "tan", "rsqrt",
                            "expm1", "log1p", "cos", "cube", "neg"]):
        tree = (op, tree)
        if k % 2:
            tree = (binary[k // 2 % len(binary)], tree, ("add", "y", 0.3))
    test_gradient_of_a_random_composition_equals_sympy_diff.hypothesis.inner_test(
        tree, [0.4, -1.1, 1.7], [0.2, 0.9, -0.6])
