"""On-demand evaluation of concrete tensors: compile the needed subgraph and run it.

Values of nodes that read only immutable data are cached per node, and a later
evaluation starts from the cached nodes, so printing a long chain of eager
operations one step at a time stays linear. Nodes that read a parameter (an array
the user may change, as with `from_numpy`) are cached by their Tensor instead, so
an expression built after a change sees the new values, as in PyTorch.
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
    from graphc.backends import compile as compile_graph

    inputs = cached_frontier(node)
    executable = compile_graph(Graph(inputs, [node]), backend)
    (result,) = executable.run_unchecked(*(_CACHE[i] for i in inputs))
    _remember(node, result)
    return result


def _remember(node: Node, result: np.ndarray) -> None:
    result.flags.writeable = False
    if not node.reads_parameter:
        _CACHE[node] = result


def values_of(nodes: list[Node], backend: str = "numpy") -> list[np.ndarray]:
    """Values of several nodes, computed by one compiled graph that shares their work."""
    todo = [n for n in dict.fromkeys(nodes) if n not in _CACHE and n.op not in ("constant", "parameter")]
    for n in todo:
        if n.depends_on_placeholder:
            value_of(n)  # raises SymbolicTensorError naming the placeholders
    if len(todo) > 1:
        from graphc.backends import compile as compile_graph

        inputs = [n for n in cached_frontier(*todo) if n not in todo]
        executable = compile_graph(Graph(inputs, todo), backend)
        results = dict(zip(todo, executable.run_unchecked(*(_CACHE[i] for i in inputs))))
        for node, result in results.items():
            _remember(node, result)
        return [results[n] if n in results else value_of(n, backend) for n in nodes]
    return [value_of(n, backend) for n in nodes]


def cached_frontier(*roots: Node, known=_CACHE) -> list[Node]:
    """Nodes in `known` (by default, the values cached here) where the walk back from `roots`
    can stop."""
    frontier, seen = [], {id(r) for r in roots}
    stack = [i for r in roots for i in r.inputs]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node in known:
            frontier.append(node)
        else:
            stack.extend(node.inputs)
    return frontier
