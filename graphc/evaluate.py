"""On-demand evaluation of concrete tensors: compile the needed subgraph and run it.

Values are cached per node, and a later evaluation starts from the cached nodes,
so printing a long chain of eager operations one step at a time stays linear.
"""

from __future__ import annotations

import weakref

import numpy as np

from graphc.graph import Graph, topological_order
from graphc.node import Node

_CACHE: weakref.WeakKeyDictionary[Node, np.ndarray] = weakref.WeakKeyDictionary()


class SymbolicTensorError(ValueError):
    """A tensor that depends on a placeholder has no value until it is compiled and called."""


def _placeholders(node: Node) -> list[str]:
    names = []
    for n in topological_order([node]):
        if n.op == "placeholder":
            names.append(n.attr("name"))
    return names


def value_of(node: Node, backend: str = "numpy") -> np.ndarray:
    """The value of a node that depends on no placeholder."""
    if node.op in ("constant", "parameter"):
        return node.attr("value").value
    cached = _CACHE.get(node)
    if cached is not None:
        return cached
    if node.depends_on_placeholder:
        names = ", ".join(repr(n) for n in _placeholders(node))
        raise SymbolicTensorError(
            f"this tensor depends on placeholder(s) {names} and has no value; "
            "compile it with graphc.function([...], tensor) and call that"
        )
    from backends import compile as compile_graph

    inputs = _cached_frontier(node)
    executable = compile_graph(Graph(inputs, [node]), backend)
    (result,) = executable.run_unchecked(*(_CACHE[i] for i in inputs))
    result.flags.writeable = False
    _CACHE[node] = result
    return result


def _cached_frontier(root: Node) -> list[Node]:
    """Cached nodes where the walk back from `root` can stop."""
    frontier, seen, stack = [], {id(root)}, list(root.inputs)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node in _CACHE:
            frontier.append(node)
        else:
            stack.extend(node.inputs)
    return frontier
