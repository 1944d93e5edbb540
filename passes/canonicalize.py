"""`canonicalize`: one spelling for expressions that mean the same, so they become one node.

Operands of commutative ops are put in a stable order (by a structural hash, with literals
last), and `gt`/`ge` become `lt`/`le` with the operands swapped. Both are exact: IEEE
addition, multiplication and comparisons do not depend on operand order. Only ops whose
`commutative` trait says so are reordered: `maximum` and `minimum` are not, since of `0.0`
and `-0.0` (or of two NaNs) the operand order decides which comes out, so swapping them would
change the bits a program computes (pattern rules, which state identities of values, may
still match them in either order).
"""

from __future__ import annotations

import hashlib

from graphc.graph import Graph
from graphc.node import Node
from graphc.ops import ops_with
from graphc.passes.registry import register
from graphc.passes.rewrite import build, transform, with_inputs
from graphc.printer import format_attrs

COMMUTATIVE = ops_with("commutative")
MIRRORED = {"gt": "lt", "ge": "le"}
LITERALS = ops_with("literal")


def structural_hashes(graph: Graph) -> dict[Node, bytes]:
    """A hash per node that does not depend on the order of commutative operands (or of
    mirrored comparisons) nor on how the graph was built; inputs hash by position."""
    hashes: dict[Node, bytes] = {}
    type_text: dict = {}  # printing a symbolic shape is slow; most nodes share a few types
    for k, node in enumerate(graph.inputs):
        hashes[node] = hashlib.blake2b(f"input {k} {node.type}".encode(), digest_size=12).digest()
    for node in graph.nodes[len(graph.inputs):]:
        children = [hashes[i] for i in node.inputs]
        op = MIRRORED.get(node.op, node.op)
        if op != node.op:
            children.reverse()
        if op in COMMUTATIVE:
            children.sort()
        text = type_text.get(node.type)
        if text is None:
            text = type_text[node.type] = str(node.type)
        h = hashlib.blake2b(f"{op} {text}{format_attrs(node)}".encode(), digest_size=12)
        for c in children:
            h.update(c)
        hashes[node] = h.digest()
    return hashes


@register("canonicalize")
def canonicalize(graph: Graph) -> Graph:
    """Order commutative operands stably (literals last); turn gt/ge into lt/le."""
    hashes = structural_hashes(graph)

    def sort_key(node: Node) -> tuple[bool, bytes]:
        literal = node.op in LITERALS or (node.op == "broadcast_to" and node.inputs[0].op in LITERALS)
        return literal, hashes[node]

    key = {n: sort_key(n) for n in graph.inputs}  # new node -> its sort key

    def visit(node: Node, inputs: tuple[Node, ...]) -> Node:
        op = MIRRORED.get(node.op, node.op)
        if op != node.op or (op in COMMUTATIVE and key[inputs[1]] < key[inputs[0]]):
            inputs = inputs[::-1]
        new = with_inputs(node, inputs) if op == node.op else build(op, inputs, node.attr_dict, node.location)
        key[new] = sort_key(node)
        return new

    return transform(graph, visit)
