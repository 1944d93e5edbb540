"""Helpers every pass uses: build nodes, and the driver that rebuilds a graph node by node.

Nodes are immutable, so a pass builds new ones. `build` is `graphc.ops.build`, the one node
builder: a pass gives it the location of the node being replaced, so errors still point at
the user's code.

`transform` is the driver every pass that rewrites node by node runs on, in the manner of
torch.fx's Transformer: it walks the graph once in topological order, keeps what each node
became, and asks the pass's `visit(node, operands)` what a node becomes once its operands
have become `operands`. The pass says only what is particular to it; the walk, the mapping
and the rebuilt graph are the driver's. `map_graph` is the common case on top of it.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import is_

import numpy as np

from graphc.dtypes import DType
from graphc.graph import Graph
from graphc.node import Node, TensorType
from graphc.ops import build, make_leaf, rebuild

Visit = Callable[[Node, tuple[Node, ...]], Node]

__all__ = ["build", "filled", "map_graph", "scalar", "transform", "uniform_value", "with_inputs"]


def with_inputs(node: Node, inputs: tuple[Node, ...]) -> Node:
    """`node` with other operands (the same node if they are the same)."""
    if len(inputs) == len(node.inputs) and all(map(is_, inputs, node.inputs)):
        return node
    return rebuild(node, tuple(inputs))


def transform(graph: Graph, visit: Visit = with_inputs) -> Graph:
    """Rebuild `graph`: each node, in topological order, becomes `visit(node, operands)`, where
    `operands` are what its operands became; inputs stay. Returns `graph` itself when every
    output is unchanged. One loop, no recursion: graphs of any depth work.

    The default `visit`, `with_inputs`, rebuilds each node through the interner.
    """
    became: dict[Node, Node] = {n: n for n in graph.inputs}
    for node in graph.nodes[len(graph.inputs):]:
        became[node] = visit(node, tuple(map(became.__getitem__, node.inputs)))
    outputs = [became[o] for o in graph.outputs]
    if all(map(is_, outputs, graph.outputs)):
        return graph
    return Graph(graph.inputs, outputs)


def map_graph(graph: Graph, visit: Callable[[Node], Node] | None = None,
              replace: dict[Node, Node] | None = None) -> Graph:
    """`transform` where a node in `replace` becomes its value, and any other is rebuilt with its
    operands' replacements and then `visit(rebuilt)` says what replaces it."""
    replace = replace or {}

    def rebuild(node: Node, operands: tuple[Node, ...]) -> Node:
        if node in replace:
            return replace[node]
        rebuilt = with_inputs(node, operands)
        return visit(rebuilt) if visit is not None else rebuilt

    return transform(graph, rebuild)


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
