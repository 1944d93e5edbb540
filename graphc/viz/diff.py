"""What a pass changed: the nodes it added, removed and rewritten, between two graphs.

Nodes are hash-consed, so a node in both graphs is one object, and the rest is new or gone. A
pass builds the replacement of a node with that node's Location object (graphc/node.py), so a
new node that carries the location of a node that went is a rewrite of it; other new nodes are
added. Kernel bodies count: fusion removes the ops it puts into kernels and rewrites them as
body nodes.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphc.graph import Graph
from graphc.node import Node


def all_nodes(graph: Graph) -> list[Node]:
    """The nodes of `graph` and of the bodies of its kernels, each once, in order."""
    seen: set[int] = set()
    order: list[Node] = []
    stack = [graph]
    while stack:
        current = stack.pop()
        for node in current.nodes:
            if id(node) not in seen:
                seen.add(id(node))
                order.append(node)
                if node.op == "kernel":
                    stack.append(node.attr("body"))
    return order


@dataclass
class Change:
    added: list[Node]
    removed: list[Node]
    rewritten: list[tuple[Node, Node]]  # (new node, the removed node it replaces)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.rewritten)


def change(before: Graph, after: Graph) -> Change:
    """How `after` differs from `before`."""
    old, new = all_nodes(before), all_nodes(after)
    old_ids, new_ids = {id(n) for n in old}, {id(n) for n in new}
    removed = [n for n in old if id(n) not in new_ids]
    replaced = {id(n.location): n for n in removed}
    added, rewritten = [], []
    for node in new:
        if id(node) in old_ids:
            continue
        origin = replaced.get(id(node.location))
        if origin is not None:
            rewritten.append((node, origin))
        else:
            added.append(node)
    return Change(added, removed, rewritten)
