"""Reverse-mode differentiation of a graph: one walk, one rule call per node.

The gradient graph has O(n) nodes for an n-node forward graph, because each
node's cotangent is built once (contributions summed) and reused by its inputs.
The nodes built for a node's gradient go in the scope `grad/` + its scope (graphc/scopes.py),
so pictures tell forward and gradient apart.
"""

from __future__ import annotations

from collections.abc import Sequence

import graphc.functional as F
from graphc.graph import topological_order
from graphc.node import Node
from graphc.passes.autodiff.rules import (
    DIFFERENTIATE_BEFORE_FUSING,
    NON_DIFFERENTIABLE,
    VJP,
    PerInput,
    UnsupportedGradientError,
)
from graphc.scopes import exact_scope, gradient_scope
from graphc.tensor import Tensor


class DifferentiationError(ValueError):
    """A gradient was asked for that cannot be formed."""


def vjp_nodes(outputs: Sequence[Node], cotangents: Sequence[Node],
              wrt: Sequence[Node]) -> list[Node | None]:
    """Cotangents of `wrt` given cotangents of `outputs`.

    As in PyTorch, an input gets None when the outputs do not depend on it through
    floating-point values (only through `stop_gradient`, a comparison, an integer
    cast, or not at all), and zeros when they do, but only through ops with a zero
    derivative (floor, sign, round).
    """
    order = topological_order(outputs)
    wrt_ids = {id(n) for n in wrt}
    # Only floating-point nodes between some `wrt` and the outputs carry gradients.
    relevant: set[int] = set()
    for node in order:
        if id(node) in wrt_ids or (node.op != "stop_gradient" and node.dtype.is_floating_point
                                   and any(id(i) in relevant for i in node.inputs)):
            relevant.add(id(node))
    pending: dict[int, list[Tensor]] = {}
    for out, cot in zip(outputs, cotangents):
        if id(out) in relevant:
            pending.setdefault(id(out), []).append(Tensor(cot))
    connected = set(pending)  # relevant nodes the outputs depend on
    result: dict[int, Node] = {}
    for node in reversed(order):
        if id(node) in connected:
            connected.update(id(i) for i in node.inputs if id(i) in relevant)
        contributions = pending.pop(id(node), None)
        if contributions is None:
            continue
        scope = gradient_scope(node.scope)
        with exact_scope(scope):
            g = _sum(contributions)
        if id(node) in wrt_ids:
            result[id(node)] = g._node
        if node.op in DIFFERENTIATE_BEFORE_FUSING:
            raise DifferentiationError(
                f"cannot differentiate through the {node.op} created at {node.location}:"
                " differentiate before fusing (take the gradient of the unfused graph, then fuse)")
        if node.op in NON_DIFFERENTIABLE or not node.inputs:
            continue
        rule = VJP.get(node.op)
        if rule is None:
            raise DifferentiationError(f"no derivative rule for {node.op} (created at {node.location})")
        inputs = [Tensor(i) for i in node.inputs]
        try:
            with exact_scope(scope):
                if isinstance(rule, PerInput):  # only the cotangents of relevant inputs
                    needed = [id(i) in relevant for i in node.inputs]
                    grads = rule.some(node, Tensor(node), g, inputs, needed)
                else:
                    grads = rule(node, Tensor(node), g, *inputs)
        except UnsupportedGradientError as err:
            raise DifferentiationError(f"{node.op} created at {node.location}: {err}") from None
        for i, gi in zip(node.inputs, grads):
            if gi is None or id(i) not in relevant:
                continue
            if gi.dtype is not i.dtype or tuple(gi.node.shape) != tuple(i.shape):
                raise DifferentiationError(
                    f"internal error: the {node.op} rule gave a {gi._node.type} cotangent for a"
                    f" {i.type} input (node created at {node.location})")
            pending.setdefault(id(i), []).append(gi)
    return [result[id(n)] if id(n) in result
            else F.zeros_like(Tensor(n))._node if id(n) in connected
            else None
            for n in wrt]


def _sum(terms: list[Tensor]) -> Tensor:
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total
