"""A pullback graph rebuilt over a batch of cotangents: jacobians of outputs of symbolic size.

A jacobian needs `J^T e_k` for every basis vector `e_k` of the (flattened) output. With a
static output size, graphc.jacobian takes one vjp per k; with a symbolic size there is no Python
loop to write. Instead the pullback is built once for a stand-in cotangent `u`, then rebuilt
here with a leading batch axis on every node that depends on `u`, `u` becoming the identity
matrix: row k of the result is `J^T e_k`. Each op's batched form is one entry of `BATCH_RULES`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from graphc.graph import topological_order
from graphc.node import Node
from graphc.ops import OPS, make


class BatchingError(ValueError):
    """An op of a pullback graph that has no batched form here."""


def batched(outputs: Sequence[Node], stand_in: Node, replacement: Node) -> list[Node]:
    """`outputs` rebuilt with `stand_in` replaced by `replacement`, which has a leading batch axis.

    Every output gets the batch axis; one that does not depend on `stand_in` is broadcast."""
    batch = replacement.shape[0]
    new: dict[Node, Node] = {stand_in: replacement}
    for node in topological_order(list(outputs)):
        if node is stand_in or not any(i in new for i in node.inputs):
            continue
        rule = BATCH_RULES.get(node.op) or (_elementwise if OPS[node.op].elementwise else None)
        if rule is None:
            raise BatchingError(f"a jacobian with symbolic sizes cannot batch the {node.op} created"
                                f" at {node.location}; give the input static sizes")
        operands = [new.get(i, i) for i in node.inputs]
        new[node] = rule(node, operands, [i in new for i in node.inputs], batch)
    return [new[o] if o in new else _spread(o, batch) for o in outputs]


def _spread(node: Node, batch) -> Node:
    """An unbatched value repeated along a new leading batch axis."""
    return make("broadcast_to", (node,), shape=(batch, *node.shape))


def _lift(node: Node, batched_node: Node, rank: int, batch) -> Node:
    """A batched operand (batch, *shape of `node`) with 1s inserted after the batch axis up to `rank`."""
    ones = (1,) * (rank - node.ndim)
    if not ones:
        return batched_node
    return make("reshape", (batched_node,), shape=(batch, *ones, *node.shape))


def _elementwise(node, operands, is_batched, batch):
    lifted = [_lift(orig, op, node.ndim, batch) if b else op
              for orig, op, b in zip(node.inputs, operands, is_batched)]
    return make(node.op, tuple(lifted), **node.attr_dict)


def _reshape(node, operands, is_batched, batch):
    return make("reshape", (operands[0],), shape=(batch, *node.shape))


def _broadcast_to(node, operands, is_batched, batch):
    x = _lift(node.inputs[0], operands[0], node.ndim, batch)
    return make("broadcast_to", (x,), shape=(batch, *node.shape))


def _shifted(name: str) -> Callable:
    """A rule for an op whose attribute `name` lists axes: each moves one place right."""
    def rule(node, operands, is_batched, batch):
        attrs = node.attr_dict
        value = attrs[name]
        attrs[name] = tuple(a + 1 for a in value) if isinstance(value, tuple) else value + 1
        return make(node.op, (operands[0],), **attrs)
    return rule


def _transpose(node, operands, is_batched, batch):
    return make("transpose", (operands[0],), perm=(0, *(p + 1 for p in node.attr("perm"))))


def _getitem(node, operands, is_batched, batch):
    return make("getitem", (operands[0],), index=((None, None, None), *node.attr("index")))


def _setitem(node, operands, is_batched, batch):
    """`base[index] = value` with a full slice in front; the part assigned gets the batch axis."""
    base, value = operands
    base = base if is_batched[0] else _spread(base, batch)
    if is_batched[1]:
        part = make("getitem", (node.inputs[0],), index=node.attr("index"))
        value = _lift(node.inputs[1], value, part.ndim, batch)
    return make("setitem", (base, value), index=((None, None, None), *node.attr("index")))


def _pad(node, operands, is_batched, batch):
    return make("pad", (operands[0],), widths=((0, 0), *node.attr("widths")), value=node.attr("value"))


def _cat(node, operands, is_batched, batch):
    pieces = tuple(op if b else _spread(op, batch) for op, b in zip(operands, is_batched))
    return make("cat", pieces, axis=node.attr("axis") + 1)


def _matmul(node, operands, is_batched, batch):
    """NumPy's matmul with the batch axis in front: 1-D operands become matrices, batched ones
    get 1s after the batch axis so that the batch axes line up; the result is reshaped back."""
    mats = []
    for k, (orig, op, is_b) in enumerate(zip(node.inputs, operands, is_batched)):
        if orig.ndim == 1:
            shape = (1, *orig.shape) if k == 0 else (*orig.shape, 1)
            op = make("reshape", (op,), shape=(batch, *shape) if is_b else shape)
        mats.append((op, is_b, max(orig.ndim, 2)))
    rank = max(r for _, _, r in mats)
    lifted = tuple(
        make("reshape", (op,), shape=(batch, *(1,) * (rank - r), *op.shape[1:])) if is_b and r < rank
        else op for op, is_b, r in mats)
    return make("reshape", (make("matmul", lifted),), shape=(batch, *node.shape))


BATCH_RULES: dict[str, Callable] = {
    "reshape": _reshape,
    "broadcast_to": _broadcast_to,
    "transpose": _transpose,
    "getitem": _getitem,
    "setitem": _setitem,  # the indexing primitive (getitem's gradient), where graphc has it
    "pad": _pad,
    "cat": _cat,
    "matmul": _matmul,
    "flip": _shifted("axes"),
    **{op: _shifted("axes") for op in ("sum", "mean", "prod", "max", "min")},
}
