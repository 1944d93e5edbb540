"""What a pass changed: the nodes it added, removed, rewrote and rebuilt, between two graphs.

Nodes are hash-consed, so a node in both graphs is one object, and the rest is new or gone. A
pass builds the replacement of a node with that node's Location object (graphc/node.py), so a
new node that carries the location of a node that went replaces it: *rebuilt* if only its
operands changed (the same op and attributes over rewritten operands), else *rewritten*. Other
new nodes are *added*. Kernel bodies count: fusion removes the ops it puts into kernels and
rewrites them as kernels and body nodes. A body node equal to one that some other graph's kernel
already holds is that node (hash-consing), with that graph's location: it counts as added.
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
    rebuilt: list[tuple[Node, Node]]  # the same, where only the operands differ

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.rewritten or self.rebuilt)


def _same_operation(a: Node, b: Node) -> bool:
    return a.op == b.op and len(a.inputs) == len(b.inputs) and a.attrs == b.attrs


def change(before: Graph, after: Graph) -> Change:
    """How `after` differs from `before`."""
    old, new = all_nodes(before), all_nodes(after)
    old_ids, new_ids = {id(n) for n in old}, {id(n) for n in new}
    removed = [n for n in old if id(n) not in new_ids]
    replaced = {id(n.location): n for n in removed}
    added, rewritten, rebuilt = [], [], []
    for node in new:
        if id(node) in old_ids:
            continue
        origin = replaced.get(id(node.location))
        if origin is None:
            added.append(node)
        elif _same_operation(node, origin):
            rebuilt.append((node, origin))
        else:
            rewritten.append((node, origin))
    return Change(added, removed, rewritten, rebuilt)
