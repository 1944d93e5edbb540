"""Reverse-mode differentiation of a graph: one walk, one rule call per node.

The gradient graph has O(n) nodes for an n-node forward graph, because each
node's cotangent is built once (contributions summed) and reused by its inputs.
"""

from __future__ import annotations

from collections.abc import Sequence

from graphc.graph import topological_order
from graphc.node import Node
from graphc.tensor import Tensor
from passes.autodiff.rules import NON_DIFFERENTIABLE, VJP


class DifferentiationError(ValueError):
    """A gradient was asked for that cannot be formed."""


def vjp_nodes(outputs: Sequence[Node], cotangents: Sequence[Node],
              wrt: Sequence[Node]) -> list[Node | None]:
    """Cotangents of `wrt` given cotangents of `outputs`; None where there is no path."""
    order = topological_order(outputs)
    wrt_ids = {id(n) for n in wrt}
    # Only nodes between some `wrt` and the outputs need a cotangent.
    relevant: set[int] = set()
    for node in order:
        if id(node) in wrt_ids or any(id(i) in relevant for i in node.inputs):
            relevant.add(id(node))
    pending: dict[int, list[Tensor]] = {}
    for out, cot in zip(outputs, cotangents):
        if id(out) in relevant:
            pending.setdefault(id(out), []).append(Tensor(cot))
    result: dict[int, Node] = {}
    for node in reversed(order):
        contributions = pending.pop(id(node), None)
        if contributions is None:
            continue
        g = _sum(contributions)
        if id(node) in wrt_ids:
            result[id(node)] = g._node
        if node.op in NON_DIFFERENTIABLE or not node.inputs:
            continue
        if not node.dtype.is_floating_point:
            continue
        rule = VJP.get(node.op)
        if rule is None:
            raise DifferentiationError(f"no derivative rule for {node.op} (created at {node.location})")
        inputs = [Tensor(i) for i in node.inputs]
        try:
            grads = rule(node, Tensor(node), g, *inputs)
        except NotImplementedError as err:
            raise DifferentiationError(f"{node.op} created at {node.location}: {err}") from None
        for i, gi in zip(node.inputs, grads):
            if gi is None or id(i) not in relevant:
                continue
            if gi.dtype is not i.dtype or tuple(gi.shape) != tuple(i.shape):
                raise DifferentiationError(
                    f"internal error: the {node.op} rule gave a {gi._node.type} cotangent for a"
                    f" {i.type} input (node created at {node.location})")
            pending.setdefault(id(i), []).append(gi)
    return [result.get(id(n)) for n in wrt]


def _sum(terms: list[Tensor]) -> Tensor:
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total
