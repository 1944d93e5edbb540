"""`sympy-simplify`: strict rewrites keep every result bit for bit, special values included;
unsafe ones apply SymPy's algebra. (IR in, IR out: cases/sympy-simplify*.gir.)"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import graphc as G
from graphc import passes
from graphc.passes.sympy_simplify import SympySimplify, exact_normal_form, find_regions

SPECIALS = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 0.5, -2.0, 3.0, 1e-310, -1e300,
                     1.7976931348623157e308, 2.2250738585072014e-308, 7.0, -0.1])
PAIRS = np.array(list(itertools.product(SPECIALS, SPECIALS))).T  # every special against every other


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    nan = np.isnan(a)
    return bool(np.array_equal(nan, np.isnan(b)) and np.array_equal(a[~nan], b[~nan])
                and np.array_equal(np.signbit(a[~nan]), np.signbit(b[~nan])))


def placeholders(dtype=G.float64):
    n = PAIRS.shape[1]
    return G.placeholder("x", (n,), dtype=dtype), G.placeholder("y", (n,), dtype=dtype)


def run_both(outputs, inputs, pipeline="sympy-simplify"):
    graph = G.Graph(inputs, outputs)
    simplified = passes.run(graph, pipeline)
    with np.errstate(all="ignore"):
        args = [p.astype(i.dtype.numpy) for p, i in zip(PAIRS, inputs)]
        before = G.function(inputs, outputs, backend="numpy", passes="")(*args)
        after = G.function(list(simplified.inputs), list(simplified.outputs), backend="numpy",
                           passes="")(*args)
    return graph, simplified, before, after


# Ops whose compositions exercise the exact rules (signs, doubling, powers of two) and the
# ones SymPy would like to simplify but must not (x - x, x / x, reassociation).
UNARY = [lambda a: -a, G.abs, G.exp, lambda a: a * 0.5, lambda a: a / 4.0, lambda a: a * -1.0, G.sqrt]
BINARY = [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / b,
          lambda a, b: a - (-b), lambda a, b: (-a) * (-b), lambda a, b: a + a, G.maximum,
          lambda a, b: G.where(a > b, a, -b)]


def build(tree, x, y):
    """A tree of op indices as a graphc expression (iteratively)."""
    values = {}
    stack = [(tree, False)]
    while stack:
        node, ready = stack.pop()
        if isinstance(node, str):
            values[id(node)] = x if node == "x" else y
        elif not ready:
            stack.append((node, True))
            stack.extend((child, False) for child in node[1:])
        else:
            fn = UNARY[node[0]] if len(node) == 2 else BINARY[node[0]]
            values[id(node)] = fn(*(values[id(c)] for c in node[1:]))
    return values[id(tree)]


TREES = st.recursive(st.sampled_from(["x", "y"]), lambda children: st.one_of(
    st.tuples(st.integers(0, len(UNARY) - 1), children),
    st.tuples(st.integers(0, len(BINARY) - 1), children, children)), max_leaves=8)


@settings(max_examples=80, deadline=None, database=None)
@given(trees=st.lists(TREES, min_size=1, max_size=3))
def test_strict_rewrites_keep_every_bit_on_special_values(trees):
    x, y = placeholders()
    outputs = [build(t, x, y) * G.ones(PAIRS.shape[1], dtype=G.float64) for t in trees]
    _, _, before, after = run_both(outputs, [x, y])
    for a, b in zip(before, after):
        assert same_bits(a, b)


@pytest.mark.parametrize("dtype", [G.float32, G.float64])
def test_strict_mode_removes_sign_noise_exactly(dtype):
    x, y = placeholders(dtype)
    half = x / 2.0
    outputs = [x - (-y), (-x) * (-y), G.neg(-half), (-x) / (-y)]
    graph, simplified, before, after = run_both(outputs, [x, y])
    assert "neg" not in [n.op for n in simplified.nodes]
    assert len(simplified.nodes) < len(graph.nodes)
    for a, b in zip(before, after):
        assert same_bits(a, b)


def test_strict_mode_refuses_what_is_not_exact():
    x, y = placeholders()
    outputs = [x / x, x - x, x * y / y, (x + y) + x, G.exp(G.log(x)), x * x * x, G.sqrt(x * x), x / 3.0]
    graph, simplified, _, _ = run_both(outputs, [x, y])
    assert str(simplified) == str(graph)


def test_unsafe_mode_applies_sympys_algebra():
    x, y = placeholders()
    pass_ = SympySimplify(unsafe=True)
    graph = G.Graph([x, y], [x / x, x - x, x * y / y, G.sin(x) ** 2 + G.cos(x) ** 2])
    simplified = pass_(graph)
    assert [n.op for n in simplified.nodes if n.op not in ("placeholder", "scalar", "broadcast_to")] == []
    assert pass_.statistics["outputs-rewritten"] == 4
    ordinary = np.array([0.3, -1.7, 2.5])
    x3, y3 = G.placeholder("x", (3,), G.float64), G.placeholder("y", (3,), G.float64)
    g3 = passes.run(G.Graph([x3, y3], [x3 * y3 / y3 + G.exp(G.log(G.abs(x3) + 1))]),
                    "sympy-simplify{unsafe=true}")
    (got,) = G.function(list(g3.inputs), list(g3.outputs), passes="")(ordinary, ordinary + 1)
    np.testing.assert_allclose(got, ordinary + np.abs(ordinary) + 1, rtol=1e-12)


def test_region_boundaries_keep_casts_and_stop_gradient():
    a, b = G.placeholder("a", (4,), G.float32), G.placeholder("b", (4,), G.float64)
    y = G.cast(G.stop_gradient(a - (-a)), G.float64) - (-b)
    regions = find_regions(G.Graph([a, b], [y]))
    assert sorted(r.dtype.name for r in regions) == ["float32", "float64"]
    assert not [n for r in regions for n in r.nodes if n.op in ("cast", "stop_gradient")]
    simplified = passes.run(G.Graph([a, b], [y]), "sympy-simplify")
    ops = [n.op for n in simplified.nodes]
    assert "stop_gradient" in ops and "cast" in ops and "neg" not in ops


def test_max_nodes_leaves_large_regions_alone():
    x, y = placeholders()
    pass_ = passes.lookup("sympy-simplify").create({"max-nodes": 2})
    graph = G.Graph([x, y], [(x - (-y)) * (x - (-y)) - (-y)])
    assert pass_(graph) is graph
    assert pass_.statistics["regions-too-large"] == 1


def test_exact_normal_form_identifies_only_exact_identities():
    x, y = placeholders()

    def form(t):
        return exact_normal_form(G.Graph([x, y], [t])).outputs[0]

    assert form(x - (-y)) is form(y + x)
    assert form(x / 4.0) is form(x * 0.25)
    assert form((-x) * y) is form(-(y * x))
    assert form(x + x) is form(x * 2.0)
    assert form(x / 3.0) is not form(x * (1 / 3.0))
    assert form((x + y) + x) is form(x + (y + x))  # commuted, not reassociated
    assert form((x + y) + x) is not form((x + x) + y)
    assert form(G.maximum(x, y)) is not form(G.maximum(y, x))  # which zero: -0.0 vs 0.0


def test_the_pass_is_registered_with_its_options():
    info = passes.lookup("sympy-simplify")
    assert {o.name for o in info.options} == {"unsafe", "max-nodes"}
    assert passes.format_pipeline(passes.parse_pipeline("sympy-simplify{unsafe=true}")) == \
        "sympy-simplify{unsafe=true}"
