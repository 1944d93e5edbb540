"""`simplify`: algebraic identities that are exact in floating point, as rewrite rules.

Exact means the result is the value NumPy would compute, NaN and infinity included. The one
liberty is that `x + 0` and `x - 0` become `x`, which for `x = -0.0` yields -0.0 where IEEE
addition gives +0.0 (the two compare equal). Identities that round or that change NaN and
infinity (`x - x`, `x * 0`, `exp(log(x))`) apply to integers only, or with `fast-math`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from graphc import dtypes
from graphc.node import Node
from graphc.ops import OPS, ops_with
from graphc.passes.pattern import Match, RuleSet, apply_rules, const, op, rule
from graphc.passes.registry import register

ELEMENTWISE_BINARY = frozenset(name for name in ops_with("elementwise") if OPS[name].arity == 2)
ELEMENTWISE_UNARY = frozenset(name for name in ops_with("elementwise") if OPS[name].arity == 1)

# (from, to) pairs where casting there and back gives the value unchanged
LOSSLESS = {(dtypes.bool_, d) for d in dtypes.ALL} | {
    (dtypes.int32, dtypes.int64), (dtypes.int32, dtypes.float64),
    (dtypes.float16, dtypes.float32), (dtypes.float16, dtypes.float64),
    (dtypes.float32, dtypes.float64)} | {
    (small, wide) for small in (dtypes.uint8, dtypes.int8)
    for wide in (dtypes.int16, dtypes.int32, dtypes.int64, dtypes.float16, dtypes.bfloat16,
                 dtypes.float32, dtypes.float64)} | {
    (dtypes.int16, dtypes.int32), (dtypes.int16, dtypes.int64), (dtypes.int16, dtypes.float32),
    (dtypes.int16, dtypes.float64), (dtypes.bfloat16, dtypes.float32), (dtypes.bfloat16, dtypes.float64)}


def _is_int(m: Match) -> bool:
    return m.x.dtype.category == 1


def _perm_compose(m: Match) -> Node:
    inner, outer = m.inner.attr("perm"), m.root.attr("perm")
    return m.make("transpose", m.x, perm=tuple(inner[p] for p in outer))


def _identity_perm(m: Match) -> bool:
    return m.root.attr("perm") == tuple(range(m.root.ndim))


def _full_index(m: Match) -> bool:
    index = m.root.attr("index")
    return len(index) == m.x.ndim and all(
        isinstance(e, tuple) and e[0] in (None, 0) and e[1] is None and e[2] in (None, 1) for e in index)


def _unbroadcast(m: Match) -> Node | None:
    """`x + broadcast_to(v)` -> `x + v` where x alone already gives the result's shape (the
    op broadcasts `v` the same way; fusion then sees `v`, not a view of it)."""
    root = m.root
    inputs = list(root.inputs)
    for k, operand in enumerate(inputs):
        other_shapes = [i.shape for j, i in enumerate(inputs) if j != k]
        if operand.op == "broadcast_to" and root.shape in other_shapes:
            inputs[k] = operand.inputs[0]
            return m.make(root.op, *inputs)
    return None


def _has_broadcast(m: Match) -> bool:
    return any(i.op == "broadcast_to" for i in m.root.inputs)


def _broadcast_late(m: Match) -> Node:
    """`f(broadcast_to(v), s)` -> `broadcast_to(f(v, s))` for 0-d `s`: f runs on v's elements only."""
    root = m.root
    inputs = [i.inputs[0] if i.op == "broadcast_to" else i for i in root.inputs]
    return m.make("broadcast_to", m.make(root.op, *inputs, **dict(root.attrs)), shape=root.shape)


def _one_broadcast_and_0d(m: Match) -> bool:
    broadcasts = [i for i in m.root.inputs if i.op == "broadcast_to"]
    return len(broadcasts) == 1 and all(i.ndim == 0 for i in m.root.inputs if i.op != "broadcast_to")


