"""The declarative pattern rewriter: matching, captures, constants, statistics, the driver."""

from __future__ import annotations

from collections import Counter

import pytest

import graphc as gc
from graphc import Graph
from graphc.passes.pattern import Match, RewriteError, RuleSet, apply_rules, const, match, op, rule


def _nodes():
    x, y = gc.placeholder("x", (3,)), gc.placeholder("y", (3,))
    return x, y, x._node, y._node


def test_commutative_ops_match_in_either_order():
    x, _, xn, _ = _nodes()
    m = Match((1.0 * x)._node)
    assert match(op("mul", "a", const(1)), m.root, m) and m.a is xn


def test_symmetric_ops_match_in_either_order():
    # maximum(0, x) is maximum(x, 0) in value (not bit for bit): a rule about values may match it
    x, _, xn, _ = _nodes()
    m = Match(gc.maximum(0.0, x)._node)
    assert match(op("maximum", "a", const(0)), m.root, m) and m.a is xn


def test_non_commutative_ops_match_in_order_only():
    x, _, _, _ = _nodes()
    node = (0.0 - x)._node
    assert not match(op("sub", "a", const(0)), node, Match(node))


def test_a_name_used_twice_must_be_the_same_node():
    x, y, _, _ = _nodes()
    assert match(op("sub", "a", "a"), (x - x)._node, Match((x - x)._node))
    assert not match(op("sub", "a", "a"), (x - y)._node, Match((x - y)._node))


def test_const_sees_through_broadcasts_and_small_constants():
    x, _, _, _ = _nodes()
    for one in (gc.full((), 1.0), gc.ones(3), gc.tensor([1.0, 1.0, 1.0])):
        node = (x * one)._node
        assert match(op("mul", "a", const(1)), node, Match(node))
    node = (x * gc.tensor([1.0, 2.0, 1.0]))._node
    assert not match(op("mul", "a", const(1)), node, Match(node))


def test_attribute_constraints_and_nested_captures():
    x, _, xn, _ = _nodes()
    node = gc.reshape(gc.reshape(x, (3, 1)), (1, 3))._node
    m = Match(node)
    assert match(op("reshape", op("reshape", "a", as_="inner", shape=(3, 1))), node, m)
    assert m.a is xn and m.inner.shape == (3, 1)
    assert not match(op("reshape", op("reshape", "a", shape=(1, 3))), node, Match(node))


def test_driver_reaches_a_fixed_point_and_counts_rules():
    x, _, xn, _ = _nodes()
    y = x
    for _ in range(50):
        y = -(y * 1.0)
    rules = RuleSet((rule("mul-one", op("mul", "a", const(1)), lambda m: m.a),
                     rule("neg-neg", op("neg", op("neg", "a")), lambda m: m.a)))
    stats = Counter()
    graph = apply_rules(Graph([x], [y]), rules, stats=stats)
    assert graph.outputs[0] is xn
    # after two steps the chain repeats nodes already rewritten: equal nodes share the work
    assert stats == Counter({"mul-one": 2, "neg-neg": 1})


def test_replacements_with_a_smaller_shape_are_broadcast_back():
    x = gc.placeholder("x", (3,))
    y = x * gc.ones(2, 3)
    rules = RuleSet((rule("mul-one", op("mul", "a", const(1)), lambda m: m.a),))
    out = apply_rules(Graph([x], [y]), rules).outputs[0]
    assert out.op == "broadcast_to" and out.shape == (2, 3) and out.inputs[0] is x._node


def test_rules_that_keep_rewriting_raise_naming_them():
    x = gc.placeholder("x", (3,))
    flip = RuleSet((rule("swap", op("add", "a", "b"), lambda m: m.make("add", m.b, m.a)),))
    with pytest.raises(RewriteError, match=r"rules keep rewriting add .*swap"):
        apply_rules(Graph([x], [x + gc.exp(x)]), flip)


def test_a_condition_can_veto_a_rule():
    x = gc.placeholder("x", (3,))
    rules = RuleSet((rule("sub-self", op("sub", "a", "a"), lambda m: m.zeros(),
                          when=lambda m: m.a.dtype.category == 1),))
    graph = Graph([x], [x - x])
    assert apply_rules(graph, rules) is graph
