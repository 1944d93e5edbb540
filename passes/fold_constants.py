"""`fold-constants`: evaluate subgraphs that depend on no input (`graphc.targets.evaluate`).

A node is constant when it depends only on literals (scalars, constants, arange, eye), not on
placeholders or parameters (whose arrays may change between calls). The constant nodes that
feed the rest of the graph are computed in one compiled NumPy function and replaced: a 0-d
result by a scalar, a result with one repeated value by a broadcast scalar, others by a
constant array. Results with more than `max-elements` elements are not materialised; their
operands are folded instead, and broadcasts are left as they are (they are cheaper than their
values). A value whose computation raises (the max of an empty array) is left to raise at run
time, as it does without the pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from graphc.graph import Graph
from graphc.node import Node, Ref, TensorType, TupleType
from graphc.ops import make_leaf, ops_with
from graphc.passes.registry import register
from graphc.passes.rewrite import build, map_graph, scalar
from graphc.shapes import is_static, numel
from graphc.targets import evaluate

LITERALS = ops_with("literal")


def constant_nodes(graph: Graph) -> set[Node]:
    """The nodes whose value is fixed when the graph is built."""
    constant: set[Node] = set()
    inputs = set(graph.inputs)
    for node in graph.nodes:
        if node in inputs or isinstance(node.type, TupleType) or not is_static(node.shape):
            continue
        if node.op in LITERALS or (node.inputs and all(i in constant for i in node.inputs)):
            constant.add(node)
    return constant


def fold_targets(graph: Graph, constant: set[Node], max_elements: int) -> list[Node]:
    """The constant, non-literal nodes worth computing: those used by the rest of the graph
    (or returned), or, where such a node is too large or a broadcast, its operands."""
    frontier: list[Node] = [i for n in graph.nodes if n not in constant for i in n.inputs]
    frontier += list(graph.outputs)
    targets, seen = [], set()
    while frontier:
        node = frontier.pop()
        if node in seen or node not in constant or node.op in LITERALS:
            continue
        seen.add(node)
        if node.op == "broadcast_to" or numel(node.shape) > max_elements:
            frontier.extend(node.inputs)
        else:
            targets.append(node)
    return targets


def literal(value: np.ndarray, like: Node) -> Node:
    """A leaf holding `value` (of `like`'s type): scalar, broadcast scalar or constant array."""
    if value.ndim == 0:
        return scalar(value.item(), like.dtype)
    flat = value.reshape(-1)
    if flat.size and (flat.view(np.uint8).reshape(flat.size, -1) == flat[:1].view(np.uint8)).all():
        return build("broadcast_to", (scalar(flat[0].item(), like.dtype),), {"shape": like.shape},
                     like.location)
    array = np.array(value, dtype=like.dtype.numpy)
    array.flags.writeable = False
    return make_leaf("constant", TensorType(like.dtype, like.shape), identity=True, value=Ref(array))


@register("fold-constants")
@dataclass
class FoldConstants:
    """Evaluate subgraphs that depend on no input, up to a size cap."""

    max_elements: int = field(default=4096, metadata={"help": "largest result to materialise"})

    def __call__(self, graph: Graph) -> Graph:
        constant = constant_nodes(graph)
        while targets := fold_targets(graph, constant, self.max_elements):
            try:
                values = evaluate(Graph([], targets))
            except ValueError:  # a value that raises at run time: leave it to raise there
                bad = raising(graph, targets, constant)
                if not bad:
                    raise
                constant -= bad
                continue
            replacement = {t: literal(np.asarray(v), t) for t, v in zip(targets, values)}
            return map_graph(graph, replace=replacement)
        return graph


def raising(graph: Graph, targets: list[Node], constant: set[Node]) -> set[Node]:
    """The targets whose evaluation raises (the max of an empty array has no value), and the
    constant nodes that use them: none of them can be folded."""
    bad = set()
    for target in targets:
        try:
            evaluate(Graph([], [target]))
        except ValueError:
            bad.add(target)
    for node in graph.nodes:  # in topological order
        if node in constant and any(i in bad for i in node.inputs):
            bad.add(node)
    return bad