STRICT_RULES = (
    rule("add-zero", op("add", "x", const(0)), lambda m: m.x),
    rule("sub-zero", op("sub", "x", const(0)), lambda m: m.x),
    rule("mul-one", op("mul", "x", const(1)), lambda m: m.x),
    rule("mul-minus-one", op("mul", "x", const(-1)), lambda m: m.make("neg", m.x),
         when=lambda m: m.x.dtype.category > 0),
    rule("div-one", op("div", "x", const(1)), lambda m: m.x),
    rule("pow-one", op("pow", "x", const(1)), lambda m: m.x),
    # x*x is the correctly rounded square, as PyTorch computes x**2 (NumPy's float pow may be
    # an ulp off), and one multiply instead of a pow
    rule("pow-two", op("pow", "x", const(2)), lambda m: m.make("mul", m.x, m.x)),
    rule("neg-neg", op("neg", op("neg", "x")), lambda m: m.x),
    rule("sub-self-int", op("sub", "x", "x"), lambda m: m.zeros(), when=_is_int),
    rule("mul-zero-int", op("mul", "x", const(0)), lambda m: m.zeros(), when=_is_int),
    rule("not-not", op("logical_not", op("logical_not", "x")), lambda m: m.x),
    rule("and-true", op("logical_and", "x", const(True)), lambda m: m.x),
    rule("or-false", op("logical_or", "x", const(False)), lambda m: m.x),
    rule("or-true", op("logical_or", "x", const(True)), lambda m: m.filled(True)),
    rule("and-false", op("logical_and", "x", const(False)), lambda m: m.filled(False)),
    rule("max-self", op(("maximum", "minimum"), "x", "x"), lambda m: m.x),
    rule("where-same", op("where", "c", "x", "x"), lambda m: m.x),
    rule("where-true", op("where", const(True), "x", "y"), lambda m: m.x),
    rule("where-false", op("where", const(False), "x", "y"), lambda m: m.y),
    rule("idempotent", op(("abs", "relu", "sign", "floor", "ceil", "round", "stop_gradient"),
                          op(("abs", "relu", "sign", "floor", "ceil", "round", "stop_gradient"),
                             "x", as_="inner")),
         lambda m: m.inner, when=lambda m: m.root.op == m.inner.op),
    rule("abs-neg", op("abs", op("neg", "x")), lambda m: m.make("abs", m.x),
         when=lambda m: m.x.dtype is not dtypes.uint8),  # -x of uint8 wraps to 256 - x
    rule("round-int", op(("floor", "ceil", "round"), "x"), lambda m: m.x,
         when=lambda m: m.x.dtype.category < 2),
    rule("flip-flip", op("flip", op("flip", "x", as_="inner")), lambda m: m.x,
         when=lambda m: m.inner.attr("axes") == m.root.attr("axes")),
    rule("cast-same", op("cast", "x"), lambda m: m.x, when=lambda m: m.x.dtype is m.root.dtype),
    rule("cast-roundtrip", op("cast", op("cast", "x", as_="inner")), lambda m: m.x,
         when=lambda m: m.root.dtype is m.x.dtype and (m.x.dtype, m.inner.dtype) in LOSSLESS),
    rule("reshape-same", op("reshape", "x"), lambda m: m.x, when=lambda m: m.x.shape == m.root.shape),
    rule("reshape-reshape", op("reshape", op("reshape", "x")),
         lambda m: m.make("reshape", m.x, shape=m.root.shape)),
    rule("broadcast-same", op("broadcast_to", "x"), lambda m: m.x,
         when=lambda m: m.x.shape == m.root.shape),
    rule("broadcast-broadcast", op("broadcast_to", op("broadcast_to", "x")),
         lambda m: m.make("broadcast_to", m.x, shape=m.root.shape)),
    rule("transpose-identity", op("transpose", "x"), lambda m: m.x, when=_identity_perm),
    rule("transpose-transpose", op("transpose", op("transpose", "x", as_="inner")), _perm_compose),
    rule("getitem-all", op("getitem", "x"), lambda m: m.x, when=_full_index),
    # A float sum over no axes still adds to +0.0 (NumPy: sum(-0.0) is 0.0); the rest is x.
    rule("reduce-no-axes", op(("sum", "prod", "mean", "max", "min"), "x"), lambda m: m.x,
         when=lambda m: m.root.attr("axes") == () and (
             m.root.op not in ("sum", "mean") or not m.x.dtype.is_floating_point)),
    rule("unbroadcast", op(ELEMENTWISE_BINARY, "x", "y"), _unbroadcast, when=_has_broadcast),
    rule("unbroadcast", op("where", "c", "x", "y"), _unbroadcast, when=_has_broadcast),
    rule("broadcast-late", op(ELEMENTWISE_UNARY, "x"), _broadcast_late, when=_one_broadcast_and_0d),
    rule("broadcast-late", op(ELEMENTWISE_BINARY, "x", "y"), _broadcast_late, when=_one_broadcast_and_0d),
)

FAST_MATH_RULES = (
    rule("sub-self", op("sub", "x", "x"), lambda m: m.zeros()),
    rule("exp-log", op("exp", op("log", "x")), lambda m: m.x),
    rule("log-exp", op("log", op("exp", "x")), lambda m: m.x),
    rule("mul-zero", op("mul", "x", const(0)), lambda m: m.zeros()),
)

STRICT = RuleSet(STRICT_RULES)
FAST_MATH = RuleSet(STRICT_RULES + FAST_MATH_RULES)


@register("simplify")
@dataclass
class Simplify:
    """Algebraic identities exact in floating point (x*1, x+0, --x, reshape/transpose chains, ...)."""

    max_iters: int = field(default=8, metadata={"help": "walks over the graph before giving up"})
    fast_math: bool = field(default=False, metadata={"help": "also x-x=0, x*0=0, exp(log(x))=x"})
    statistics: Counter = field(default_factory=Counter, init=False)

    def __call__(self, graph):
        return apply_rules(graph, FAST_MATH if self.fast_math else STRICT, self.max_iters, self.statistics)
