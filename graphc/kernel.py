"""The `kernel` op's contract (docs/kernels.md): what a fused body may hold, and its inputs.

A kernel node applies its `body` attribute, a Graph over the placeholders `a0, a1, ...` (one
per operand, of the operand's type), to its operands; its `kind` attribute is "elementwise",
"reduce" or "row". A reduce kernel has one output; an elementwise or row kernel has one or
more, all of its iteration shape (a row kernel also reduces along its rows: graphc/rows.py).
A kernel of several outputs has a tuple type, and `result` nodes read them. `passes/fuse.py`
builds kernels; every backend runs them, so the body is checked here against
the rules every backend can compile.
"""

from __future__ import annotations

import weakref
from typing import Any

from graphc import dtypes
from graphc.graph import Graph
from graphc.node import Node, TensorType, TupleType
from graphc.ops import VIEW_OPS, is_elementwise, make_leaf, ops_with
from graphc.rows import check_row_body
from graphc.scopes import exact_scope

KINDS = ("elementwise", "reduce", "row")
# The reductions a reduce kernel may end in (argmax/argmin are not fused).
REDUCE_OPS = ops_with("kernel_reduction")

_INPUTS: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
_TYPED: weakref.WeakSet[Graph] = weakref.WeakSet()  # bodies whose node types are known right


def typed_body(body: Graph) -> Graph:
    """`body`, marked as made of nodes whose types follow their ops' rules: copies of a checked
    graph's nodes on operands of the same types, as `fuse` builds bodies. The kernel's type
    rule then checks the body's structure but does not infer every type again (a sixth of
    fusing W7's 3,400-op kernel). Graphs are equal when their inputs and outputs are, so the
    mark holds for any equal body."""
    _TYPED.add(body)
    return body


def kernel_input(k: int, type_: TensorType) -> Node:
    """The body input `%a{k}` of type `type_`.

    There is one such placeholder per `(k, type)`, so two bodies that compute the same thing
    are equal graphs, and kernels are hash-consed like any other node. It belongs to no scope,
    whichever scope fusion runs in.
    """
    key = (k, type_)
    node = _INPUTS.get(key)
    if node is None:
        with exact_scope(""):
            node = make_leaf("placeholder", type_, identity=True, name=f"a{k}")
        _INPUTS[key] = node
    return node


def kernel_type(types: tuple[TensorType, ...], attrs: dict[str, Any]) -> TensorType | TupleType:
    """The `kernel` op's type rule: the body fits the operands and the contract; its output type."""
    body, kind = attrs["body"], attrs["kind"]
    if kind not in KINDS:
        raise ValueError(f"kernel kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if not isinstance(body, Graph):
        raise TypeError(f"a kernel's body must be a graph, got {type(body).__name__}")
    if len(body.inputs) != len(types):
        raise ValueError(f"the body takes {len(body.inputs)} inputs but the kernel has"
                         f" {len(types)} operands")
    for k, (node, t) in enumerate(zip(body.inputs, types)):
        if node.op != "placeholder" or node.attr("name") != f"a{k}":
            raise ValueError(f"body input {k} must be the placeholder a{k}")
        if node.type != t:
            raise TypeError(f"body input a{k} is {node.type} but operand {k} is {t}")
    if not body.outputs or (kind == "reduce" and len(body.outputs) > 1):
        raise ValueError(f"a {kind} kernel's body cannot have {len(body.outputs)} outputs")
    first = body.outputs[0]
    for other in body.outputs[1:]:
        if other.shape != first.shape:
            raise ValueError(f"the outputs of a kernel share one shape, but {other.type} is not"
                             f" of the shape of {first.type}")
    if len(set(body.outputs)) < len(body.outputs):
        raise ValueError("a kernel's body lists an output twice")
    check_body(body, kind)
    if body not in _TYPED:
        body.verify(subgraph=True)
    if len(body.outputs) == 1:
        return first.type
    return TupleType(tuple(o.type for o in body.outputs))


def check_body(body: Graph, kind: str) -> None:
    """Raise ValueError unless `body` holds only what docs/kernels.md allows for `kind`."""
    viewable = set(body.inputs)  # inputs, scalars and views of them
    output = body.outputs[0]
    for node in body.nodes[len(body.inputs):]:
        if node.op == "scalar":
            viewable.add(node)
        elif node.op in VIEW_OPS:
            if node.inputs[0] not in viewable:
                raise ValueError(f"{node.op} in a kernel body may only view a body input or a"
                                 " scalar, not a value computed in the body")
            viewable.add(node)
        elif node.op in REDUCE_OPS and kind == "row":
            continue  # checked with the rows, below
        elif node.op in REDUCE_OPS:
            if kind != "reduce" or node is not output:
                raise ValueError(f"{node.op} in a kernel body must be the output of a"
                                 ' kind="reduce" kernel')
        elif not is_elementwise(node.op):
            raise ValueError(f"a kernel body cannot hold {node.op}")
    if kind == "reduce" and output.op not in REDUCE_OPS:
        raise ValueError(f'a kind="reduce" kernel must end in a reduction, not {output.op}')
    if kind == "row":
        check_row_body(body)
    for output in body.outputs if kind != "reduce" else ():
        if not is_elementwise(output.op):
            raise ValueError(f'the outputs of a kind="{kind}" kernel must be computed by'
                             f" elementwise ops, not {output.op}")


def loaded(body: Graph) -> list[Node]:
    """The body nodes a backend reads from memory: the inputs and view chains over them that
    computed values use, in order of first use (each a strided view of an operand)."""
    operands: list[Node] = []
    for node in body.nodes:
        if node.op in VIEW_OPS or node.op in ("placeholder", "scalar"):
            continue
        for i in node.inputs:
            if (i.op in VIEW_OPS or i.op == "placeholder") and i not in operands:
                operands.append(i)
    return operands


def half_power_possible(node: Node) -> bool:
    """Whether NumPy's `np.power` computes this `pow` as sqrt when its exponent is 0.5: float32
    and float64 powers whose exponent has one element (0-d, shape [1], ...; or such a value
    broadcast), where NumPy's loop sees a scalar. There sqrt(-inf) is NaN and sqrt(-0.0) -0.0,
    where pow gives inf and 0.0; backends select sqrt where the exponent equals 0.5."""
    if node.op != "pow" or node.dtype not in (dtypes.float32, dtypes.float64):
        return False
    exponent = node.inputs[1]
    while exponent.op == "broadcast_to":
        exponent = exponent.inputs[0]
    return all(d == 1 for d in exponent.shape)  # (a symbolic size is not known to be 1)
