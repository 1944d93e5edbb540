"""A graph value: chosen inputs, outputs, and the nodes between them in topological order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cached_property

from graphc.node import Node
from graphc.ops import OPS, bound_sizes
from graphc.shapes import symbols_of


class GraphError(ValueError):
    """A graph is malformed: an unbound placeholder, a type mismatch, a bad order."""


def as_node(value) -> Node:
    if isinstance(value, Node):
        return value
    node = getattr(value, "_node", None)
    if isinstance(node, Node):
        return node
    raise TypeError(f"expected a graphc tensor or node, got {type(value).__name__}")


def topological_order(outputs: Iterable[Node], stop: Iterable[Node] = ()) -> list[Node]:
    """Nodes reachable from `outputs`, each after its inputs; the walk ends at `stop`.

    A depth-first walk that takes each node's inputs in order, on an explicit stack instead
    of recursion, so chains of any length work.
    """
    order: list[Node] = []
    seen: set[Node] = set(stop)  # nodes done or on the stack (nodes hash by identity)
    for root in outputs:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(root.inputs))]
        while stack:
            node, inputs = stack[-1]
            for child in inputs:
                if child not in seen:
                    seen.add(child)
                    stack.append((child, iter(child.inputs)))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


def _where(node: Node) -> str:
    """How an error names a node: its op and where it was built."""
    return f"{node.op} created at {node.location}"


class Graph:
    """`Graph(inputs=[x, w], outputs=[y])`: the computation from inputs to outputs.

    `nodes` lists the inputs first, then every other node after its operands.
    """

    def __init__(self, inputs: Sequence, outputs: Sequence):
        self.inputs: tuple[Node, ...] = tuple(as_node(i) for i in inputs)
        self.outputs: tuple[Node, ...] = tuple(as_node(o) for o in outputs)
        if len(set(map(id, self.inputs))) != len(self.inputs):
            raise GraphError("a graph's inputs must be distinct tensors")
        self.nodes: list[Node] = list(self.inputs) + topological_order(self.outputs, self.inputs)

    def __eq__(self, other) -> bool:
        """Graphs with the same inputs and outputs are equal: nodes are hash-consed, so this is
        structural equality (a kernel's body attribute relies on it to hash-cons kernels)."""
        if not isinstance(other, Graph):
            return NotImplemented
        return self.inputs == other.inputs and self.outputs == other.outputs

    def __hash__(self) -> int:
        return hash((self.inputs, self.outputs))

    def __len__(self) -> int:
        return len(self.nodes)

    def __iter__(self):
        return iter(self.nodes)

    @cached_property
    def users(self) -> dict[Node, list[Node]]:
        """For each node, the nodes that use it (once per use)."""
        users: dict[Node, list[Node]] = {n: [] for n in self.nodes}
        for node in self.nodes:
            for i in node.inputs:
                users[i].append(node)
        return users

    def verify(self, subgraph: bool = False) -> None:
        """Check operand order, re-infer every type, and find unbound placeholders.

        A graph's symbols must be bare dimensions of its inputs, so a call can bind them, or
        data-dependent sizes, each bound by the one node (a `nonzero`) that computes it.
        A `subgraph` (a kernel's body) is called with shapes its caller already knows, so
        a symbol anywhere in an input's dimensions (`2*n`) counts as bound there.
        """
        seen: set[int] = set(map(id, self.inputs))
        bound = set()
        for node in self.inputs:
            if subgraph:
                bound |= symbols_of(node.shape)
            else:
                bound |= {d for d in node.shape if not isinstance(d, int) and d.is_Symbol}
        known: set = set()  # types whose symbols are all bound (bound only grows)
        for node in self.nodes[len(self.inputs):]:
            for i in node.inputs:
                if id(i) not in seen:
                    raise GraphError(f"{_where(node)} uses a value that comes after it")
            if node.op == "placeholder":
                raise GraphError(f"placeholder {node.attr('name')!r} created at {node.location}"
                                 " is used but is not an input of the graph")
            attrs = node.attr_dict
            rule = OPS[node.op].rule
            if rule is not None:
                inferred = rule(tuple([i.type for i in node.inputs]), attrs)
                if inferred != node.type:
                    raise GraphError(f"{_where(node)} has type {node.type} but its operands give {inferred}")
            binds = bound_sizes(node.op, attrs)
            if binds:
                twice = binds & bound
                if twice:
                    raise GraphError(f"{_where(node)} binds the data-dependent size {min(map(str, twice))},"
                                     " which an input or another node already binds")
                bound |= binds
            if node.type not in known:
                unbound = set().union(*(symbols_of(t.shape) for t in node.type.parts)) - bound
                if unbound:
                    names = ", ".join(sorted(map(str, unbound)))
                    raise GraphError(f"{_where(node)} has type {node.type} whose symbols"
                                     f" ({names}) no input binds")
                known.add(node.type)
            seen.add(id(node))

    def __str__(self) -> str:
        from graphc.printer import format_graph

        return format_graph(self)

    def __repr__(self) -> str:
        return f"<graphc.Graph: {len(self.inputs)} inputs, {len(self.outputs)} outputs, {len(self)} nodes>"

    def _repr_html_(self) -> str:
        """Jupyter: the graph explorer, inline."""
        from graphc.viz.html import notebook_html

        return notebook_html(self)

    def _repr_svg_(self) -> str | None:
        """Jupyter: a Graphviz picture (None without Graphviz)."""
        from graphc.viz.svg import notebook_svg

        return notebook_svg(self)
