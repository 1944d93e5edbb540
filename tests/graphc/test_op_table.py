"""The op table (`graphc.ops.OPS`) is complete, and the lists derived from its traits are pinned.

Every op has a user-facing function or is declared internal, and a derivative rule or is
declared non-differentiable. The sets of ops that passes, kernels and the Tensor API derive
from the traits are written out here, as the hand-kept lists said before the traits existed,
so that changing a trait is a deliberate edit of this file too.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import graphc
import graphc.functional as F
from graphc import dtypes, kernel, ops, rows
from graphc.ops import OPS, STANDARD, ops_with
from graphc.passes import canonicalize, fold_constants, pattern, simplify
from graphc.passes.autodiff import DIFFERENTIATE_BEFORE_FUSING, NON_DIFFERENTIABLE, VJP
from graphc.tensor import _METHODS as TENSOR_METHODS

# ------------------------------------------------------------------ completeness

# Ops no user function builds: graphc makes them (literals from Python numbers, fused kernels).
INTERNAL = {"scalar", "kernel", "result"}


def test_every_op_has_a_user_function_or_is_declared_internal():
    internal = {name for name, opdef in OPS.items() if opdef.function is None}
    assert internal == INTERNAL
    for name, opdef in OPS.items():
        if opdef.function is None:
            continue
        function = getattr(graphc, opdef.function, None)
        assert callable(function), f"op {name}: graphc.{opdef.function} does not exist"
        assert function is getattr(F, opdef.function), f"graphc.{opdef.function} is not graphc.functional's"
        assert function.__name__ == opdef.function, f"graphc.{opdef.function} is {function.__name__}"


@pytest.mark.parametrize("name", sorted(STANDARD))
def test_the_function_of_each_elementwise_op_and_reduction_builds_that_op(name):
    xs = [graphc.placeholder(f"x{k}", (3,), dtype=graphc.float64) for k in range(OPS[name].arity)]
    assert getattr(graphc, OPS[name].function)(*xs).node.op == name


def test_every_op_has_a_rule_or_is_declared_non_differentiable():
    declared = NON_DIFFERENTIABLE | DIFFERENTIATE_BEFORE_FUSING
    missing = sorted(op for op in OPS if op not in VJP and op not in declared)
    assert missing == [], f"ops with no derivative rule and not declared non-differentiable: {missing}"
    both = sorted(set(VJP) & declared)
    assert both == [], f"ops both differentiable and not: {both}"
    assert NON_DIFFERENTIABLE.isdisjoint(DIFFERENTIATE_BEFORE_FUSING)
    unknown = sorted((set(VJP) | declared) - set(OPS))
    assert unknown == [], f"rules for ops graphc does not define: {unknown}"


def test_every_method_op_is_a_tensor_method_that_calls_its_function():
    x, y = (graphc.placeholder(n, (3,), dtype=graphc.float64) for n in "xy")
    for name in ops_with("method"):
        assert name in TENSOR_METHODS and hasattr(graphc.Tensor, name), name
        if name in STANDARD:
            args = (y,) if OPS[name].arity == 2 else ()
            assert getattr(x, name)(*args).node is getattr(graphc, name)(x, *args).node, name


# ------------------------------------------------------------------ the derived lists, pinned

UNARY = {"neg", "abs", "sign", "exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "sin", "cos", "tan",
         "tanh", "sigmoid", "relu", "floor", "ceil", "round", "erf", "logical_not", "stop_gradient"}
BINARY = {"add", "sub", "mul", "div", "floordiv", "mod", "pow", "maximum", "minimum", "atan2",
          "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or"}
REDUCTIONS = {"sum", "prod", "mean", "max", "min"}

PINNED = {
    "commutative": {"add", "mul", "eq", "ne", "logical_and", "logical_or"},
    "symmetric": {"maximum", "minimum"},
    "literal": {"scalar", "constant", "arange", "eye"},
    "view": {"broadcast_to", "reshape", "transpose", "getitem", "flip"},
    "elementwise": UNARY | BINARY | {"cast", "where"},
    "cheap": {"neg", "abs", "add", "sub", "mul", "maximum", "minimum", "cast", "where", "eq", "ne",
              "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_not", "relu",
              "stop_gradient"},
    "kernel_reduction": REDUCTIONS,
    "row_reduction": REDUCTIONS - {"prod"},
    "method": (UNARY - {"stop_gradient"}) | BINARY | REDUCTIONS
              | {"argmax", "argmin", "broadcast_to", "transpose", "flip", "pad", "matmul",
                 "gather", "scatter", "argsort", "cumsum", "cumprod", "nonzero"},
}

ACCEPTS = {
    "float": {"exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "sin", "cos", "tan", "tanh", "sigmoid",
              "erf", "div", "atan2", "mean"},
    "number": {"neg", "abs", "sign", "relu", "floor", "ceil", "round", "sub", "floordiv", "mod",
               "pow", "sum", "prod", "cumsum", "cumprod"},
    "bool": {"logical_not", "logical_and", "logical_or", "nonzero"},
}


def test_every_trait_is_pinned():
    assert set(PINNED) == set(ops.TRAITS)


@pytest.mark.parametrize("trait", sorted(PINNED))
def test_the_ops_with_each_trait_are_the_pinned_ones(trait):
    assert ops_with(trait) == PINNED[trait]


def test_the_operand_dtypes_each_op_accepts_are_the_pinned_ones():
    for accepts in ("float", "number", "bool"):
        assert {name for name, opdef in OPS.items() if opdef.accepts == accepts} == ACCEPTS[accepts]


def test_the_lists_modules_use_are_derived_from_the_traits():
    assert PINNED["commutative"] == canonicalize.COMMUTATIVE
    assert PINNED["commutative"] | PINNED["symmetric"] == pattern.EITHER_ORDER
    assert canonicalize.LITERALS == fold_constants.LITERALS == PINNED["literal"]
    assert UNARY | {"cast"} == simplify.ELEMENTWISE_UNARY
    assert simplify.ELEMENTWISE_BINARY == BINARY
    assert PINNED["kernel_reduction"] == kernel.REDUCE_OPS
    assert PINNED["row_reduction"] == rows.ROW_REDUCE_OPS
    assert PINNED["cheap"] == rows.CHEAP
    assert PINNED["view"] == ops.VIEW_OPS
    compositions = {"squeeze", "unsqueeze", "dot", "softmax", "log_softmax", "logsumexp",
                    "scatter_add", "sort", "topk", "index_select", "take_along_dim", "index_put",
                    "std", "var", "clamp", "clip", "flatten", "tril", "triu",
                    "masked_select", "argwhere"}
    assert set(TENSOR_METHODS) == PINNED["method"] | compositions


def test_an_unknown_trait_is_refused_by_name():
    with pytest.raises(ValueError, match="'commutativ' is not an op trait"):
        ops_with("commutativ")


# ------------------------------------------------------------------ the traits mean what they say

CATEGORY = {"float": {2}, "number": {1, 2}, "bool": {0}, "any": {0, 1, 2}}


@pytest.mark.parametrize("name", sorted(STANDARD))
def test_each_op_accepts_exactly_the_dtypes_it_declares(name):
    opdef = OPS[name]
    attrs = {"axes": (0,), "keepdims": False} if opdef.kind == "reduce" else {}
    for dtype in (dtypes.bool_, dtypes.int32, dtypes.float32):
        operands = [graphc.placeholder(f"x{k}", (2,), dtype=dtype).node for k in range(opdef.arity)]
        if dtype.category in CATEGORY[opdef.accepts]:
            assert ops.make(name, operands, **attrs).op == name
        else:
            with pytest.raises(graphc.GraphBuildError, match=name):
                ops.make(name, operands, **attrs)


SPECIAL = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan])


def _both_orders(name):
    """`name(a, b)` and `name(b, a)` over all pairs of special float64 values, as NumPy computes."""
    a, b = (np.array(v) for v in zip(*itertools.product(SPECIAL, SPECIAL)))
    x, y = (graphc.placeholder(n, a.shape, dtype=graphc.float64) for n in "xy")
    if OPS[name].accepts == "bool":
        a, b = a != 0, b != 0
        x, y = (graphc.placeholder(n, a.shape, dtype=graphc.bool_) for n in "xy")
    f = getattr(graphc, name)
    return graphc.function([x, y], [f(x, y), f(y, x)], backend="numpy", passes="")(a, b)


def _bits(value):
    """The bytes of each element; every NaN alike (which payload an op keeps is the hardware's)."""
    value = np.where(np.isnan(value), np.nan, value) if value.dtype.kind == "f" else value
    return value.tobytes()


@pytest.mark.parametrize("name", sorted(PINNED["commutative"]))
def test_commutative_ops_give_the_same_bits_in_either_order(name):
    forward, backward = _both_orders(name)
    assert _bits(forward) == _bits(backward)


@pytest.mark.parametrize("name", sorted(PINNED["symmetric"]))
def test_symmetric_ops_agree_in_value_but_not_in_bits_in_either_order(name):
    forward, backward = _both_orders(name)
    np.testing.assert_array_equal(forward, backward)  # 0.0 == -0.0, NaN matches NaN
    assert _bits(forward) != _bits(backward), "a symmetric op that is bit-exact is commutative"
