"""Helpers every pass uses: rebuild a node with new operands, map a graph node by node.

Nodes are immutable, so a pass builds new ones. `build` is `graphc.ops.make` that keeps the
location of the node being replaced, so errors still point at the user's code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graphc.dtypes import DType
from graphc.graph import Graph
from graphc.node import Node, TensorType, intern
from graphc.ops import OPS, GraphBuildError, describe, make_leaf
from graphc.validate import check_attrs, check_operands


def build(op: str, inputs: tuple[Node, ...], attrs: dict[str, Any], location: str) -> Node:
    """The node `op(inputs, attrs)` (hash-consed), created at `location` if it is new."""
    opdef = OPS[op]
    types = tuple(i.type for i in inputs)

    def infer() -> TensorType:
        try:
            check_operands(op, types)
            check_attrs(op, attrs)
            return opdef.rule(types, attrs)
        except (ValueError, TypeError, IndexError) as err:
            raise GraphBuildError(
                f"{op}: {err} (operands: {describe(types) or 'none'}) at {location}") from None

    return intern(op, tuple(inputs), tuple(sorted(attrs.items())), None, infer, location=location)


def with_inputs(node: Node, inputs: tuple[Node, ...]) -> Node:
    """`node` with other operands (the same node if they are the same)."""
    if len(inputs) == len(node.inputs) and all(a is b for a, b in zip(inputs, node.inputs)):
        return node
    return build(node.op, inputs, node.attr_dict, node.location)


def map_graph(graph: Graph, visit: Callable[[Node], Node] | None = None,
              replace: dict[Node, Node] | None = None) -> Graph:
    """Rebuild `graph` in topological order: a node in `replace` becomes its value; any other
    gets its operands' replacements, then `visit(rebuilt)` says what replaces it. Inputs are kept."""
    mapping: dict[Node, Node] = {n: n for n in graph.inputs}
    replace = replace or {}
    for node in graph.nodes[len(graph.inputs):]:
        if node in replace:
            mapping[node] = replace[node]
            continue
        rebuilt = with_inputs(node, tuple(mapping[i] for i in node.inputs)) if node.inputs else node
        mapping[node] = visit(rebuilt) if visit is not None else rebuilt
    outputs = [mapping[o] for o in graph.outputs]
    if all(a is b for a, b in zip(outputs, graph.outputs)):
        return graph
    return Graph(graph.inputs, outputs)


def scalar(value, dtype: DType) -> Node:
    """The scalar literal `value` of `dtype` (equal literals are one node)."""
    if dtype.category == 0:
        value = bool(value)
    elif dtype.category == 1:
        value = int(value)
    else:
        value = float(value)
    return make_leaf("scalar", TensorType(dtype, ()), identity=False, value=value)


def filled(value, like: Node) -> Node:
    """A tensor of `like`'s type filled with `value`: a scalar, broadcast if it has dimensions."""
    s = scalar(value, like.dtype)
    if not like.shape:
        return s
    return build("broadcast_to", (s,), {"shape": like.shape}, like.location)


UNIFORM_LIMIT = 4096  # constants larger than this are not scanned for a uniform value


def uniform_value(node: Node):
    """The value every element of `node` has, if that is evident (a scalar, a broadcast
    scalar, a small constant with equal elements); else None."""
    while node.op in ("broadcast_to", "reshape"):
        node = node.inputs[0]
    if node.op == "scalar":
        return node.attr("value")
    if node.op == "constant":
        array = node.attr("value").value
        if 0 < array.size <= UNIFORM_LIMIT:
            first = array.flat[0]
            if np.all(array == first):
                return first.item()
    return None
